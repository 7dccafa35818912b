"""Every answer of the served API is the documented JSON error or a route's own answer, as
`interactions serve` runs it (Granian, API keys on), sent as raw bytes:

- what Granian rejects before the app sees it (request line and headers over 64 KiB, over 100
  header fields, a malformed request line or header) is Granian's status with an empty body,
  and the worker goes on serving; everything a browser sends reaches the app, whose every
  answer is JSON with an X-Request-ID and the security headers;
- no answer is a redirect or names the client's Host (`//` and other empty path segments are
  404 JSON);
- a client's SCRIPT_NAME header moves nothing: the key check sees the whole path;
- HEAD is GET without a body; OPTIONS is 204 with Allow; other methods are 405 JSON.
"""

import hashlib
import json
import re
import socket
import time

import pytest

from api.website import SECURITY_HEADERS
from core import serving
from tests.load import ApiServer

KEY = "edge-test-key"
AUTH = f"Authorization: Bearer {KEY}\r\n".encode()
CUSTOMER_1 = b'{"data":{"customer_id":1,"interactions":{"Email":1,"Call":0,"Bird":0}}}\n'
NEEDS_KEY = (
    b'{"error":{"status":401,"message":"an API key is required: send it as '
    b"'Authorization: Bearer <key>' or 'X-API-Key: <key>'\"}}\n"
)

pytestmark = pytest.mark.parametrize("sample_warehouse", ["duckdb"], indirect=True)
FIELDS = range(serving.MAX_HEADER_FIELDS + 1)


@pytest.fixture
def server(sample_warehouse, tmp_path):
    environ = {
        **sample_warehouse.environ,
        "API_KEY_HASHES": hashlib.sha256(KEY.encode()).hexdigest(),
        "HOME": str(tmp_path),
    }
    server = ApiServer(environ, tmp_path / "serve.log", workers=1)
    yield server
    server.stop()


class Answer:
    def __init__(self, raw: bytes):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def json(self):
        return json.loads(self.body)


def send(server, request: bytes) -> Answer:
    """`request` as written, on its own connection; the whole answer (the server closes)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return Answer(received)


def get(path: bytes, headers: bytes = b"", method: bytes = b"GET") -> bytes:
    return (
        method
        + b" "
        + path
        + b" HTTP/1.1\r\nHost: evil.example\r\n"
        + headers
        + (b"Connection: close\r\n\r\n")
    )


def of_size(size: int, path: bytes, headers: bytes) -> bytes:
    """A GET of `path` with `headers` and an X-Pad header that make it `size` bytes long."""
    bare = get(path, headers + b"X-Pad: \r\n")
    return get(path, headers + b"X-Pad: " + b"p" * (size - len(bare)) + b"\r\n")


def assert_json_error(answer: Answer, status: int, message: str):
    assert answer.status == status
    assert (
        answer.body
        == (
            json.dumps({"error": {"status": status, "message": message}}, separators=(",", ":"))
            + "\n"
        ).encode()
    )
    assert answer.headers["content-type"] == "application/json"
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"])
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers[name.lower()] == value, name
    assert "location" not in answer.headers


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (of_size(2 * serving.HTTP1_BUFFER_BYTES, b"/api/v1/channels", AUTH), 431),
        (get(b"/api/v1/channels", AUTH + b"".join(b"X-%d: a\r\n" % i for i in FIELDS)), 431),
        (get(b"/api/v1/channels?q=" + b"a" * 2 * serving.HTTP1_BUFFER_BYTES, AUTH), 431),
        (get(b"/api/v1/channels?q=" + b"a" * 70_000, AUTH), 414),  # a URI over 65,534 bytes
        (b"GARBAGE\r\n\r\n", 400),
        (get(b"/api/v1/channels", b"Bad Header Name: x\r\n"), 400),
        (get(b"/api/v1/channels", b"X-Fold: a\r\n  folded\r\n"), 400),
        (get(b"/api/v1/channels?api_key=" + KEY.encode() + b" x", AUTH), 400),
    ],
    ids=[
        "431-huge-header",
        "431-150-headers",
        "431-huge-query",
        "414-long-uri",
        "400-garbage",
        "400-header-name",
        "400-folding",
        "400-key-in-bad-line",
    ],
)
def test_what_granian_rejects_is_its_status_with_an_empty_body(server, request_bytes, status):
    """What Granian cannot read or will not hold (request line and headers of twice its
    buffer, over 100 header fields, bytes that are not HTTP/1.1) never reaches the app:
    Granian's status, an empty body (docs/API.md). The worker goes on serving, and no log holds the
    client's bytes."""
    answer = send(server, request_bytes)
    assert (answer.status, answer.body) == (status, b"")
    assert send(server, get(b"/api/v1/interactions/1", AUTH)).body == CUSTOMER_1
    server.stop()
    log = server.log()
    assert KEY not in log
    assert "Traceback" not in log


