"""The channels and topics, for a website's legends and filters."""

from flask import Blueprint

from api import queries, schemas
from api.data_version import fetch_answer, kept_per_build
from api.endpoints import UNAVAILABLE, Answer, endpoint
from api.warehouse import get_reader

bp = Blueprint("reference", __name__, url_prefix="/api/v1")


@endpoint(
    bp,
    "/channels",
    operation_id="listChannels",
    summary="The channels, in display order",
    description="The canonical channels (dim_channels), in the order every answer lists them.",
    responses={
        200: Answer(
            "The channels.",
            schemas.Channels,
            {
                "data": [
                    {"channel": "Email", "display_order": 1},
                    {"channel": "Call", "display_order": 2},
                    {"channel": "Bird", "display_order": 3},
                ]
            },
        ),
        503: UNAVAILABLE,
    },
)
@kept_per_build()
def channels():
    return {"data": fetch_answer(get_reader(), queries.CHANNELS)}


@endpoint(
    bp,
    "/topics",
    operation_id="listTopics",
    summary="The topics",
    description="Every product of the Products of discussion sheet by name, then 'Unknown'.",
    responses={
        200: Answer(
            "The topics.",
            schemas.Topics,
            {
                "data": [
                    {"topic": "Orange", "is_unknown": False, "month_count": 1},
                    {"topic": "Sand", "is_unknown": False, "month_count": 2},
                    {"topic": "Unknown", "is_unknown": True, "month_count": 0},
                ]
            },
        ),
        503: UNAVAILABLE,
    },
)
@kept_per_build()
def topics():
    return {"data": fetch_answer(get_reader(), queries.TOPICS)}
