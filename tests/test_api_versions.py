"""Versions of the data in the API, on DuckDB and on PostgreSQL.

- GET /api/v1/versions: the kept versions newest first, exact body, paginated like customers
  (the cursor descends).
- X-Data-Version: N (the live version, build_info.data_version) on every answer read from the
  data, the cached GET /api/v1/interactions/{id} included; /ready says the version too.
- ETag: "v<version>-<built_at in epoch microseconds>" on the 200s of /api/; If-None-Match with
  it is a 304 with no body (after the API-key check), with a stale tag a 200; a rebuild of the
  same version changes it (served by Granian, as in production).
- The version costs no warehouse query per request: DuckDB reads it once per opened file,
  PostgreSQL once per build, before the answer's own query.
"""

import hashlib
import json
import shutil
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pytest

from api import cache as cache_module
from api import create_app, queries
from api.builds import epoch_microseconds
from api.timestamps import iso_utc
from api.warehouse import close_reader, get_reader
from tests.load import ApiServer
from tests.test_api_openapi import assert_conforms
from tests.test_cache import wait_for
from tests.warehouses import (
    build_warehouse,
    copy_project,
    fetch_all,
    fresh_sample,
)

# Every answer read from the data, the cached one first (and a 404 that reads it).
DATA_URLS = [
    "/api/v1/interactions/1",
    "/api/v1/interactions/1?topic=Unknown",
    "/api/v1/interactions/1/topics",
    "/api/v1/interactions/by-customer-type",
    "/api/v1/customers?limit=2",
    "/api/v1/versions",
    "/api/v1/data-quality",
    "/api/v1/channels",
    "/api/v1/topics",
    "/api/v1/stats/customers",
]


def compact(answer) -> bytes:
    return (json.dumps(answer, separators=(",", ":")) + "\n").encode()


def live_build(sample):
    """(data_version, built_at) of the sample's build_info."""
    [row] = fetch_all(sample, "select data_version, built_at from marts.build_info")
    return row


def expected_etag(sample) -> str:
    version, built_at = live_build(sample)
    return f'"v{version}-{epoch_microseconds(built_at)}"'


def loaded_cache(app, client):
    """This worker's copy of the live build, loaded (the first request starts the load)."""
    client.get("/api/v1/interactions/1")
    with app.app_context():
        cache = cache_module.get_cache()
    assert wait_for(lambda: cache.live_snapshot() is not None, 10)
    return cache


# --- /api/v1/versions ---------------------------------------------------------------------


def test_versions_lists_the_sample_version_exactly(sample, client):
    [(imported_at, sha256)] = fetch_all(
        sample, "select imported_at, file_sha256 from marts.data_versions"
    )
    response = client.get("/api/v1/versions")
    assert response.status_code == 200
    assert response.get_data() == compact(
        {
            "data": [
                {
                    "version": 1,
                    "imported_at": iso_utc(imported_at),
                    "file": "seeds/",
                    "sha256": sha256,
                    "interactions_counted": 4,
                    "rows_quarantined": 0,
                    "is_live": True,
                }
            ],
            "page": {"limit": 50, "next_cursor": None, "next": None},
        }
    )
    assert len(sha256) == 64 and set(sha256) <= set("0123456789abcdef")
    assert iso_utc(imported_at).endswith("Z") and len(iso_utc(imported_at)) == 20
    assert_conforms(response, "/api/v1/versions")


