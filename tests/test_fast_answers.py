"""GET /api/v1/interactions/{customer_id} answered before Flask (api/fast_answers.py): the
same status, headers and body as Flask gives, byte for byte, for every request; and Flask
itself is not called for the answers the answer file gives."""

import pytest

from api import cache as cache_module
from api import fast_answers
from core.api_keys import digest
from tests.test_cache import wait_for

READ_KEY = "read-key-for-the-fast-path"
ADMIN_KEY = "admin-key-for-the-fast-path"
REQUEST_ID = {"X-Request-ID": "fixed-id"}
# (path, headers, answered before Flask)
REQUESTS = [
    ("/api/v1/interactions/1", REQUEST_ID, True),
    ("/api/v1/interactions/4", REQUEST_ID, True),
    ("/api/v1/interactions/12", REQUEST_ID, True),
    ("/api/v1/interactions/2", {"X-Request-ID": "not sane!"}, True),  # a new id: not compared
    ("/api/v1/interactions/999", REQUEST_ID, False),  # 404: Flask's
    ("/api/v1/interactions/01", REQUEST_ID, False),  # not canonical: Flask reads it as 1
    ("/api/v1/interactions/0", REQUEST_ID, False),
    ("/api/v1/interactions/1?format=csv", REQUEST_ID, False),
    # A customer's topics, and one topic, from the answer file of topics.
    ("/api/v1/interactions/1/topics", REQUEST_ID, True),
    ("/api/v1/interactions/4/topics", REQUEST_ID, True),
    ("/api/v1/interactions/2/topics", REQUEST_ID, True),  # no interactions: no topics
    ("/api/v1/interactions/999/topics", REQUEST_ID, False),  # 404
    ("/api/v1/interactions/1/topics?format=csv", REQUEST_ID, False),
    ("/api/v1/interactions/4?topic=Unknown", REQUEST_ID, True),
    ("/api/v1/interactions/1?topic=Unknown", REQUEST_ID, True),
    ("/api/v1/interactions/2?topic=Unknown", REQUEST_ID, True),  # zeros
    ("/api/v1/interactions/1?topic=%20Unknown+", REQUEST_ID, True),  # read stripped
    ("/api/v1/interactions/999?topic=Unknown", REQUEST_ID, False),  # 404
    ("/api/v1/interactions/1?topic=Nope", REQUEST_ID, False),  # 404
    ("/api/v1/interactions/1?topic=", REQUEST_ID, False),  # 400
    ("/api/v1/interactions/1?topic=Unknown&topic=Sand", REQUEST_ID, False),
    ("/api/v1/interactions/1?topic=%FF", REQUEST_ID, False),
    ("/api/v1/interactions/1?topic=Unknown&format=csv", REQUEST_ID, False),
    # Pages of customers (no q, no format) from the answer file of customers.
    ("/api/v1/customers", REQUEST_ID, True),
    ("/api/v1/customers?limit=2", REQUEST_ID, True),
    ("/api/v1/customers?limit=2&cursor=3", REQUEST_ID, True),
    ("/api/v1/customers?cursor=3&limit=2", REQUEST_ID, True),
    ("/api/v1/customers?cursor=11", REQUEST_ID, True),
    ("/api/v1/customers?cursor=12", REQUEST_ID, True),  # after the last: an empty page
    ("/api/v1/customers?limit=500&cursor=9223372036854775", REQUEST_ID, True),
    ("/api/v1/customers?limit=501", REQUEST_ID, False),  # 400
    ("/api/v1/customers?limit=02", REQUEST_ID, False),
    ("/api/v1/customers?cursor=0", REQUEST_ID, False),  # 400
    ("/api/v1/customers?q=jedi", REQUEST_ID, False),
    ("/api/v1/customers?format=csv", REQUEST_ID, False),
    ("/api/v1/interactions/1/", REQUEST_ID, False),
    ("/api/v1/interactions/9223372036854775808", REQUEST_ID, False),  # 400: too large
    ("/api/v1/interactions/1", {**REQUEST_ID, "If-None-Match": "*"}, False),  # 304
    ("/api/v1/interactions/1", {**REQUEST_ID, "Host": "evil.example"}, False),  # 421
    # Answers kept per build: Flask's the first time, then the kept one for the same target.
    ("/api/v1/channels", REQUEST_ID, False),
    ("/api/v1/channels", REQUEST_ID, True),
    ("/api/v1/channels?x=1", REQUEST_ID, False),  # another target: Flask's (then kept)
    ("/api/v1/channels?x=1", REQUEST_ID, True),
    ("/api/v1/topics", REQUEST_ID, False),
    ("/api/v1/topics", REQUEST_ID, True),
    ("/api/v1/data-quality", REQUEST_ID, False),
    ("/api/v1/data-quality", REQUEST_ID, True),
    ("/api/v1/interactions/by-customer-type", REQUEST_ID, False),
    ("/api/v1/interactions/by-customer-type", REQUEST_ID, True),
    ("/api/v1/interactions/by-customer-type?topic=Unknown", REQUEST_ID, False),
    ("/api/v1/interactions/by-customer-type?topic=Unknown", REQUEST_ID, True),
    ("/api/v1/interactions/by-customer-type?topic=Nope", REQUEST_ID, False),  # 404: never kept
    ("/api/v1/interactions/by-customer-type?topic=Nope", REQUEST_ID, False),
    ("/api/v1/interactions/by-customer-type?format=csv", REQUEST_ID, False),  # a download
    ("/api/v1/interactions/by-customer-type?format=csv", REQUEST_ID, False),
    ("/api/v1/topics", {**REQUEST_ID, "Host": "evil.example"}, False),  # 421
]


