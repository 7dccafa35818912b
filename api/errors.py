"""Every error as JSON, registered at app level so unknown routes and wrong methods get it
too: {"error": {"status": N, "message": "..."}}. A 500 body says nothing of the cause (no
stack trace, SQL or connection details): the cause is logged with the request id, which
every response carries in the X-Request-ID header."""

import logging

from flask import g, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from api.warehouse import MartsMissing, WarehouseUnavailable

log = logging.getLogger(__name__)

WAREHOUSE_UNAVAILABLE = "the warehouse is unavailable; try again shortly"
MARTS_MISSING = "the marts are not built yet; try again after the build"
INTERNAL_ERROR = "internal error; quote request id {request_id} when reporting it"


class ApiError(Exception):
    """An answer that is an error: `status` and a message naming what is wrong."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str, headers=None):
    response = jsonify({"error": {"status": status, "message": message}})
    response.status_code = status
    for name, value in headers or ():
        response.headers[name] = value
    return response


def register(app):
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(WarehouseUnavailable, _warehouse_unavailable)
    app.register_error_handler(MartsMissing, _marts_missing)
    app.register_error_handler(Exception, _unexpected_error)


def _request_id():
    return g.get("request_id", "-")


def _api_error(error: ApiError):
    return error_response(error.status, error.message)


def _http_error(error: HTTPException):
    if isinstance(error, NotFound):
        message = f"no such endpoint: {request.path}"
    elif isinstance(error, MethodNotAllowed):
        allowed = ", ".join(sorted(error.valid_methods or ()))
        message = f"method {request.method} is not allowed on {request.path} (allowed: {allowed})"
    else:
        message = error.description or error.name
    headers = [
        (name, value)
        for name, value in error.get_headers()
        if name.lower() not in ("content-type", "content-length")
    ]
    return error_response(error.code or 500, message, headers)


def _warehouse_unavailable(error: WarehouseUnavailable):
    log.warning(
        "request %s: %s %s: warehouse unavailable: %s",
        _request_id(),
        request.method,
        request.path,
        error,
    )
    return error_response(503, WAREHOUSE_UNAVAILABLE, [("Retry-After", "5")])


def _marts_missing(error: MartsMissing):
    log.warning(
        "request %s: %s %s: marts missing: %s", _request_id(), request.method, request.path, error
    )
    return error_response(503, MARTS_MISSING, [("Retry-After", "30")])


def _unexpected_error(error: Exception):
    log.error(
        "request %s: %s %s failed",
        _request_id(),
        request.method,
        request.path,
        exc_info=error,
    )
    return error_response(500, INTERNAL_ERROR.format(request_id=_request_id()))
