"""The answer cache (api/cache.py) and the website's HTTP caching.

- In process: once a worker's copy of the live build is loaded, GET /api/v1/interactions/{id}
  runs no SQL at all, and gives exactly the warehouse's answers (404 for an unknown id, zeros
  for a customer without interactions); a ?topic= still asks the warehouse.
- Served by Granian (`interactions serve`, 2 workers), on each warehouse: both workers answer
  from their copies, then `interactions build` makes changed data live, and the next requests
  get the new answers: on DuckDB the very first request after the build (the file's identity
  is compared on every request); on PostgreSQL within api.cache.NOTIFY_SECONDS_TESTED of the
  build returning (the NOTIFY sent by the swap's transaction).
- PostgreSQL: when the listener's connection is killed the copy is not used until it listens
  again; it then re-reads built_at and keeps the copy of the unchanged build (no reload).
- The website: / and /static/* carry an ETag and Cache-Control, and a repeat load is a 304.
"""

import json
import logging
import os
import re
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import psycopg
import pytest

from api import cache as cache_module
from tests.load import ApiServer
from tests.test_rebuild_under_load import run_interactions
from tests.warehouses import copy_project, fresh_sample

SAMPLE = {
    1: {"Email": 1, "Call": 0, "Bird": 0},
    2: {"Email": 0, "Call": 0, "Bird": 0},
    3: {"Email": 1, "Call": 0, "Bird": 0},
    4: {"Email": 0, "Call": 1, "Bird": 1},
    11: {"Email": 0, "Call": 0, "Bird": 0},
    12: {"Email": 0, "Call": 0, "Bird": 0},
}
LOADED = re.compile(r"answer cache: (\d+) customers of the build")
# The file of GET /interactions/{id}'s answers (not its topics' and customers' files).
WRITTEN = re.compile(r"answer file [0-9a-f]{16}-v\d+-\d+\.answers written: (\d+) customers")


def wait_for(predicate, seconds, step=0.01):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


# --- in process --------------------------------------------------------------------------


def test_cached_answers_run_no_sql_and_equal_the_warehouse(sample, app, client):
    from api.warehouse import get_reader

    with app.app_context():
        reader = get_reader()
    calls = []
    original = reader.fetch_all

    def counted(query, **params):
        calls.append(query)
        return original(query, **params)

    # The load the first request starts waits until that request's own warehouse query is
    # done: a request still answering from the warehouse when the load ends may open the
    # file again (that is allowed); the blocks let go below are the load's.
    answered = threading.Event()
    read_snapshot = cache_module.AnswerCache._read_snapshot

    def after_the_first_answer(cache, token):
        assert answered.wait(10)
        return read_snapshot(cache, token)

    with (
        mock.patch.object(reader, "fetch_all", counted),
        mock.patch.object(cache_module.AnswerCache, "_read_snapshot", after_the_first_answer),
    ):
        first = client.get("/api/v1/interactions/1")  # no copy yet: the warehouse answers
        answered.set()
        assert first.get_json() == {"data": {"customer_id": 1, "interactions": SAMPLE[1]}}
        with app.app_context():
            cache = cache_module.get_cache()
        assert wait_for(lambda: cache.live_snapshot() is not None, 10)
        if reader.warehouse == "duckdb":  # the blocks the warehouse's answers cached: let go
            assert wait_for(lambda: reader._connection is None, 5)
        calls.clear()
        for customer_id, interactions in SAMPLE.items():
            response = client.get(f"/api/v1/interactions/{customer_id}")
            assert response.status_code == 200
            assert (
                response.get_data(as_text=True)
                == json.dumps(
                    {"data": {"customer_id": customer_id, "interactions": interactions}},
                    separators=(",", ":"),
                )
                + "\n"
            )
        missing = client.get("/api/v1/interactions/999")
        assert missing.status_code == 404
        assert missing.get_json() == {"error": {"status": 404, "message": "customer 999 not found"}}
        assert calls == []  # every answer above came from memory
        topic = client.get("/api/v1/interactions/4?topic=Unknown")
        assert topic.get_json()["data"]["interactions"] == SAMPLE[4]
        assert calls == []  # a topic, from the answer file of topics
    assert list(json.loads(cache._snapshot.bodies.get(1))["data"]["interactions"]) == [
        "Email",
        "Call",
        "Bird",
    ]
    assert list(cache._snapshot.bodies) == sorted(SAMPLE)  # every customer, no other