def loaded(app, client, headers=REQUEST_ID):
    """The answer file mapped by this process (made on the first request)."""
    client.get("/api/v1/interactions/1", headers=headers)
    with app.app_context():
        cache = cache_module.get_cache()
    assert wait_for(lambda: cache.live_snapshot() is not None, 10)


def result(response, sent: dict):
    """(status, headers, body), the X-Request-ID left out when the request sent no fixed id
    (a new id each time)."""
    headers = list(response.headers)
    if sent.get("X-Request-ID") != REQUEST_ID["X-Request-ID"]:
        headers = [(name, value) for name, value in headers if name != "X-Request-ID"]
    return response.status, headers, response.get_data()


def answers(app, client, requests):
    """[(status, headers, body)] for each request, and which Flask did not see."""
    seen = []
    inner = app.wsgi_app.inner

    def flask(environ, start_response):
        seen.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    app.wsgi_app.inner = flask
    try:
        results, fast = [], []
        for path, headers, _fast in requests:
            seen.clear()
            results.append(result(client.get(path, headers=headers), headers))
            fast.append(not seen)
        return results, fast
    finally:
        app.wsgi_app.inner = inner


def flask_alone(app, client, requests):
    fast_path = app.wsgi_app
    app.wsgi_app = fast_path.inner
    try:
        return [result(client.get(path, headers=headers), headers) for path, headers, _ in requests]
    finally:
        app.wsgi_app = fast_path


def test_the_answer_files_answers_are_flasks_byte_for_byte(sample, app, client):
    assert isinstance(app.wsgi_app, fast_answers.FastAnswers)
    loaded(app, client)
    given, fast = answers(app, client, REQUESTS)
    assert fast == [expected for _path, _headers, expected in REQUESTS]
    assert given == flask_alone(app, client, REQUESTS)
    status, headers, body = given[0]
    assert status == "200 OK"
    assert body == b'{"data":{"customer_id":1,"interactions":{"Email":1,"Call":0,"Bird":0}}}\n'
    assert [name for name, _ in headers][:5] == [
        "Content-Type",
        "Content-Length",
        "X-Data-Version",
        "ETag",
        "Cache-Control",
    ]


@pytest.fixture
def keyed_app(monkeypatch):
    from api import create_app
    from api.warehouse import close_reader

    monkeypatch.setenv("API_KEY_HASHES", f"{digest(READ_KEY)},{digest(ADMIN_KEY)}:admin")
    app = create_app({"TESTING": True})
    yield app
    close_reader(app)


def test_with_keys_only_a_valid_key_is_answered_before_flask(sample, keyed_app):
    client = keyed_app.test_client()
    bearer = {"Authorization": f"Bearer {READ_KEY}"}
    loaded_headers = {**REQUEST_ID, **bearer}
    loaded(keyed_app, client, loaded_headers)
    requests = [
        ("/api/v1/interactions/1", loaded_headers, True),
        ("/api/v1/interactions/1", {**REQUEST_ID, "X-API-Key": ADMIN_KEY}, True),
        ("/api/v1/interactions/1", {**REQUEST_ID, "Host": "anywhere.example", **bearer}, True),
        ("/api/v1/interactions/1", REQUEST_ID, False),  # 401
        ("/api/v1/interactions/1", {**REQUEST_ID, "X-API-Key": "wrong"}, False),  # 401
        ("/api/v1/interactions/1", {**REQUEST_ID, "Authorization": "Basic abc"}, False),
    ]
    given, fast = answers(keyed_app, client, requests)
    assert fast == [expected for _path, _headers, expected in requests]
    assert given == flask_alone(keyed_app, client, requests)
    assert [status for status, _, _ in given] == ["200 OK"] * 3 + ["401 UNAUTHORIZED"] * 3