def test_versions_pages_like_customers(sample, client):
    assert client.get("/api/v1/versions?limit=1").get_json()["page"] == {
        "limit": 1,
        "next_cursor": None,
        "next": None,
    }
    assert client.get("/api/v1/versions?cursor=1").get_json() == {  # nothing below version 1
        "data": [],
        "page": {"limit": 50, "next_cursor": None, "next": None},
    }
    assert [v["version"] for v in client.get("/api/v1/versions?cursor=2").get_json()["data"]] == [1]
    for query, message in [
        ("limit=501", "limit must be a whole number from 1 to 500, not '501'"),
        ("limit=0", "limit must be a whole number from 1 to 500, not '0'"),
        ("cursor=abc", "cursor must be a positive whole number, not 'abc'"),
        ("cursor=0", "cursor must be a positive whole number, not '0'"),
    ]:
        response = client.get(f"/api/v1/versions?{query}")
        assert response.status_code == 400, query
        assert response.get_json() == {"error": {"status": 400, "message": message}}
        assert "X-Data-Version" not in response.headers  # decided without reading the data
    assert len(client.get("/api/v1/versions?limit=500").get_json()["data"]) == 1


@pytest.mark.parametrize("sample_warehouse", ["duckdb"], indirect=True)
def test_versions_newest_first_page_by_page(sample, client, tmp_path, monkeypatch):
    """Five kept versions (added to a copy of the marts), version 3 live: pages of two, the
    cursor descending; the answers name the copy's own live version."""
    live = tmp_path / "live.duckdb"
    shutil.copy(sample.settings.duckdb_path, live)
    with duckdb.connect(str(live)) as connection:
        connection.execute(
            "insert into marts.data_versions"
            " select version, 'import-' || version || '.xlsx', repeat('ab', 32), '', 10 * version,"
            "  version, false, timestamp '2026-01-01 08:00:00' + to_days(cast(version as int))"
            " from range(2, 6) as versions(version)"
        )
        connection.execute("update marts.data_versions set is_live = (version = 3)")
        connection.execute("update marts.build_info set data_version = 3")
    monkeypatch.setenv("DUCKDB_PATH", str(live))

    first = client.get("/api/v1/versions?limit=2")
    assert first.headers["X-Data-Version"] == "3"
    body = first.get_json()
    assert [v["version"] for v in body["data"]] == [5, 4]
    assert body["data"][0] == {
        "version": 5,
        "imported_at": "2026-01-06T08:00:00Z",
        "file": "import-5.xlsx",
        "sha256": "ab" * 32,
        "interactions_counted": 50,
        "rows_quarantined": 5,
        "is_live": False,
    }
    assert body["page"] == {
        "limit": 2,
        "next_cursor": "4",
        "next": "/api/v1/versions?limit=2&cursor=4",
    }
    second = client.get(body["page"]["next"]).get_json()
    assert [(v["version"], v["is_live"]) for v in second["data"]] == [(3, True), (2, False)]
    assert second["page"]["next"] == "/api/v1/versions?limit=2&cursor=2"
    third = client.get(second["page"]["next"]).get_json()
    assert [v["version"] for v in third["data"]] == [1]
    assert third["page"] == {"limit": 2, "next_cursor": None, "next": None}
    # Exactly a page left: the page after it is not announced.
    assert client.get("/api/v1/versions?limit=2&cursor=3").get_json()["page"]["next"] is None
    assert [v["version"] for v in client.get("/api/v1/versions").get_json()["data"]] == [
        5,
        4,
        3,
        2,
        1,
    ]


# --- X-Data-Version and /ready --------------------------------------------------------------


def test_every_answer_read_from_the_data_names_version_1(sample, app, client):
    for url in DATA_URLS:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["X-Data-Version"] == "1", url
    for url in ["/api/v1/interactions/999", "/api/v1/interactions/1?topic=Nope"]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.headers["X-Data-Version"] == "1", url
    # The cached answer (from this worker's memory, no SQL) names it too.
    cache = loaded_cache(app, client)
    assert cache.live_snapshot().build.version == 1
    for url in ["/api/v1/interactions/1", "/api/v1/interactions/999"]:
        assert client.get(url).headers["X-Data-Version"] == "1", url
    # Answers decided without reading the data name no version.
    for url in ["/api/v1/interactions/abc", "/api/v1/nope", "/api/v1/openapi.json", "/health"]:
        assert "X-Data-Version" not in client.get(url).headers, url


