"""The access log, written by the app (Granian's own is off): one line per request the app
answers, with query values that are secrets replaced in the request line and the Referer: by
their value (a valid API key, its digest in API_KEY_HASHES; the API's database password),
whatever the parameter's name, and by the name (key, api_key, token, password, ...),
whatever the value. Keys sent the right way (Authorization: Bearer, X-API-Key), cookies and
Basic credentials are never in the line at all.

    127.0.0.1 - [07/Dec/2026:23:07:26 +0000] "GET /api/v1/interactions/1 HTTP/1.1" 200 72
    "-" "curl/8.5" 1.2ms 9cd1089017c346eebe07704aebe7e8f3

The last two fields are the time the app took (to the response's first byte) and the
request's X-Request-ID. register() wraps the app's WSGI callable, so a request that fails in
the app (a 500) is logged too; a request Granian rejects before the app is not.
"""

import os
import re
import time
from urllib.parse import unquote_plus

from api import config
from api.auth import EXTENSION as KEYS
from api.request_id import HEADER as REQUEST_ID_HEADER
from core.api_keys import digest

REDACTED = "[redacted]"
# A query parameter whose name contains one of these (any case) holds a secret.
SECRET_NAME = re.compile(r"key|token|secret|passw|pwd|auth|sig|session|credential", re.IGNORECASE)
_PARAMETER = re.compile(r"(?P<name>[^&=;#\s]*)(?P<equals>=)(?P<value>[^&;#\s]*)")
_REQUEST_ID = REQUEST_ID_HEADER.lower()


class Secrets:
    """The values never to log: the valid API keys (known by their digests) and the
    passwords the API was given."""

    def __init__(self, key_digests=(), values=()):
        self.key_digests = frozenset(key_digests)
        self.values = frozenset(value for value in values if value)

    def __contains__(self, value: str) -> bool:
        if not value:
            return False
        return value in self.values or (
            bool(self.key_digests) and digest(value) in self.key_digests
        )


NO_SECRETS = Secrets()


def redact_query(query: str, secrets: Secrets = NO_SECRETS) -> str:
    """`a=1&api_key=abc` -> `a=1&api_key=[redacted]`, and `k=<a valid key>` ->
    `k=[redacted]`."""

    def replace(match: re.Match) -> str:
        if SECRET_NAME.search(match["name"]) or unquote_plus(match["value"]) in secrets:
            return f"{match['name']}={REDACTED}"
        return match[0]

    return _PARAMETER.sub(replace, query)


def redact_url(url: str, secrets: Secrets = NO_SECRETS) -> str:
    """The query part of a URL or request target redacted; the rest as it is."""
    if not url or "?" not in url:
        return url
    path, _, query = url.partition("?")
    return f"{path}?{redact_query(query, secrets)}"


# Characters of the client's text (request target, Referer, User-Agent) a line keeps of each.
MAX_FIELD = 2000


def _printable(text: str) -> str:
    """No control character or quote from the client in the line (no forged lines), and at
    most MAX_FIELD characters of it (a long query string does not flood the log)."""
    if text.isascii() and text.isprintable() and '"' not in text and len(text) <= MAX_FIELD:
        return text  # the common case, as it is (the rest gives the same for it, slower)
    if len(text) > MAX_FIELD:
        text = f"{text[:MAX_FIELD]}...[{len(text) - MAX_FIELD} more]"
    return text.encode("unicode_escape").decode("ascii").replace('"', "\\x22")


def line(
    environ: dict, status: str, headers: list, seconds: float, secrets: Secrets = NO_SECRETS
) -> str:
    target = environ.get("RAW_URI") or environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    if query and "?" not in target:
        target = f"{target}?{query}"
    length = request_id = "-"
    for name, value in headers:
        lowered = name.lower()
        if lowered == "content-length":
            length = value
        elif lowered == _REQUEST_ID:
            request_id = value
    return (
        f"{environ.get('REMOTE_ADDR', '-')} - "
        f"[{time.strftime('%d/%b/%Y:%H:%M:%S %z')}] "
        f'"{environ.get("REQUEST_METHOD", "-")} {_printable(redact_url(target, secrets))} '
        f'{environ.get("SERVER_PROTOCOL", "-")}" {status.split(" ", 1)[0]} '
        f"{length} "
        f'"{_printable(redact_url(environ.get("HTTP_REFERER", "-"), secrets))}" '
        f'"{_printable(environ.get("HTTP_USER_AGENT", "-"))}" '
        f"{seconds * 1000:.1f}ms {request_id}"
    )


def write(text: str) -> None:
    """One line onto the server's stderr (file descriptor 2) in one write: no lock and no
    buffer shared by the worker's threads (through `logging`, the handler's lock cost a
    quarter of a cached answer's throughput); lines of different workers never interleave."""
    data = f"{text}\n".encode("utf-8", "backslashreplace")
    while data:
        data = data[os.write(2, data) :]


class AccessLog:
    """WSGI middleware: the wrapped app's answers, each logged once its status is known."""

    def __init__(self, wsgi_app, secrets: Secrets = NO_SECRETS):
        self.wsgi_app = wsgi_app
        self.secrets = secrets

    def __call__(self, environ, start_response):
        started = time.perf_counter()

        def logged_start_response(status, headers, exc_info=None):
            write(line(environ, status, headers, time.perf_counter() - started, self.secrets))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, logged_start_response)


def register(app) -> None:
    """Log the app's answers, one line each on the server's stderr (not under Flask's test
    client: app.testing)."""
    if not app.testing:
        entries = app.extensions.get(KEYS) or ()
        secrets = Secrets([entry.digest for entry in entries], [config.db_password(app.config)])
        app.wsgi_app = AccessLog(app.wsgi_app, secrets)
