"""The answers the live build keeps, sent before Flask, as plain WSGI: from the answer files
(api/cache.py), GET /api/v1/interactions/{customer_id} (no query, or ?topic= alone), its
/topics (no query) and the pages of /api/v1/customers (limit and cursor only); and every
answer kept per build (api/data_version.kept_per_build: the channels, the topics, data
quality, per customer type) to a request for the same path and query string as the one it
was kept for.

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

import json
import re
from urllib.parse import parse_qsl

from api import auth, hosts, request_id, website
from api.cache import existing_cache
from api.data_version import answer_headers
from api.params import DEFAULT_LIMIT, MAX_ID, MAX_LIMIT, MAX_TEXT, NUL

# Ids and limits answered here: written as Flask's own canonical digits (no leading zero), an
# id surely at most MAX_ID, a limit at most MAX_LIMIT.
_ID = rf"[1-9][0-9]{{0,{len(str(MAX_ID)) - 2}}}"
_LIMIT = re.compile(r"[1-9][0-9]{0,2}")
# /api/v1/interactions/<customer_id> and its /topics.
_CUSTOMER_PATH = re.compile(rf"/api/v1/interactions/({_ID})(/topics)?")
_CUSTOMERS_PATH = "/api/v1/customers"
_CURSOR = re.compile(_ID)
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
        customer = _CUSTOMER_PATH.fullmatch(path)
        if customer is not None or path == _CUSTOMERS_PATH:
            if customer is None:
                answered = _customers_page(cache, query, environ)
            else:
                answered = _customer_answer(cache, int(customer[1]), customer[2], query)
            snapshot, body = answered or (None, None)
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


def _arguments(query: str) -> dict[str, str] | None:
    """The query's parameters as Werkzeug reads them (request.args), each given once; None
    when a name is repeated or the text is not UTF-8 (Flask's to answer)."""
    try:
        pairs = parse_qsl(query.encode("latin-1").decode(), keep_blank_values=True)
    except UnicodeError:
        return None
    arguments = dict(pairs)
    return arguments if len(arguments) == len(pairs) else None


# The two below decide from the request first, then look at the live build's answers (the
# first look starts their load: a request they can never answer does not).


def _customer_answer(cache, customer_id, topics, query):
    """(snapshot, body) of GET /interactions/{id} (no query, or ?topic= only) and
    /interactions/{id}/topics (no query) from the answer files; None: Flask's to answer (a
    404, a 400, another query)."""
    if not query:
        snapshot = cache.live_snapshot()
        if snapshot is None:
            return None
        return snapshot, (snapshot.topics if topics else snapshot.bodies).get(customer_id)
    arguments = _arguments(query)
    if topics or arguments is None or arguments.keys() != {"topic"}:
        return None
    topic = arguments["topic"].strip()  # as api/params.py reads it
    if not topic or len(topic) > MAX_TEXT or NUL in topic:
        return None
    snapshot = cache.live_snapshot()
    if snapshot is None or topic not in snapshot.topic_names:
        return None
    answer = snapshot.topics.get(customer_id)
    if answer is None:
        return None
    counts = json.loads(answer)["data"]["topics"].get(topic)
    if counts is None:  # a topic the customer never talked about: 0 on every channel
        channels = json.loads(snapshot.bodies.get(customer_id))["data"]["interactions"]
        counts = dict.fromkeys(channels, 0)
    return snapshot, cache.dumps({"data": {"customer_id": customer_id, "interactions": counts}})


def _customers_page(cache, query, environ):
    """(snapshot, body) of GET /customers with no more than limit and cursor (no q, no
    format) from the answer file of customers; None: Flask's to answer."""
    arguments = _arguments(query)
    if arguments is None or not arguments.keys() <= {"limit", "cursor"}:
        return None
    limit, cursor = arguments.get("limit", str(DEFAULT_LIMIT)), arguments.get("cursor")
    if not _LIMIT.fullmatch(limit) or int(limit) > MAX_LIMIT:
        return None
    if cursor is not None and not _CURSOR.fullmatch(cursor):
        return None
    snapshot = cache.live_snapshot()
    if snapshot is None:
        return None
    rows, last, more = snapshot.customers.after(int(cursor or 0), int(limit))
    next_cursor = str(last) if more else None
    next_url = None
    if more:  # as url_for("customers.list_customers", limit=, cursor=) writes it
        next_url = f"{environ.get('SCRIPT_NAME', '')}{_CUSTOMERS_PATH}?limit={limit}&cursor={last}"
    page = {"limit": int(limit), "next_cursor": next_cursor, "next": next_url}
    return snapshot, b'{"data":[' + rows[:-1] + b'],"page":' + cache.dumps(page, end="}\n")


def register(app) -> None:
    """After auth and hosts (whose settings it reads), before the access log (which logs the
    answers given here too)."""
    app.wsgi_app = FastAnswers(app, app.wsgi_app)
