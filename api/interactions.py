"""Interactions per customer per channel (optionally per topic), and per customer type.

Every channel of dim_channels is in every answer, in display order: the marts hold the answers
zeros included (dbt_project/models/marts/answers). A customer's counts for every topic come
from the live build's answer file when this worker has mapped it (api/cache.py), else from
the warehouse.
"""

from flask import Blueprint, current_app, url_for

from api import exports, queries, schemas
from api.cache import get_cache
from api.data_version import answered_from, answered_version, fetch_answer, kept_per_build
from api.endpoints import BAD_CUSTOMER_ID, UNAVAILABLE, Answer, endpoint, error
from api.errors import ApiError
from api.params import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    CustomerParams,
    CustomerRowsParams,
    CustomerTopicParams,
    TopicParams,
)
from api.warehouse import get_reader
from core.sheets import INTERACTIONS

bp = Blueprint("interactions", __name__, url_prefix="/api/v1/interactions")


def _of_kind(rows, kind):
    return [row for row in rows if row["kind"] == kind]


def _check_topic(rows, topic):
    if not _of_kind(rows, "topic"):
        raise ApiError(404, f"topic {topic!r} not found")


def _check_customer(rows, customer_id):
    if not rows:
        raise ApiError(404, f"customer {customer_id} not found")


def _counts(rows):
    """{channel: count, ...} in the rows' order."""
    return {row["channel"]: row["interaction_count"] for row in rows}


def _grouped(rows, key):
    """{row[key]: {channel: count, ...}, ...} in the rows' order."""
    groups = {}
    for row in rows:
        groups.setdefault(row[key], {})[row["channel"]] = row["interaction_count"]
    return groups


# Each answer as a table (?format=csv or xlsx, api/exports.py): its keys, then the channels.


def _customer_table(body):
    data = body["data"]
    return exports.per_channel(["customer_id"], [((data["customer_id"],), data["interactions"])])


def _customer_topics_table(body):
    data = body["data"]
    items = [((data["customer_id"], topic), counts) for topic, counts in data["topics"].items()]
    return exports.per_channel(["customer_id", "topic"], items)


def _customer_months_table(body):
    data = body["data"]
    items = [((data["customer_id"], month), counts) for month, counts in data["months"].items()]
    return exports.per_channel(["customer_id", "month"], items)


def _types_table(body):
    types = body["data"]["customer_types"]
    items = [((name,), counts) for name, counts in types.items()]
    return exports.per_channel(["customer_type"], items)


def _types_months_table(body):
    types = body["data"]["customer_types"]
    items = [
        ((name, month), counts)
        for name, months in types.items()
        for month, counts in months.items()
    ]
    return exports.per_channel(["customer_type", "month"], items)


# Registered before /<customer_id> for readers; Werkzeug also ranks a static route first.
@endpoint(
    bp,
    "/by-customer-type",
    params=TopicParams,
    operation_id="getInteractionsByCustomerType",
    table=_types_table,
    summary="Interactions per customer type per channel",
    description="Per customer type ('Unknown' included), the channel object; optionally one "
    "topic only.",
    responses={
        200: Answer(
            "The counts per customer type.",
            schemas.CustomerTypeInteractions,
            {
                "data": {
                    "customer_types": {
                        "Blue": {"Email": 1, "Call": 0, "Bird": 0},
                        "Orange": {"Email": 0, "Call": 0, "Bird": 0},
                        "Red": {"Email": 1, "Call": 0, "Bird": 0},
                        "Unknown": {"Email": 0, "Call": 1, "Bird": 1},
                    }
                }
            },
        ),
        400: error("An empty topic.", "topic must not be empty when given", 400),
        404: error(
            "A topic filter names a topic that does not exist.", "topic 'Nope' not found", 404
        ),
        503: UNAVAILABLE,
    },
)
@kept_per_build(lambda params: params.topic)
def by_customer_type(params):
    topic = params.topic
    if topic is None:
        rows = fetch_answer(get_reader(), queries.CUSTOMER_TYPE_INTERACTIONS)
    else:
        rows = fetch_answer(get_reader(), queries.CUSTOMER_TYPE_TOPIC_INTERACTIONS, topic=topic)
        _check_topic(rows, topic)
        rows = _of_kind(rows, "count")
    return {"data": {"customer_types": _grouped(rows, "customer_type")}}


EXAMPLE_MONTHS = {
    "2019-10": {"Email": 1, "Call": 0, "Bird": 0},
}


