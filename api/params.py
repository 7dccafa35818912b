"""Reading the request's path and query parameters: a bad value is a 400 naming it."""

import re

from flask import request

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


def customer_id(text: str) -> int:
    return positive_id(text, "customer id")


def optional_text(name: str) -> str | None:
    """?name= as given (stripped), None when absent; present but empty is an error."""
    value = request.args.get(name)
    if value is None:
        return None
    value = value.strip()
    if not value:
        raise ApiError(400, f"{name} must not be empty when given")
    if len(value) > MAX_TEXT:
        raise ApiError(400, f"{name} must be at most {MAX_TEXT} characters")
    if NUL in value:
        raise ApiError(400, f"{name} must not contain a NUL character")
    return value


def limit() -> int:
    """?limit= from 1 to MAX_LIMIT (default DEFAULT_LIMIT); more is a 400, never clamped."""
    text = request.args.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    if not _DIGITS.fullmatch(text) or len(text) > 6 or not 1 <= int(text) <= MAX_LIMIT:
        raise ApiError(
            400, f"limit must be a whole number from 1 to {MAX_LIMIT}, not {_shown(text)}"
        )
    return int(text)


def cursor() -> int:
    """?cursor= (the next_cursor of the previous page): the last customer id (or version)
    seen; 0 before the first page."""
    text = request.args.get("cursor")
    if text is None:
        return 0
    return positive_id(text, "cursor")