def test_ready_names_the_live_version(sample, client):
    response = client.get("/ready")
    assert response.status_code == 200
    version, built_at = live_build(sample)
    assert version == 1
    assert response.get_data() == compact(
        {
            "status": "ready",
            "warehouse": sample.warehouse,
            "built_at": iso_utc(built_at),
            "version": 1,
        }
    )
    assert response.headers["X-Data-Version"] == "1"
    assert "ETag" not in response.headers  # readiness is never cached


# --- ETag and 304 -------------------------------------------------------------------------


def test_etag_and_304(sample, app, client):
    etag = expected_etag(sample)
    micros = epoch_microseconds(live_build(sample)[1])
    loaded_cache(app, client)  # the first URL is answered from memory
    for url in DATA_URLS:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["ETag"] == etag, url
        assert response.headers["Cache-Control"] == "no-cache", url
        body = response.get_data()

        for given in (etag, f'"stale", {etag}', f"W/{etag}", "*"):
            again = client.get(url, headers={"If-None-Match": given})
            assert again.status_code == 304, (url, given)
            assert again.get_data() == b""
            assert (again.headers["ETag"], again.headers["X-Data-Version"]) == (etag, "1")
            assert "Content-Type" not in again.headers and again.headers["X-Request-ID"]

        # Another build of the same version, the same build time of another version, an
        # older build: all stale.
        for stale in (f'"v1-{micros + 1}"', f'"v2-{micros}"', f'"v0-{micros}"', '"v1-1"'):
            fresh = client.get(url, headers={"If-None-Match": stale})
            assert (fresh.status_code, fresh.get_data()) == (200, body), (url, stale)
            assert fresh.headers["ETag"] == etag


def test_no_etag_where_nothing_is_read_and_no_304_but_for_a_200(sample, client):
    etag = client.get("/api/v1/channels").headers["ETag"]
    for url, status in [
        ("/api/v1/interactions/999", 404),
        ("/api/v1/interactions/1?topic=Nope", 404),
        ("/api/v1/stats/orders", 404),
        ("/api/v1/interactions/abc", 400),
        ("/api/v1/openapi.json", 200),
        ("/ready", 200),
        ("/health", 200),
    ]:
        response = client.get(url, headers={"If-None-Match": etag})
        assert response.status_code == status, url
        assert "ETag" not in response.headers, url


@pytest.mark.parametrize("sample_warehouse", ["duckdb"], indirect=True)
def test_the_api_key_is_checked_before_the_tag(sample, client, monkeypatch):
    etag = client.get("/api/v1/channels").headers["ETag"]
    key = "a-test-key-for-etags"
    monkeypatch.setenv("API_KEY_HASHES", hashlib.sha256(key.encode()).hexdigest())
    keyed = create_app({"TESTING": True})
    try:
        for headers in ({}, {"X-API-Key": "wrong"}):
            response = keyed.test_client().get(
                "/api/v1/versions", headers={**headers, "If-None-Match": etag}
            )
            assert response.status_code == 401
            assert "ETag" not in response.headers and "X-Data-Version" not in response.headers
        response = keyed.test_client().get(
            "/api/v1/versions", headers={"X-API-Key": key, "If-None-Match": etag}
        )
        assert (response.status_code, response.headers["ETag"]) == (304, etag)
    finally:
        close_reader(keyed)