KEPT_PATHS = [
    "/api/v1/channels",
    "/api/v1/topics",
    "/api/v1/data-quality",
    "/api/v1/interactions/by-customer-type",
    "/api/v1/interactions/by-customer-type?topic=Unknown",
]


def test_answers_naming_no_customer_are_read_once_per_build(sample, app, client):
    """The channels, the topics, data quality and the answers per customer type are read
    from the warehouse once per build and worker, then sent from memory, the same bytes and
    headers; an unknown topic's 404 and a bad parameter are never kept."""
    from api.warehouse import get_reader

    with app.app_context():
        reader = get_reader()
        cache = cache_module.get_cache()
    # PostgreSQL: nothing is kept until the worker's listener listens.
    assert wait_for(lambda: cache.kept_answer("any")[0] is not None, 10)
    calls = []
    original = reader.fetch_all

    def counted(query, **params):
        calls.append(query)
        return original(query, **params)

    def fetched(path):
        with client.get(path) as response:
            headers = {name: response.headers.get(name) for name in ("ETag", "X-Data-Version")}
            return response.status_code, headers, response.get_data()

    with mock.patch.object(reader, "fetch_all", counted):
        first = {path: fetched(path) for path in KEPT_PATHS}
        assert {status for status, _, _ in first.values()} == {200}
        assert len(calls) >= len(KEPT_PATHS)  # each read from the warehouse
        calls.clear()
        assert {path: fetched(path) for path in KEPT_PATHS} == first
        assert calls == []  # every answer above came from memory
        for _ in range(2):
            missing = client.get("/api/v1/interactions/by-customer-type?topic=Nope")
            assert missing.status_code == 404
        assert len(calls) == 2  # a 404 is asked every time
        bad = client.get("/api/v1/interactions/by-customer-type?topic=")
        assert bad.status_code == 400
    # A new build (another identity): the next request asks the warehouse again.
    cache._kept = ("an earlier build", *cache._kept[1:])
    with mock.patch.object(reader, "fetch_all", counted):
        calls.clear()
        assert fetched("/api/v1/channels") == first["/api/v1/channels"]
        assert len(calls) == 1


@pytest.mark.parametrize("sample_warehouse", ["duckdb"], indirect=True)  # its cursors close
def test_closing_the_app_under_a_load_logs_no_warning(sample, app, client, caplog):
    """close_reader while the cache is loading: the load stops at its next row before the
    connection goes, and that is not a warehouse problem worth a warning (it leaked into later
    tests' logs)."""
    from api.warehouse import close_reader, get_reader

    with app.app_context():
        reader = get_reader()
        cache_module.get_cache()  # made before the patch
    started, release = threading.Event(), threading.Event()
    original = reader._cursor

    def held():  # the load's cursor is made, then the app closes before it runs its query
        cursor_and_build = original()
        if threading.current_thread().name == "interactions-cache-load":
            started.set()
            release.wait(10)
        return cursor_and_build

    with mock.patch.object(reader, "_cursor", held), caplog.at_level(logging.DEBUG, "api"):
        assert client.get("/api/v1/interactions/1").status_code == 200  # starts the load
        assert started.wait(10)
        # The load goes on in half a second; close_reader waits for it to stop (before its
        # connection goes: no cursor left open).
        threading.Timer(0.5, release.set).start()
        close_reader(app)
        assert not any(t.name == "interactions-cache-load" for t in threading.enumerate())
        assert "stopped by close" in caplog.text
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == []


