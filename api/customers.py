"""Customers for a picker, a page at a time (keyset pagination on customer_id)."""

from flask import Blueprint, url_for

from api import exports, queries, schemas
from api.data_version import fetch_answer
from api.endpoints import UNAVAILABLE, Answer, endpoint, error
from api.params import DEFAULT_LIMIT, MAX_LIMIT, CustomerPageParams
from api.warehouse import get_reader

bp = Blueprint("customers", __name__, url_prefix="/api/v1/customers")


@endpoint(
    bp,
    "",
    params=CustomerPageParams,
    operation_id="listCustomers",
    table=lambda body: exports.records(body["data"]),
    summary="Customers, a page at a time",
    description=f"Customers by id. limit is 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}): a "
    "larger limit is a 400, not clamped. Follow page.next (or pass page.next_cursor as cursor) "
    "for the next page.",
    responses={
        200: Answer(
            "A page of customers.",
            schemas.CustomerPage,
            {
                "data": [
                    {
                        "customer_id": 1,
                        "occupation": "Jedi",
                        "customer_type": "Red",
                        "in_customer_sheet": True,
                        "interaction_count": 1,
                    }
                ],
                "page": {
                    "limit": 1,
                    "next_cursor": "1",
                    "next": "/api/v1/customers?limit=1&cursor=1",
                },
            },
        ),
        400: error(
            "A bad limit, cursor or q.",
            f"limit must be a whole number from 1 to {MAX_LIMIT}, not '501'",
            400,
        ),
        503: UNAVAILABLE,
    },
)
def list_customers(params):
    limit, q = params.limit, params.q
    rows = fetch_answer(
        get_reader(),
        queries.CUSTOMERS_PAGE,
        after_customer_id=params.cursor or 0,
        q=q,
        row_limit=limit + 1,
    )
    customers = rows[:limit]
    next_cursor = str(customers[-1]["customer_id"]) if len(rows) > limit else None
    next_url = (
        url_for("customers.list_customers", limit=limit, cursor=next_cursor, q=q)
        if next_cursor
        else None
    )
    return {
        "data": customers,
        "page": {"limit": limit, "next_cursor": next_cursor, "next": next_url},
    }
