"""gunicorn's sync worker, with the answers gunicorn gives by itself in the API's form.

A request gunicorn rejects before the app sees it (a request line or headers over its limits,
a line it cannot parse) or an error outside the app gets gunicorn's HTML page by default,
without the headers every answer carries. This worker answers them as the app answers its own
errors (api/errors.py): {"error": {"status": N, "message": "..."}} as JSON, with a new
X-Request-ID and the security headers. The message names what is wrong without echoing the
client's bytes, so a key sent in a malformed request line never reaches a log or a body.

`interactions serve` runs gunicorn with --worker-class api.gunicorn_worker.JsonErrorWorker.
"""

import json
import uuid
from datetime import datetime

from gunicorn import util
from gunicorn.http import errors as http_errors
from gunicorn.http.message import Request
from gunicorn.http.wsgi import Response, default_environ
from gunicorn.workers.sync import SyncWorker

from api.errors import INTERNAL_ERROR
from api.request_id import HEADER as REQUEST_ID_HEADER
from api.website import SECURITY_HEADERS

# gunicorn's rejection -> (status, reason phrase, message); the first match wins.
REJECTIONS = (
    (
        http_errors.LimitRequestLine,
        414,
        "URI Too Long",
        "the request line is longer than this server accepts",
    ),
    (
        http_errors.LimitRequestHeaders,
        431,
        "Request Header Fields Too Large",
        "the request's header fields are larger or more than this server accepts",
    ),
    (
        http_errors.UnsupportedTransferCoding,
        501,
        "Not Implemented",
        "the request's Transfer-Encoding is not supported",
    ),
    (
        http_errors.ExpectationFailed,
        417,
        "Expectation Failed",
        "the request's Expect header cannot be met",
    ),
    (http_errors.ForbiddenProxyRequest, 403, "Forbidden", "proxy requests are not accepted"),
    (http_errors.InvalidRequestMethod, 400, "Bad Request", "malformed request method"),
    (http_errors.InvalidRequestLine, 400, "Bad Request", "malformed request line"),
    (http_errors.InvalidHTTPVersion, 400, "Bad Request", "unsupported HTTP version"),
    (
        (http_errors.InvalidHeader, http_errors.InvalidHeaderName, http_errors.ObsoleteFolding),
        400,
        "Bad Request",
        "malformed header field",
    ),
    (
        (
            http_errors.InvalidChunkSize,
            http_errors.ChunkMissingTerminator,
            http_errors.InvalidChunkExtension,
        ),
        400,
        "Bad Request",
        "malformed chunked request body",
    ),
)
# A response header the app tried to send is the app's fault: a 500 like any other.
APP_FAULTS = (http_errors.InvalidResponseHeader, http_errors.InvalidResponseHeaderName)


def rejection(exc: BaseException) -> tuple[int, str, str] | None:
    """(status, reason, message) when gunicorn rejected the client's request, else None."""
    if isinstance(exc, APP_FAULTS) or not isinstance(exc, http_errors.ParseException):
        return None
    for kinds, status, reason, message in REJECTIONS:
        if isinstance(exc, kinds):
            return status, reason, message
    return 400, "Bad Request", "malformed request"


def error_answer(status: int, reason: str, message: str, request_id: str) -> bytes:
    """The whole HTTP answer: the app's JSON error body (compact, one line) and headers."""
    body = json.dumps({"error": {"status": status, "message": message}}, separators=(",", ":"))
    body = (body + "\n").encode()
    headers = [
        ("Connection", "close"),
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        (REQUEST_ID_HEADER, request_id),
        *SECURITY_HEADERS.items(),
    ]
    head = f"HTTP/1.1 {status} {reason}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
    return head.encode("latin-1") + body


class JsonErrorWorker(SyncWorker):
    def handle_error(self, req, client, addr, exc):
        started = datetime.now()
        addr = addr or ("", -1)  # a unix socket
        request_id = uuid.uuid4().hex
        rejected = rejection(exc)
        if rejected is not None:
            status, reason, message = rejected
            self.log.warning(
                "request %s from ip=%s rejected by the server: %s %s (%s)",
                request_id,
                addr[0],
                status,
                message,
                type(exc).__name__,
            )
        else:
            status, reason = 500, "Internal Server Error"
            message = INTERNAL_ERROR.format(request_id=request_id)
            self.log.exception("request %s failed outside the app", request_id)
        if req is None:  # a header error carries the request whose line was read
            req = getattr(exc, "req", None)
        if isinstance(req, Request):  # the access log's line, as gunicorn writes it
            try:
                environ = default_environ(req, client, self.cfg)
                environ["REMOTE_ADDR"] = addr[0]
                environ["REMOTE_PORT"] = str(addr[1])
                response = Response(req, client, self.cfg)
                response.status = f"{status} {reason}"
                response.response_length = 0
                self.log.access(response, req, environ, datetime.now() - started)
            except Exception:  # never let the log take the worker down
                self.log.exception("request %s: could not write its access log line", request_id)
        try:
            util.write_nonblock(client, error_answer(status, reason, message, request_id))
        except Exception:  # the client is gone
            self.log.debug("could not send the error answer")