def test_the_version_costs_no_query_per_request(sample, app, client):
    """DuckDB: read once when the file is opened, outside fetch_all. PostgreSQL: once per
    build (listener token), before the answer's own query."""
    with app.app_context():
        reader = get_reader()
        cache = cache_module.get_cache()
    if sample.warehouse == "postgres":
        assert wait_for(lambda: cache._watch.token() is not None, 10)  # the listener listens
    calls = []
    original = reader.fetch_all

    def counted(query, **params):
        calls.append(query)
        return original(query, **params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "fetch_all", counted)
        # Answers read from the warehouse on every request (not kept per build).
        monthly = "/api/v1/interactions/1/monthly"
        assert client.get(monthly).headers["X-Data-Version"] == "1"
        if sample.warehouse == "postgres":  # the first answer of the build: the version first
            assert calls == [queries.BUILD_INFO, queries.CUSTOMER_MONTHLY]
        else:
            assert calls == [queries.CUSTOMER_MONTHLY]
        calls.clear()
        for url in [monthly, "/api/v1/customers?q=1", "/api/v1/versions"]:
            assert client.get(url).headers["X-Data-Version"] == "1"
        assert calls == [
            queries.CUSTOMER_MONTHLY,
            queries.CUSTOMERS_PAGE,
            queries.DATA_VERSIONS_PAGE,
        ]


# --- a rebuild changes the ETag (served by Granian) ------------------------------------------


def head(server, path, etag=None):
    """(status, ETag, X-Data-Version, body) of one GET."""
    headers = {"If-None-Match": etag} if etag else {}
    request = urllib.request.Request(server.url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            answer = response
            body = response.read()
    except urllib.error.HTTPError as error:  # urllib calls a 304 an error
        answer, body = error, error.read()
    return answer.status, answer.headers["ETag"], answer.headers["X-Data-Version"], body


def on_every_worker(server, path, etag) -> list[tuple]:
    """head() of `path` 16 times, 8 at a time: more requests at once than workers (2, each
    answering one request at a time), so every worker answers some of them."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda _: head(server, path, etag), range(16)))


def serve_rebuild_and_check(warehouse, environ, home, tmp_path, first_request_exact):
    server = ApiServer(environ, tmp_path / "server.log", workers=2)
    paths = ["/api/v1/interactions/1", "/api/v1/versions", "/api/v1/channels"]
    try:
        before = head(server, "/api/v1/channels")[1]
        assert before.startswith('"v1-')
        for path in paths:  # every worker, through a real HTTP server
            for status, etag, version, body in on_every_worker(server, path, before):
                assert (status, etag, version, body) == (304, before, "1", b""), path

        build_warehouse(warehouse, home)  # `interactions build`: version 1 again, a new build

        def new_tag(path):
            return head(server, path)[1] != before

        if first_request_exact:
            assert new_tag("/api/v1/interactions/1")
        else:
            assert wait_for(lambda: new_tag(paths[0]), cache_module.NOTIFY_SECONDS_TESTED)
        after = head(server, "/api/v1/channels")[1]
        assert after.startswith('"v1-') and after != before
        for path in paths:  # both workers: the old tag is stale, the new one matches
            for status, etag, version, body in on_every_worker(server, path, before):
                assert (status, etag, version) == (200, after, "1"), path
                assert json.loads(body)["data"]
            for answer in on_every_worker(server, path, after):
                assert answer[:3] == (304, after, "1"), path
    finally:
        server.stop()


def test_duckdb_a_rebuild_changes_the_etag_at_once(tmp_path):
    home = copy_project(tmp_path / "project")
    with fresh_sample("duckdb", home):
        environ = {
            "WAREHOUSE": "duckdb",
            "DUCKDB_PATH": str(home / "warehouse/interactions.duckdb"),
        }
    serve_rebuild_and_check("duckdb", environ, home, tmp_path, first_request_exact=True)


def test_postgres_a_rebuild_changes_the_etag_within_a_notification(tmp_path):
    home = copy_project(tmp_path / "project")
    with fresh_sample("postgres", home) as dbname:
        environ = {"WAREHOUSE": "postgres", "PGDATABASE": dbname}
        serve_rebuild_and_check("postgres", environ, home, tmp_path, first_request_exact=False)


@pytest.fixture(autouse=True)
def _no_api_keys(monkeypatch):
    monkeypatch.delenv("API_KEY_HASHES", raising=False)