def test_a_browsers_large_request_reaches_the_app(server):
    """What a browser may send (32 KB of cookies, a 16 KB header, 60 header fields, a query
    string of 10,000 characters) reaches the app, which answers in JSON: a query value over
    the API's own limit is its 400. A request of exactly the server's limit reaches it too."""
    cookies = b"Cookie: " + b"; ".join(b"c%d=%s" % (i, b"v" * 4000) for i in range(8)) + b"\r\n"
    many = b"".join(b"X-%d: a\r\n" % i for i in range(60))
    big = AUTH + cookies + b"X-Big: " + b"a" * 16_000 + b"\r\n" + many
    assert send(server, get(b"/api/v1/interactions/1", big)).body == CUSTOMER_1
    exact = of_size(serving.HTTP1_BUFFER_BYTES, b"/api/v1/interactions/1", AUTH)
    assert len(exact) == serving.HTTP1_BUFFER_BYTES
    assert send(server, exact).body == CUSTOMER_1
    assert_json_error(
        send(server, get(b"/api/v1/customers?q=" + b"a" * 10_000, big)),
        400,
        "q must be at most 200 characters",
    )


@pytest.mark.parametrize(
    "path",
    [
        b"//static/app.js",
        b"/static//app.js",
        b"//api/v1/interactions/1",
        b"/api//v1/interactions/1",
        b"/api/v1//interactions/1",
        b"///",
    ],
)
def test_empty_path_segments_are_404_never_a_redirect(server, path):
    answer = send(server, get(path, AUTH))
    assert_json_error(answer, 404, f"no such endpoint: {path.decode()}")
    assert b"evil.example" not in answer.body


def test_a_client_script_name_header_moves_nothing(server):
    # Without a key the whole path is still under /api/: 401, not a 404 on "/v1/...".
    answer = send(server, get(b"/api/v1/interactions/1", b"SCRIPT_NAME: /api\r\n"))
    assert answer.status == 401
    assert answer.body == NEEDS_KEY
    answer = send(server, get(b"/api/v1/interactions/1", AUTH + b"SCRIPT_NAME: /api\r\n"))
    assert (answer.status, answer.body) == (200, CUSTOMER_1)
    answer = send(server, get(b"/api/v1/interactions/1", AUTH + b"PATH_INFO: /health\r\n"))
    assert (answer.status, answer.body) == (200, CUSTOMER_1)


def test_head_options_and_other_methods(server):
    got = send(server, get(b"/api/v1/interactions/1", AUTH))
    head = send(server, get(b"/api/v1/interactions/1", AUTH, method=b"HEAD"))
    assert (head.status, head.body) == (200, b"")
    volatile = {"date", "x-request-id"}
    assert {k: v for k, v in head.headers.items() if k not in volatile} == {
        k: v for k, v in got.headers.items() if k not in volatile
    }
    for path in (b"/api/v1/interactions/1", b"/", b"/health"):
        options = send(server, get(path, AUTH, method=b"OPTIONS"))
        assert (options.status, options.body) == (204, b""), path
        assert options.headers["allow"] == "GET, HEAD, OPTIONS"
        assert "content-type" not in options.headers
        assert "access-control-allow-origin" not in options.headers
    # With keys on, /api/ needs the key for HEAD and OPTIONS too.
    for method in (b"HEAD", b"OPTIONS"):
        assert send(server, get(b"/api/v1/interactions/1", method=method)).status == 401
    answer = send(server, get(b"/api/v1/interactions/1", AUTH, method=b"DELETE"))
    assert_json_error(
        answer,
        405,
        "method DELETE is not allowed on /api/v1/interactions/1 (allowed: GET, HEAD, OPTIONS)",
    )
    assert answer.headers["allow"] == "GET, HEAD, OPTIONS"


def test_half_sent_requests_hold_no_worker_and_are_dropped(server):
    """Twenty connections that send part of a request, then nothing (slowloris), against one
    worker: another request is answered at once, and each of them is closed once its
    HEADER_READ_SECONDS are over."""
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(20)]
    try:
        for connection in idle:
            connection.sendall(b"GET /api/v1/channels HTTP/1.1\r\nHost: x\r\nX-Half: ")
        started = time.monotonic()
        assert send(server, get(b"/api/v1/interactions/1", AUTH)).body == CUSTOMER_1
        assert time.monotonic() - started < 2
        for connection in idle:
            assert connection.recv(1024) == b""  # closed by the server, nothing answered
        assert time.monotonic() - started < serving.HEADER_READ_SECONDS + 3
    finally:
        for connection in idle:
            connection.close()