@endpoint(
    bp,
    "/by-customer-type/monthly",
    params=TopicParams,
    operation_id="getMonthlyInteractionsByCustomerType",
    table=_types_months_table,
    summary="Interactions per customer type per month per channel",
    description="Per customer type ('Unknown' included), every month from the first "
    "interaction of any customer to the last (the same months for every type), each with the "
    "channel object, zero-filled; optionally one topic only.",
    responses={
        200: Answer(
            "The counts per customer type and month.",
            schemas.CustomerTypeMonthly,
            {
                "data": {
                    "customer_types": {
                        "Blue": {
                            "2019-10": {"Email": 0, "Call": 0, "Bird": 0},
                            "2019-11": {"Email": 0, "Call": 0, "Bird": 0},
                        },
                        "Red": {
                            "2019-10": {"Email": 1, "Call": 0, "Bird": 0},
                            "2019-11": {"Email": 0, "Call": 0, "Bird": 0},
                        },
                    }
                }
            },
        ),
        400: error("An empty topic.", "topic must not be empty when given", 400),
        404: error(
            "A topic filter names a topic that does not exist.", "topic 'Nope' not found", 404
        ),
        503: UNAVAILABLE,
    },
)
@kept_per_build(lambda params: params.topic)
def monthly_by_customer_type(params):
    topic = params.topic
    if topic is None:
        rows = fetch_answer(get_reader(), queries.CUSTOMER_TYPE_MONTHLY)
    else:
        rows = fetch_answer(get_reader(), queries.CUSTOMER_TYPE_TOPIC_MONTHLY, topic=topic)
        _check_topic(rows, topic)
        rows = _of_kind(rows, "count")
    types = {}
    for row in rows:
        months = types.setdefault(row["customer_type"], {})
        months.setdefault(row["calendar_month"], {})[row["channel"]] = row["interaction_count"]
    return {"data": {"customer_types": types}}


@endpoint(
    bp,
    "/<customer_id>/monthly",
    params=CustomerTopicParams,
    operation_id="getCustomerMonthlyInteractions",
    table=_customer_months_table,
    summary="A customer's interactions per month per channel",
    description="Every month from the customer's first interaction to their last (about the "
    "topic, when one is given), each with the channel object, zero-filled; no months when "
    "there is none.",
    responses={
        200: Answer(
            "The counts per month.",
            schemas.CustomerMonthly,
            {"data": {"customer_id": 1, "months": EXAMPLE_MONTHS}},
        ),
        400: BAD_CUSTOMER_ID,
        404: error(
            "No sheet mentions the customer (customer 999 not found), or a topic filter names "
            "a topic that does not exist (topic 'Nope' not found).",
            "customer 999 not found",
            404,
        ),
        503: UNAVAILABLE,
    },
)
def monthly_for_customer(params):
    customer_id, topic = params.customer_id, params.topic
    if topic is None:
        rows = fetch_answer(get_reader(), queries.CUSTOMER_MONTHLY, customer_id=customer_id)
    else:
        rows = fetch_answer(
            get_reader(), queries.CUSTOMER_TOPIC_MONTHLY, customer_id=customer_id, topic=topic
        )
    _check_customer(_of_kind(rows, "customer"), customer_id)
    if topic is not None:
        _check_topic(rows, topic)
    months = _grouped(_of_kind(rows, "count"), "calendar_month")
    return {"data": {"customer_id": customer_id, "months": months}}


@endpoint(
    bp,
    "/<customer_id>",
    params=CustomerTopicParams,
    operation_id="getCustomerInteractions",
    table=_customer_table,
    summary="A customer's interactions per channel",
    description="How many times the customer talked to us on each channel (every channel, in "
    "display order, zero-filled), optionally about one topic only.",
    responses={
        200: Answer(
            "The counts.",
            schemas.CustomerInteractions,
            {"data": {"customer_id": 1, "interactions": {"Email": 1, "Call": 0, "Bird": 0}}},
        ),
        400: BAD_CUSTOMER_ID,
        404: error(
            "No sheet mentions the customer (customer 999 not found), or a topic filter names "
            "a topic that does not exist (topic 'Nope' not found).",
            "customer 999 not found",
            404,
        ),
        503: UNAVAILABLE,
    },
)
def for_customer(params):
    customer_id, topic = params.customer_id, params.topic
    if topic is not None:
        return _for_customer_about(customer_id, topic)
    snapshot = get_cache().live_snapshot()
    if snapshot is not None:  # the live build's answers, in this worker's memory (api/cache.py)
        answered_from(snapshot.build)
        body = snapshot.bodies.get(customer_id)
        if body is None:
            raise ApiError(404, f"customer {customer_id} not found")
        return current_app.response_class(body, mimetype="application/json")
    rows = fetch_answer(get_reader(), queries.CUSTOMER_INTERACTIONS, customer_id=customer_id)
    _check_customer(rows, customer_id)
    return {"data": {"customer_id": customer_id, "interactions": _counts(rows)}}


