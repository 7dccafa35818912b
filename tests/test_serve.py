"""`interactions serve` is closed by default: it listens on 127.0.0.1 unless HOST says
otherwise, refuses to listen beyond this machine without API keys (unless
API_ALLOW_ANONYMOUS=true), and runs Granian: the app on a few threads per worker, its
access log written by the app, a failed worker replaced, requests in flight answered at a
stop."""

from pathlib import Path
from unittest import mock

import pytest

from interactions import cli
from tests.load import ApiServer, listening_sockets

KEY_HASHES = "a" * 64


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on `port`."""
    return {address for address, listening, _ in listening_sockets() if listening == port}


def test_a_fresh_install_listens_on_loopback_only(tmp_path, monkeypatch):
    """No HOST: the server answers on 127.0.0.1 and listens on no other address; and it
    leaves nothing in the user's home."""
    environ = {"HOME": str(tmp_path / "home"), "WAREHOUSE": "duckdb"}
    (tmp_path / "home").mkdir()
    environ["DUCKDB_PATH"] = str(tmp_path / "none.duckdb")
    monkeypatch.delenv("API_KEY_HASHES", raising=False)
    monkeypatch.delenv("API_ALLOW_ANONYMOUS", raising=False)
    server = ApiServer(environ, tmp_path / "serve.log", workers=1, host=None)
    try:
        assert listening_addresses(server.port) == {"127.0.0.1"}
        assert list((tmp_path / "home").iterdir()) == []
    finally:
        server.stop()