@pytest.mark.parametrize("sample_warehouse", ["postgres"], indirect=True)  # its LISTEN
def test_postgres_listener_lost_stops_the_copy_then_keeps_it_for_the_same_build(
    sample, app, client
):
    client.get("/api/v1/interactions/1")
    with app.app_context():
        cache = cache_module.get_cache()
    assert wait_for(lambda: cache.live_snapshot() is not None, 10)
    loaded = cache._snapshot
    with psycopg.connect(dbname=os.environ["PGDATABASE"], autocommit=True) as connection:
        killed = connection.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity"
            " where application_name = 'interactions-api-listener' and pid = %s",
            (cache._watch.backend_pid,),
        ).fetchall()
    assert killed == [(True,)]
    # Not listening: no copy is trusted (the warehouse answers) ...
    assert wait_for(lambda: cache._watch.token() is None, 5, step=0.001)
    assert client.get("/api/v1/interactions/4").get_json()["data"]["interactions"] == SAMPLE[4]
    # ... until it listens again and finds the same built_at: the same copy, not reloaded.
    assert wait_for(lambda: cache.live_snapshot() is not None, 10)
    assert cache._snapshot.bodies is loaded.bodies
    assert cache._snapshot.token != loaded.token


@pytest.mark.parametrize("sample_warehouse", ["duckdb"], indirect=True)
def test_at_most_1024_answers_are_kept_per_build(sample, app, client):
    """MAX_KEPT answers per build and worker: the 1,024th is kept, the 1,025th is read from
    the warehouse on every request."""
    from api.warehouse import get_reader

    assert cache_module.MAX_KEPT == 1024  # the figure the module documents
    with app.app_context():
        reader = get_reader()
        cache = cache_module.get_cache()
    assert client.get("/api/v1/interactions/1").status_code == 200
    assert wait_for(lambda: cache.live_snapshot() is not None, 10)  # its load's queries done
    token, _ = cache.kept_answer("any")
    assert token is not None
    for number in range(1023):
        cache.keep_answer(token, ("filler", number), cache_module.Kept(b"", None))
    calls = []
    original = reader.fetch_all

    def counted(query, **params):
        if threading.current_thread() is threading.main_thread():  # the requests' own
            calls.append(query)
        return original(query, **params)

    with mock.patch.object(reader, "fetch_all", counted):
        channels = [client.get("/api/v1/channels").get_data() for _ in range(3)]
        assert len(calls) == 1  # the 1,024th answer: kept
        topics = [client.get("/api/v1/topics").get_data() for _ in range(3)]
        assert len(calls) == 4  # the 1,025th: asked every time
    assert len(set(channels)) == 1 and len(set(topics)) == 1


def test_postgres_a_build_that_sends_no_notification_is_seen_within_the_recheck(
    tmp_path, monkeypatch
):
    """A change of the live build without NOTIFY (a plain `dbt build` swaps nothing): the
    listener compares built_at every RECHECK_SECONDS (5 s), so the copy is dropped and the
    new answer served within that (and a second)."""
    from api import create_app
    from api.warehouse import close_reader

    home = copy_project(tmp_path / "project")
    with fresh_sample("postgres", home) as dbname:
        monkeypatch.setenv("WAREHOUSE", "postgres")
        monkeypatch.setenv("PGDATABASE", dbname)
        monkeypatch.delenv("API_KEY_HASHES", raising=False)
        app = create_app({"TESTING": True})
        client = app.test_client()
        try:
            assert client.get("/api/v1/interactions/2").status_code == 200
            with app.app_context():
                cache = cache_module.get_cache()
            assert wait_for(lambda: cache.live_snapshot() is not None, 10)
            with psycopg.connect(dbname=dbname) as connection:
                connection.execute(
                    "update marts.answers_by_customer set interaction_count = 3"
                    " where customer_id = 2 and channel = 'Call'"
                )
                connection.execute(
                    "update marts.build_info set built_at = built_at + interval '1 second'"
                )
            changed = time.monotonic()

            def new_answer():
                body = client.get("/api/v1/interactions/2").get_json()
                return body["data"]["interactions"] == {"Email": 0, "Call": 3, "Bird": 0}

            assert wait_for(new_answer, 5.0 + 1.0, step=0.05), (
                f"still the old answer {time.monotonic() - changed:.1f} s after the change"
            )
        finally:
            close_reader(app)


