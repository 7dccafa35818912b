"""The request's path and query parameters, one pydantic model per endpoint: validated before
the view (api/endpoints.py), documented from the same model (api/openapi.py). A bad value is a
400 naming it: the checks below raise ApiError, which pydantic lets through unchanged, so every
message is the API's own."""

import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from api.errors import ApiError

MAX_ID = 2**63 - 1  # customer ids are bigint
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_TEXT = 200
_DIGITS = re.compile(r"[0-9]+")
NUL = "\x00"  # PostgreSQL text cannot hold it, so no topic, occupation or sheet name has one


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")


def positive_id(text: str, what: str) -> int:
    """A whole number from 1 to 2**63-1 written in decimal digits."""
    if not _DIGITS.fullmatch(text) or not text.strip("0"):
        raise ApiError(400, f"{what} must be a positive whole number, not {_shown(text)}")
    digits = text.lstrip("0")
    if len(digits) > len(str(MAX_ID)) or int(digits) > MAX_ID:
        raise ApiError(400, f"{what} {_shown(text)} is out of range: the largest is {MAX_ID}")
    return int(digits)


def _text(name: str):
    """?name= as given (stripped); present but empty is an error."""

    def check(value: str) -> str:
        value = value.strip()
        if not value:
            raise ApiError(400, f"{name} must not be empty when given")
        if len(value) > MAX_TEXT:
            raise ApiError(400, f"{name} must be at most {MAX_TEXT} characters")
        if NUL in value:
            raise ApiError(400, f"{name} must not contain a NUL character")
        return value

    return BeforeValidator(check)


def _limit(text: str) -> int:
    """1 to MAX_LIMIT; more is a 400, never clamped."""
    if not _DIGITS.fullmatch(text) or len(text) > 6 or not 1 <= int(text) <= MAX_LIMIT:
        raise ApiError(
            400, f"limit must be a whole number from 1 to {MAX_LIMIT}, not {_shown(text)}"
        )
    return int(text)


def _id(what: str):
    return BeforeValidator(lambda text: positive_id(text, what))


def _id_param(what: str, description: str, kind=int):
    """A whole number from 1 to 2^63-1 (an id, a version) checked by positive_id."""
    return Annotated[
        kind,
        Field(
            ge=1,
            le=MAX_ID,
            description=description,
            examples=[1],
            json_schema_extra={"format": "int64"},
        ),
        _id(what),
    ]


CustomerId = _id_param("customer id", "The customer's id: a whole number from 1 to 2^63-1.")


def _text_param(name: str, description: str, example: str):
    """An optional text parameter (None when absent) checked by _text."""
    return Annotated[
        str | None,
        Field(min_length=1, max_length=MAX_TEXT, description=description, examples=[example]),
        _text(name),
    ]


Topic = _text_param(
    "topic",
    "Count only this topic (a topic of /api/v1/topics, e.g. Sand or Unknown). A topic that "
    "does not exist is a 404 naming it; an empty value is a 400.",
    "Sand",
)
Search = _text_param(
    "q",
    "Only the customer with this exact id, and the customers whose occupation contains this "
    "text (case-insensitive).",
    "jedi",
)
Channel = _text_param(
    "channel",
    "Only the rows of this channel (a channel of /api/v1/channels, e.g. Email). A channel that "
    "does not exist is a 404 naming it.",
    "Email",
)
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT), BeforeValidator(_limit)]
Cursor = Annotated[
    int | None,
    Field(
        ge=1,
        le=MAX_ID,
        description="page.next_cursor of the previous page; absent for the first.",
    ),
    _id("cursor"),
]


FORMATS = ("json", "csv", "xlsx")


def _format(text: str) -> str:
    if text not in FORMATS:
        raise ApiError(400, f"format must be json, csv or xlsx, not {_shown(text)}")
    return text


Format = Annotated[
    str | None,
    Field(
        description="json (the default), or csv or xlsx: the same answer as a table to "
        "download (text/csv, or an Excel workbook of one sheet, numbers as numbers).",
        examples=["csv"],
        json_schema_extra={"enum": list(FORMATS)},
    ),
    BeforeValidator(_format),
]


class Params(BaseModel):
    """An endpoint's parameters: path parameters by the route's names, query parameters by
    theirs (any other query parameter is ignored)."""

    model_config = ConfigDict(frozen=True)


class CustomerParams(Params):
    customer_id: CustomerId
    format: Format = None


class CustomerTopicParams(Params):
    customer_id: CustomerId
    topic: Topic = None
    format: Format = None


class TopicParams(Params):
    topic: Topic = None
    format: Format = None


class FormatParams(Params):
    format: Format = None


class CustomerPageParams(Params):
    limit: Limit = Field(DEFAULT_LIMIT, description=f"Customers per page, 1 to {MAX_LIMIT}.")
    cursor: Cursor = None
    q: Search = None
    format: Format = None


class VersionPageParams(Params):
    limit: Limit = Field(DEFAULT_LIMIT, description=f"Versions per page, 1 to {MAX_LIMIT}.")
    cursor: Cursor = None
    format: Format = None


class SheetParams(Params):
    table_name: str = Field(
        description="customers, interactions or products.", examples=["customers"]
    )


class PreviewParams(Params):
    preview_id: str = Field(
        description="The preview_id of POST /api/v1/imports' answer.",
        examples=["0f9c2b4e8a7d4c1b9e3f5a6b7c8d9e0f"],
    )


class VersionParams(Params):
    version: _id_param("version", "A kept version's number (GET /api/v1/versions).")


class LiveVersionParams(Params):
    version: _id_param(
        "version",
        "The live version's number (GET /api/v1/versions): the marts hold the live version's "
        "rows; another is a 404.",
        int | None,
    ) = None


class CustomerRowsParams(Params):
    customer_id: CustomerId
    channel: Channel = None
    topic: Topic = None
    limit: Limit = Field(DEFAULT_LIMIT, description=f"Rows per page, 1 to {MAX_LIMIT}.")
    cursor: Cursor = None
    format: Format = None