def serve_argv(monkeypatch, environ: dict[str, str]) -> list[str] | None:
    """The Granian command line `interactions serve` would exec with `environ`, or None
    when it refuses to start."""
    for name in ("HOST", "API_KEY_HASHES", "API_ALLOW_ANONYMOUS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("WAREHOUSE", "duckdb")
    execv = mock.Mock()
    monkeypatch.setattr(cli.os, "execv", execv)
    if cli.main(["serve"]) != 0:
        execv.assert_not_called()
        return None
    [(_, argv)] = [call.args for call in execv.call_args_list]
    return argv


@pytest.mark.parametrize(
    ("environ", "bind"),
    [
        ({}, ("127.0.0.1", "5000")),
        ({"HOST": "localhost"}, ("127.0.0.1", "5000")),
        ({"HOST": "::1"}, ("::1", "5000")),
        ({"HOST": "[::1]"}, ("::1", "5000")),
        ({"HOST": "127.0.0.2", "PORT": "8080"}, ("127.0.0.2", "8080")),
        ({"HOST": "0.0.0.0", "API_KEY_HASHES": KEY_HASHES}, ("0.0.0.0", "5000")),  # noqa: S104
        ({"HOST": "0.0.0.0", "API_ALLOW_ANONYMOUS": "true"}, ("0.0.0.0", "5000")),  # noqa: S104
        ({"HOST": "::", "API_ALLOW_ANONYMOUS": "TRUE"}, ("::", "5000")),
    ],
)
def test_serve_binds_where_it_may(monkeypatch, environ, bind):
    argv = serve_argv(monkeypatch, {"PORT": "5000", **environ})
    assert argv is not None
    assert (argv[argv.index("--host") + 1], argv[argv.index("--port") + 1]) == bind


def test_serve_runs_the_app_on_granian_with_bounded_threads(monkeypatch):
    """The app factory on Granian's WSGI interface, 2 workers of 2 threads unless
    WEB_CONCURRENCY and WEB_THREADS say otherwise (never Granian's own default of hundreds),
    failed workers replaced, the access log the app's own."""
    argv = serve_argv(monkeypatch, {})
    assert Path(argv[0]).name == "granian"
    assert argv[-1] == "api:create_app"

    def option(name):
        return argv[argv.index(name) + 1]

    assert option("--interface") == "wsgi"
    assert (option("--workers"), option("--blocking-threads")) == ("2", "2")
    for flag in ("--factory", "--respawn-failed-workers", "--no-access-log", "--no-ws"):
        assert flag in argv
    argv = serve_argv(monkeypatch, {"WEB_CONCURRENCY": "3", "WEB_THREADS": "4"})
    assert (option("--workers"), option("--blocking-threads")) == ("3", "4")


def test_a_host_that_is_not_an_address_is_refused(monkeypatch, capsys):
    assert (
        serve_argv(monkeypatch, {"HOST": "example.internal", "API_KEY_HASHES": KEY_HASHES}) is None
    )
    assert capsys.readouterr().err == (
        "interactions serve: HOST=example.internal is not an IP address: set HOST to the "
        "address to listen on (127.0.0.1, 0.0.0.0, ::1, ...)\n"
    )


@pytest.mark.parametrize(
    "environ",
    [
        {"HOST": "0.0.0.0"},  # noqa: S104
        {"HOST": "::"},
        {"HOST": "192.168.1.20"},
        {"HOST": "example.internal"},
        {"HOST": "0.0.0.0", "API_ALLOW_ANONYMOUS": "yes"},  # noqa: S104 - only "true" counts
    ],
)
def test_serving_the_network_without_keys_is_refused(monkeypatch, capsys, environ):
    assert serve_argv(monkeypatch, environ) is None
    host = environ["HOST"]
    assert capsys.readouterr().err == (
        f"interactions serve: HOST={host} would let other machines reach the API, and API keys "
        "are off (API_KEY_HASHES is not set): set API_KEY_HASHES (`interactions apikey new` "
        "prints a key and its digest), or set API_ALLOW_ANONYMOUS=true to serve anyone who "
        "can reach it, or leave HOST unset to listen on 127.0.0.1 only\n"
    )


def test_the_container_image_listens_on_every_interface_with_keys():
    root = Path(__file__).resolve().parents[1]
    assert "HOST=0.0.0.0" in (root / "Dockerfile").read_text()
    compose = (root / "docker-compose.yml").read_text()
    assert "HOST: 0.0.0.0" in compose
    assert "API_KEY_HASHES: ${API_KEY_HASHES:?" in compose


def test_no_key_sent_in_any_position_reaches_the_log(tmp_path, monkeypatch):
    """A key in the query (any secret-looking name), in the right headers, as a Basic user, in
    a cookie or in the Referer: the server's whole output (access log and app log) never holds
    it; the access log still shows the requests, the secrets redacted."""
    import base64
    import hashlib
    import http.client

    key = "s3cret-" + "k" * 30
    password = "database-password-9"
    monkeypatch.delenv("API_ALLOW_ANONYMOUS", raising=False)
    environ = {
        "WAREHOUSE": "duckdb",
        "DUCKDB_PATH": str(tmp_path / "none.duckdb"),
        "API_KEY_HASHES": hashlib.sha256(key.encode()).hexdigest(),
        "API_DB_PASSWORD": password,
        "HOME": str(tmp_path),
    }
    server = ApiServer(environ, tmp_path / "serve.log", workers=1)
    basic = base64.b64encode(f"{key}:x".encode()).decode()
    requests = [
        ("/api/v1/channels?api_key=" + key, {}),
        ("/api/v1/channels?limit=1&token=" + key, {}),
        ("/api/v1/channels?API_KEY=" + key + "&x=1", {}),
        ("/api/v1/channels?access_token=" + key, {}),
        ("/api/v1/channels?password=" + key, {}),
        # Issue 32, finding 15: by value, whatever the name (a valid key, the password).
        ("/api/v1/channels?bearer=" + key, {}),
        ("/api/v1/channels?pw=" + key, {}),
        ("/api/v1/channels?k=" + key.replace("-", "%2D"), {}),
        ("/api/v1/channels?x=1&q=" + password, {}),
        ("/api/v1/channels", {"Authorization": f"Bearer {key}"}),
        ("/api/v1/channels", {"X-API-Key": key}),
        ("/api/v1/channels", {"Authorization": f"Basic {basic}"}),
        ("/api/v1/channels", {"Cookie": f"key={key}"}),
        ("/api/v1/channels", {"Referer": f"http://example.test/page?key={key}"}),
    ]
    try:
        for path, headers in requests:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            connection.request("GET", path, headers=headers)
            connection.getresponse().read()
            connection.close()
    finally:
        server.stop()  # the workers have written every line of the log
    log = server.log()
    assert key not in log
    assert key.replace("-", "%2D") not in log
    assert password not in log
    assert base64.b64encode(key.encode()).decode()[:20] not in log
    assert "GET /api/v1/channels?k=[redacted] HTTP/1.1" in log
    assert "GET /api/v1/channels?x=1&q=[redacted] HTTP/1.1" in log
    assert "GET /api/v1/channels?api_key=[redacted] HTTP/1.1" in log
    assert "GET /api/v1/channels?limit=1&token=[redacted] HTTP/1.1" in log
    assert "http://example.test/page?key=[redacted]" in log
    assert log.count('"GET /api/v1/channels') == len(requests)


@pytest.mark.stress  # a kill: make test-fast leaves it out
def test_a_worker_that_dies_is_replaced(tmp_path, monkeypatch):
    """SIGKILL the only worker: Granian starts another, which answers."""
    import os
    import signal
    import time
    import urllib.request

    monkeypatch.delenv("API_KEY_HASHES", raising=False)
    environ = {"WAREHOUSE": "duckdb", "DUCKDB_PATH": str(tmp_path / "none.duckdb")}
    server = ApiServer(environ, tmp_path / "serve.log", workers=1)
    try:
        [worker] = server.worker_pids()
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while server.worker_pids() in (set(), {worker}):
            assert time.monotonic() < deadline, server.log()[-2000:]
            time.sleep(0.1)
        [replacement] = server.worker_pids()
        while True:
            try:
                with urllib.request.urlopen(f"{server.url}/health", timeout=2) as answer:  # noqa: S310
                    assert answer.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, server.log()[-2000:]
                time.sleep(0.1)
        assert server.worker_pids() == {replacement} != {worker}
    finally:
        server.stop()


def test_the_documents_state_the_servers_limits():
    """README, docs/API.md, docs/OPERATIONS.md and the OpenAPI document give the limits
    `interactions serve` sets (core/serving.py)."""
    from api import create_app
    from core import serving

    root = Path(__file__).resolve().parents[1]
    limits = (f"{serving.HTTP1_BUFFER_BYTES:,} bytes", f"{serving.MAX_HEADER_FIELDS} header fields")
    for document in ("README.md", "docs/API.md", "docs/OPERATIONS.md"):
        text = " ".join((root / document).read_text().split())
        for limit in limits:
            assert limit in text, (document, limit)
    document = create_app({"TESTING": True}).test_client().get("/api/v1/openapi.json").get_json()
    default = document["paths"]["/api/v1/channels"]["get"]["responses"]["default"]
    for limit in limits:
        assert limit in default["description"], limit


def test_an_access_line_is_one_line_of_bounded_length():
    """A client's text in the access log: quotes and line breaks escaped (no forged line), each
    field cut at 2,000 characters, secrets redacted before the cut."""
    import re

    from api.access_log import line

    environ = {
        "REMOTE_ADDR": "127.0.0.1",
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/api/v1/customers",
        "QUERY_STRING": "q=" + "a" * 3000 + "&token=s3cret",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_USER_AGENT": 'x"\n127.0.0.1 - forged',
    }
    text = line(environ, "200 OK", [("Content-Length", "5"), ("X-Request-ID", "r1")], 0.0012)
    assert re.fullmatch(
        r'127\.0\.0\.1 - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET '
        + re.escape("/api/v1/customers?q=" + "a" * 1980 + "...[1037 more]")
        + re.escape(' HTTP/1.1" 200 5 "-" "x\\x22\\n127.0.0.1 - forged" 1.2ms r1'),
        text,
    )
