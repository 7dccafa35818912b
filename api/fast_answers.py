"""The answers the live build keeps, sent before Flask, as plain WSGI: GET
/api/v1/interactions/{customer_id} (no query) from the answer file, and every answer kept per
build (api/data_version.kept_per_build: the channels, the topics, data quality, per customer
type) to a request for the same path and query string as the one it was kept for.

Flask's request and response objects, URL routing and hooks cost more than the whole answer
(the kept bodies are ready to send: api/cache.py). This layer, which wraps the Flask app,
answers such a request itself when the answer is certain to be the one Flask would give, a
200 kept for the live build; anything else is passed to Flask unchanged: another path or
method, an If-None-Match, a customer id not written as Flask's canonical digits, a request
without a valid key (API keys on) or to a Host that is not this machine (keys off:
api/hosts.py), a worker whose answer file is not mapped yet, a customer the file does not
have (Flask's 404), a target no answer was kept for. The rules are the modules' own
(auth.given_keys and scope_of, hosts.allowed, request_id.chosen, data_version.answer_headers,
website.SECURITY_HEADERS), and tests/test_fast_answers.py checks that the headers and bodies
are Flask's, byte for byte.
"""

import re

from api import auth, hosts, request_id, website
from api.cache import existing_cache
from api.data_version import answer_headers
from api.params import MAX_ID

# The path Flask's /api/v1/interactions/<customer_id> answers from the answer file, for ids
# written as Flask's own canonical digits (no leading zero) and surely at most MAX_ID.
_PATH = re.compile(rf"/api/v1/interactions/([1-9][0-9]{{0,{len(str(MAX_ID)) - 2}}})")
_CONTENT_TYPE = ("Content-Type", "application/json")
_SECURITY_HEADERS = list(website.SECURITY_HEADERS.items())
_OK = "200 OK"


class FastAnswers:
    """WSGI middleware in front of the Flask app's wsgi_app (`inner`)."""

    def __init__(self, app, inner):
        self.app = app
        self.inner = inner
        self.keys = app.extensions.get(auth.EXTENSION)  # None: API keys off
        self.loopback_only = app.extensions.get(hosts.EXTENSION, True)
        self._headers = (None, [])  # (build, the headers of its answers but two)

    def __call__(self, environ, start_response):
        answer = self._answer(environ)
        if answer is None:
            return self.inner(environ, start_response)
        build, body = answer
        known, headers = self._headers
        if known is not build:
            headers = [*answer_headers(build), *_SECURITY_HEADERS]
            self._headers = (build, headers)
        given_id = environ.get("HTTP_X_REQUEST_ID", "")
        start_response(
            _OK,
            [
                _CONTENT_TYPE,
                ("Content-Length", str(len(body))),
                *headers,
                (request_id.HEADER, request_id.chosen(given_id)),
            ],
        )
        return [body]

    def _answer(self, environ):
        """(build, body) when this request is answered here, else None."""
        if environ.get("REQUEST_METHOD") != "GET" or "HTTP_IF_NONE_MATCH" in environ:
            return None
        path = environ.get("PATH_INFO", "")
        cache = existing_cache(self.app) if path.startswith(auth.PROTECTED_PREFIX) else None
        if cache is None:
            return None
        query = environ.get("QUERY_STRING", "")
        match = None if query else _PATH.fullmatch(path)
        if match is not None:
            snapshot = cache.live_snapshot()
            body = snapshot.bodies.get(int(match[1])) if snapshot is not None else None
            answer = None if body is None else (snapshot.build, body)
        else:
            kept = cache.kept_for_target((path, query))
            answer = None if kept is None or kept.build is None else (kept.build, kept.body)
        # The key is checked last: a request Flask answers has its key checked once.
        return answer if answer is not None and self._may_read(environ) else None

    def _may_read(self, environ) -> bool:
        """A valid key (API keys on), or a Host of this machine (keys off, api/hosts.py)."""
        if self.keys is not None:
            keys = auth.given_keys(
                environ.get("HTTP_AUTHORIZATION", ""), environ.get("HTTP_X_API_KEY", "")
            )
            return bool(keys) and auth.scope_of(keys, self.keys) is not None
        return not self.loopback_only or hosts.allowed(environ.get("HTTP_HOST", ""))


def register(app) -> None:
    """After auth and hosts (whose settings it reads), before the access log (which logs the
    answers given here too)."""
    app.wsgi_app = FastAnswers(app, app.wsgi_app)
