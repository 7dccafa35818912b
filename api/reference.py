"""The channels and topics, for a website's legends and filters."""

from flask import Blueprint

from api import queries
from api.data_version import fetch_answer, kept_per_build
from api.warehouse import get_reader

bp = Blueprint("reference", __name__, url_prefix="/api/v1")


@bp.get("/channels")
@kept_per_build()
def channels():
    return {"data": fetch_answer(get_reader(), queries.CHANNELS)}


@bp.get("/topics")
@kept_per_build()
def topics():
    return {"data": fetch_answer(get_reader(), queries.TOPICS)}