# --- served by Granian, across a rebuild ------------------------------------------------


def give_customer_2_two_calls(home):
    seed = home / "seeds" / "raw_external_interactions.csv"
    text = seed.read_text()
    if not text.endswith("\n"):
        text += "\n"
    seed.write_text(text + "12/01/2019 10:00,Call,2\n13/01/2019 10:00,phone,2\n")


def answer(server, customer_id):
    url = f"{server.url}/api/v1/interactions/{customer_id}"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())["data"]["interactions"]


def interactions_landed(server) -> int:
    """The interactions sheet's rows_landed in /api/v1/data-quality (an answer kept per build)."""
    with urllib.request.urlopen(f"{server.url}/api/v1/data-quality", timeout=10) as response:  # noqa: S310
        sheets = json.loads(response.read())["data"]["sheets"]
    return next(s["rows_landed"] for s in sheets if s["sheet"] == "interactions")


def loads_logged(server) -> int:
    return len(LOADED.findall(server.log()))


def answer_files(folder) -> list[str]:
    return sorted(path.name for path in folder.glob("*.answers"))


def serve_rebuild_and_check(environ, home, tmp_path, next_request_exact):
    folder = tmp_path / "answers"
    environ = {**environ, "API_ANSWER_DIR": str(folder)}
    server = ApiServer(environ, tmp_path / "server.log", workers=2)
    try:
        # Both workers load their copy (fresh connections land on either worker): one answer
        # file, written by one of them, mapped by both.
        assert wait_for(lambda: answer(server, 2) == SAMPLE[2] and loads_logged(server) >= 2, 30)
        assert all(answer(server, 2) == SAMPLE[2] for _ in range(20))
        first_files = answer_files(folder)
        assert len(first_files) == 3  # the answers, the topics, the customers
        assert len(WRITTEN.findall(server.log())) == 1
        landed = interactions_landed(server)
        assert [interactions_landed(server) for _ in range(20)] == [landed] * 20
        give_customer_2_two_calls(home)
        built = run_interactions(environ, home, "build")
        assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
        returned = time.monotonic()
        new = {"Email": 0, "Call": 2, "Bird": 0}
        if next_request_exact:
            first = answer(server, 2)
            assert interactions_landed(server) == landed + 2
        else:
            assert wait_for(lambda: answer(server, 2) == new, cache_module.NOTIFY_SECONDS_TESTED)
            assert wait_for(
                lambda: interactions_landed(server) == landed + 2,
                cache_module.NOTIFY_SECONDS_TESTED,
            )
            first = new
        assert first == new, f"{time.monotonic() - returned:.3f} s after the build"
        # Every worker, not just the one that answered: 16 requests, 8 at a time, keep both
        # sync workers busy, all by NOTIFY_SECONDS_TESTED after the build returned.
        time.sleep(max(0.0, returned + cache_module.NOTIFY_SECONDS_TESTED - time.monotonic()))
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda _: answer(server, 2), range(16)))
            landings = list(pool.map(lambda _: interactions_landed(server), range(16)))
        assert answers == [new] * 16
        assert landings == [landed + 2] * 16
        assert [answer(server, 2) for _ in range(20)] == [new] * 20
        # Both workers load the new build's copy, and answer from it: the new build's file
        # (written once) in place of the old one.
        assert wait_for(lambda: answer(server, 2) == new and loads_logged(server) >= 4, 30)
        assert [answer(server, 2) for _ in range(20)] == [new] * 20
        assert len(WRITTEN.findall(server.log())) == 2
        files = answer_files(folder)
        assert len(files) == 3 and not set(files) & set(first_files), (first_files, files)
        assert answer(server, 1) == SAMPLE[1]
    finally:
        server.stop()


