"""Customers for a picker, a page at a time (keyset pagination on customer_id)."""

from flask import Blueprint, url_for

from api import params, queries
from api.data_version import fetch_answer
from api.warehouse import get_reader

bp = Blueprint("customers", __name__, url_prefix="/api/v1/customers")


@bp.get("")
def list_customers():
    limit = params.limit()
    after = params.cursor()
    q = params.optional_text("q")
    rows = fetch_answer(
        get_reader(), queries.CUSTOMERS_PAGE, after_customer_id=after, q=q, row_limit=limit + 1
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
