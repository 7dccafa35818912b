"""A request id on every request: the caller's X-Request-ID when it is a sane token, or a
new one. Logs name it, and every response carries it back in the X-Request-ID header."""

import re
import uuid

from flask import g, request

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")


def register(app):
    app.before_request(_assign)
    app.after_request(_echo)


def _assign():
    given = request.headers.get(HEADER, "")
    g.request_id = given if _SANE.fullmatch(given) else uuid.uuid4().hex


def _echo(response):
    if "request_id" not in g:
        _assign()
    response.headers[HEADER] = g.request_id
    return response