def test_duckdb_first_request_after_a_build_gets_the_new_answer(tmp_path):
    home = copy_project(tmp_path / "project")
    with fresh_sample("duckdb", home):
        environ = {
            "WAREHOUSE": "duckdb",
            "DUCKDB_PATH": str(home / "warehouse/interactions.duckdb"),
        }
    serve_rebuild_and_check(environ, home, tmp_path, next_request_exact=True)


def test_postgres_new_answer_within_a_notification_of_the_build(tmp_path):
    home = copy_project(tmp_path / "project")
    with fresh_sample("postgres", home) as dbname:
        environ = {"WAREHOUSE": "postgres", "PGDATABASE": dbname}
        serve_rebuild_and_check(environ, home, tmp_path, next_request_exact=False)


# --- the website -------------------------------------------------------------------------


def fetched(client, path, **headers):
    """Status, headers and body of one GET, the response closed."""
    with client.get(path, headers=headers) as response:
        return response.status_code, response.headers, response.get_data()


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/static/style.css"])
def test_website_repeat_loads_are_304(client, path):
    status, headers, body = fetched(client, path)
    assert status == 200 and body
    etag = headers["ETag"]
    assert etag
    assert "no-cache" in headers["Cache-Control"]  # revalidated every time: never stale
    status, again, empty = fetched(client, path, **{"If-None-Match": etag})
    assert (status, empty, again["ETag"]) == (304, b"", etag)
    status, _, changed = fetched(client, path, **{"If-None-Match": '"another-version"'})
    assert (status, changed) == (200, body)


@pytest.fixture(autouse=True)
def _no_api_keys(monkeypatch):
    monkeypatch.delenv("API_KEY_HASHES", raising=False)


def test_answers_out_of_lookup_order_are_refused():
    """The answer file is written from rows in lookup order (DuckDB's come in the order the
    mart is stored): a customer or a channel out of it stops the writing."""

    def render(answer):
        return json.dumps(answer, separators=(",", ":")).encode()

    def rows(*keys):
        return [(c, d, f"ch{d}", d) for c, d in keys]

    bodies = list(cache_module.rendered_answers(rows((1, 1), (1, 2), (3, 1)), render))
    assert bodies == [
        (1, b'{"data":{"customer_id":1,"interactions":{"ch1":1,"ch2":2}}}'),
        (3, b'{"data":{"customer_id":3,"interactions":{"ch1":1}}}'),
    ]
    for keys in [((1, 2), (1, 1)), ((2, 1), (1, 1)), ((1, 1), (2, 1), (1, 2))]:
        with pytest.raises(ValueError, match="not in lookup order"):
            list(cache_module.rendered_answers(rows(*keys), render))


@pytest.mark.parametrize("separators", [(",", ":"), (", ", ": ")])
def test_every_body_in_the_answer_file_is_the_one_render_gives(separators):
    """Bodies are put together from the channels' keys only where that gives render()'s
    bytes (a channel needing escapes included); a render that differs makes every body."""
    channels = ["Email", 'Qu"ote', "Pigeon \u2709", "Bird"]

    def render(answer):
        return (json.dumps(answer, separators=separators) + "\n").encode()

    rows = [
        (customer_id, order, channel, customer_id * order)
        for customer_id in (1, 2, 40)
        for order, channel in enumerate(channels, start=1)
    ]
    expected = [
        (
            c,
            render(
                {
                    "data": {
                        "customer_id": c,
                        "interactions": {ch: c * o for o, ch in enumerate(channels, 1)},
                    }
                }
            ),
        )
        for c in (1, 2, 40)
    ]
    assert list(cache_module.rendered_answers(rows, render)) == expected