def _for_customer_about(customer_id, topic):
    rows = fetch_answer(
        get_reader(), queries.CUSTOMER_TOPIC_INTERACTIONS, customer_id=customer_id, topic=topic
    )
    channels = _of_kind(rows, "customer")
    _check_customer(channels, customer_id)
    _check_topic(rows, topic)
    # A topic the customer never talked about has no rows: 0 on each of the customer's channels.
    counts = _of_kind(rows, "count") or [{**row, "interaction_count": 0} for row in channels]
    return {"data": {"customer_id": customer_id, "interactions": _counts(counts)}}


@endpoint(
    bp,
    "/<customer_id>/topics",
    params=CustomerParams,
    operation_id="getCustomerInteractionsByTopic",
    table=_customer_topics_table,
    summary="A customer's interactions per topic per channel",
    description="Per topic the customer talked about, the same channel object.",
    responses={
        200: Answer(
            "The counts per topic.",
            schemas.CustomerTopics,
            {"data": {"customer_id": 1, "topics": {"Unknown": {"Email": 1, "Call": 0, "Bird": 0}}}},
        ),
        400: BAD_CUSTOMER_ID,
        404: error(
            "No sheet mentions this customer id (it is not in dim_customers).",
            "customer 999 not found",
            404,
        ),
        503: UNAVAILABLE,
    },
)
def topics_for_customer(params):
    customer_id = params.customer_id
    rows = fetch_answer(get_reader(), queries.CUSTOMER_TOPICS, customer_id=customer_id)
    _check_customer(_of_kind(rows, "customer"), customer_id)
    topics = _grouped(_of_kind(rows, "count"), "topic")
    return {"data": {"customer_id": customer_id, "topics": topics}}


# The sheet's headers (seeds/_seeds.yml) -> the columns of fct_interactions holding its cells.
ROW_CELLS = tuple(
    zip(INTERACTIONS.headers, ("started_at_text", "channel_text", "customer_id_text"), strict=True)
)
EXAMPLE_CELLS = ("04/10/2019 09:00", "Email", "1")  # the sample's first interaction


@endpoint(
    bp,
    "/<customer_id>/rows",
    params=CustomerRowsParams,
    operation_id="listCustomerInteractionRows",
    table=lambda body: exports.records(
        [{**{k: v for k, v in row.items() if k != "cells"}, **row["cells"]} for row in body["data"]]
    ),
    summary="The workbook rows behind a customer's counts",
    description="The rows of the External interactions sheet counted for the customer, in "
    "sheet order, optionally of one channel and one topic (the rows behind one count of "
    "/api/v1/interactions/{customer_id}?topic=): the version they are in, their row number in "
    "the sheet, and their cells as landed. A page at a time, like /api/v1/customers: "
    f"limit 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}); page.next (or page.next_cursor as "
    "cursor) for the next page.",
    responses={
        200: Answer(
            "A page of rows.",
            schemas.CustomerRowPage,
            {
                "data": [
                    {
                        "version": 1,
                        "sheet": INTERACTIONS.name,
                        "sheet_row": 2,
                        "cells": dict(zip(INTERACTIONS.headers, EXAMPLE_CELLS, strict=True)),
                    }
                ],
                "page": {"limit": 50, "next_cursor": None, "next": None},
            },
        ),
        400: BAD_CUSTOMER_ID,
        404: error(
            "No sheet mentions the customer, or the channel or topic does not exist.",
            "channel 'Pigeon' not found",
            404,
        ),
        503: UNAVAILABLE,
    },
)
def rows_for_customer(params):
    customer_id, limit = params.customer_id, params.limit
    rows = fetch_answer(
        get_reader(),
        queries.CUSTOMER_ROWS_PAGE,
        customer_id=customer_id,
        channel=params.channel,
        topic=params.topic,
        after_row=params.cursor or 0,
        row_limit=limit + 1,
    )
    _check_customer(_of_kind(rows, "customer"), customer_id)
    if params.channel is not None and not _of_kind(rows, "channel"):
        raise ApiError(404, f"channel {params.channel!r} not found")
    if params.topic is not None:
        _check_topic(rows, params.topic)
    version = answered_version() or 0
    found = _of_kind(rows, "row")
    page = [
        {
            "version": version,
            "sheet": INTERACTIONS.name,
            "sheet_row": row["sheet_row_number"],
            "cells": {header: row[column] for header, column in ROW_CELLS},
        }
        for row in found[:limit]
    ]
    next_cursor = str(page[-1]["sheet_row"]) if len(found) > limit else None
    next_url = None
    if next_cursor:
        next_url = url_for(
            "interactions.rows_for_customer",
            customer_id=customer_id,
            channel=params.channel,
            topic=params.topic,
            limit=limit,
            cursor=next_cursor,
        )
    return {"data": page, "page": {"limit": limit, "next_cursor": next_cursor, "next": next_url}}
