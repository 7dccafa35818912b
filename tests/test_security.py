"""Security: API keys, the PostgreSQL role's least privilege, and injection.

- API keys (API_KEY_HASHES): every /api/ route needs `Authorization: Bearer <key>` or
  `X-API-Key: <key>`; a missing or wrong key is a 401 JSON with WWW-Authenticate; /health,
  /ready and the page stay open; digests are compared with hmac.compare_digest; keys never
  reach a log; `interactions apikey new` prints a key and its digest.
- Least privilege: the API's role may SELECT the marts and nothing else, before and after a
  rebuild.
- Injection: classic payloads in every parameter and header give 400/404 (the search text q:
  no customer), never a 500, never data; the marts are intact afterwards.
"""

import hashlib
import logging
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from unittest import mock

import psycopg
import pytest
from psycopg import errors, sql

from api import auth, create_app
from api.warehouse import EXTENSION as READER
from api.warehouse import close_reader
from interactions import cli
from tests.load import ApiServer
from tests.test_import_workbook import export_seeds
from tests.warehouses import copy_project, fetch_all, fresh_sample

KEY = "test-key-0b1f9c3e-it-is-only-a-test"
OTHER_KEY = "second-test-key-5d2a"
WRONG_KEY = "test-key-0b1f9c3e-it-is-only-a-tesT"
HASHES = (
    f"{hashlib.sha256(KEY.encode()).hexdigest()}, {hashlib.sha256(OTHER_KEY.encode()).hexdigest()}"
)

CUSTOMER_1 = b'{"data":{"customer_id":1,"interactions":{"Email":1,"Call":0,"Bird":0}}}\n'
MISSING = {
    "error": {
        "status": 401,
        "message": "an API key is required: send it as 'Authorization: Bearer <key>' or "
        "'X-API-Key: <key>'",
    }
}
WRONG = {"error": {"status": 401, "message": "the API key is not valid"}}
CHALLENGE = 'Bearer realm="interactions"'
CHALLENGE_WRONG = 'Bearer realm="interactions", error="invalid_token"'

# Every /api/ route, as a caller would ask it (and one that does not exist).
API_URLS = [
    "/api/v1/interactions/1",
    "/api/v1/interactions/1?topic=Unknown",
    "/api/v1/interactions/1/topics",
    "/api/v1/interactions/by-customer-type",
    "/api/v1/customers",
    "/api/v1/data-quality",
    "/api/v1/channels",
    "/api/v1/topics",
    "/api/v1/stats/customers",
    "/api/v1/openapi.json",
    "/api/v1/no-such-route",
    "/api/",
]


@pytest.fixture
def keyed_app(monkeypatch):
    """The API with API keys on (API_KEY_HASHES from the environment, as in production)."""
    monkeypatch.setenv("API_KEY_HASHES", HASHES)
    app = create_app({"TESTING": True})
    yield app
    close_reader(app)


@pytest.fixture
def keyed(keyed_app):
    return keyed_app.test_client()


duckdb_only = pytest.mark.parametrize("sample_warehouse", ["duckdb"], indirect=True)


# --- API keys ---------------------------------------------------------------------------


@duckdb_only
@pytest.mark.parametrize("url", API_URLS)
def test_without_a_key_every_api_route_is_401_before_any_sql(sample, keyed_app, keyed, url):
    response = keyed.get(url)
    assert response.status_code == 401
    assert response.get_json() == MISSING
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    assert response.headers["X-Request-ID"]
    assert READER not in keyed_app.extensions  # no warehouse was opened: no SQL ran
    assert keyed.post(url).status_code == 401  # any method


@duckdb_only
@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {WRONG_KEY}"},
        {"X-API-Key": WRONG_KEY},
        {"X-API-Key": KEY.upper()},
        {"X-API-Key": KEY[:-1]},
        {"X-API-Key": hashlib.sha256(KEY.encode()).hexdigest()},  # a digest is not a key
        {"Authorization": f"Bearer {WRONG_KEY}", "X-API-Key": "also-wrong"},
    ],
)
def test_a_wrong_key_is_401_invalid_token(sample, keyed, headers):
    response = keyed.get("/api/v1/interactions/1", headers=headers)
    assert response.status_code == 401
    assert response.get_json() == WRONG
    assert response.headers["WWW-Authenticate"] == CHALLENGE_WRONG
    assert WRONG_KEY not in response.get_data(as_text=True)


@duckdb_only
@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Basic {KEY}"},  # another scheme is no key
        {"Authorization": "Bearer "},
        {"Authorization": KEY},
        {"X-API-Key": ""},
        {"X-Api-Key-Extra": KEY},
    ],
)
def test_a_key_sent_any_other_way_is_missing(sample, keyed, headers):
    response = keyed.get("/api/v1/interactions/1", headers=headers)
    assert response.status_code == 401
    assert response.get_json() == MISSING
    assert keyed.get(f"/api/v1/interactions/1?api_key={KEY}").status_code == 401


@duckdb_only
@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {KEY}"},
        {"Authorization": f"bearer {KEY}"},
        {"X-API-Key": KEY},
        {"X-API-Key": OTHER_KEY},  # any key of the list
        {"Authorization": f"Bearer {WRONG_KEY}", "X-API-Key": KEY},
    ],
)
def test_a_valid_key_gets_the_data(sample, keyed, headers):
    response = keyed.get("/api/v1/interactions/1", headers=headers)
    assert response.status_code == 200
    assert response.get_data() == CUSTOMER_1


@duckdb_only
def test_health_ready_and_the_page_stay_open(sample, keyed):
    assert keyed.get("/health").get_json() == {"status": "ok"}
    assert keyed.get("/ready").get_json()["status"] == "ready"
    with keyed.get("/") as page:
        assert page.status_code == 200 and b"api-key-form" in page.get_data()
    with keyed.get("/static/app.js") as script:
        assert script.status_code == 200


@duckdb_only
def test_digests_are_compared_with_compare_digest_every_one_of_them(sample, keyed, monkeypatch):
    import hmac

    calls = []
    compare_digest = hmac.compare_digest

    def spy(given, expected):
        calls.append((given, expected))
        return compare_digest(given, expected)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    assert keyed.get("/api/v1/interactions/1", headers={"X-API-Key": KEY}).status_code == 200
    digests = [hashlib.sha256(k.encode()).hexdigest().encode() for k in (KEY, OTHER_KEY)]
    # Both digests compared, even though the first matched: the time says nothing of which.
    assert calls == [(digests[0], digests[0]), (digests[0], digests[1])]

    # The decision is compare_digest's: when it says no, the right key is refused.
    monkeypatch.setattr(auth.hmac, "compare_digest", lambda given, expected: False)
    assert keyed.get("/api/v1/interactions/1", headers={"X-API-Key": KEY}).status_code == 401


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "API_KEY_HASHES is set but empty"),
        (" , ", "API_KEY_HASHES is set but empty"),
        (KEY, "API_KEY_HASHES: item 1 is not a SHA-256 hex digest"),
        (HASHES + ",abc", "API_KEY_HASHES: item 3 is not a SHA-256 hex digest"),
        ("g" * 64, "API_KEY_HASHES: item 1 is not a SHA-256 hex digest"),
        (HASHES + ":root", "API_KEY_HASHES: item 2 ends in an unknown scope 'root'"),
        (HASHES + ":", "API_KEY_HASHES: item 2 ends in an unknown scope ''"),
        (":admin", "API_KEY_HASHES: item 1 is not a SHA-256 hex digest"),
    ],
)
def test_a_bad_api_key_hashes_stops_the_start(monkeypatch, capsys, value, message):
    monkeypatch.setenv("API_KEY_HASHES", value)
    with pytest.raises(ValueError, match=re.escape(message)):
        create_app({"TESTING": True})
    # `interactions serve` says so, and never starts Granian.
    monkeypatch.setattr(cli.os, "execv", mock.Mock(side_effect=AssertionError("started")))
    assert cli.main(["serve"]) == 1
    assert message in capsys.readouterr().err


def test_digests_may_be_upper_case_and_spaced(monkeypatch):
    upper = hashlib.sha256(KEY.encode()).hexdigest().upper()
    assert auth.parse_keys(f" {upper} ,") == (auth.KeyEntry(upper.lower()),)


def test_without_api_key_hashes_the_api_is_open_and_says_so(sample, monkeypatch, caplog):
    monkeypatch.delenv("API_KEY_HASHES", raising=False)
    with caplog.at_level(logging.WARNING, logger="api.auth"):
        app = create_app({"TESTING": True})
    assert [record.getMessage() for record in caplog.records] == [
        "API keys are off: API_KEY_HASHES is not set, so every /api/ route is open to anyone "
        "who can reach this server (local development only)"
    ]
    try:
        assert app.test_client().get("/api/v1/interactions/1").get_data() == CUSTOMER_1
    finally:
        close_reader(app)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("localhost", True),
        ("localhost:5000", True),
        ("127.0.0.1:8080", True),
        ("127.1.2.3", True),
        ("[::1]:5000", True),
        ("app.localhost:5000", True),
        ("LOCALHOST.", True),
        ("evil.example", False),
        ("evil.example:5000", False),
        ("192.168.1.20:5000", False),
        ("localhost.evil.example", False),
        ("127.0.0.1.evil.example", False),
        ("", False),
    ],
)
def test_with_api_keys_off_only_this_machines_names_are_answered(
    sample, monkeypatch, host, allowed
):
    """DNS rebinding: a page of another site cannot read a local server without keys under
    its own name. With keys on, or API_ALLOW_ANONYMOUS=true, any Host is answered."""
    monkeypatch.delenv("API_KEY_HASHES", raising=False)
    monkeypatch.delenv("API_ALLOW_ANONYMOUS", raising=False)
    for settings, open_to_all in (
        ({}, False),
        ({"API_KEY_HASHES": HASHES}, True),
        ({"API_ALLOW_ANONYMOUS": "TRUE"}, True),
    ):
        app = create_app({"TESTING": True, **settings})
        try:
            client = app.test_client()
            headers = {"Host": host, "X-API-Key": KEY}
            for path, body in (("/api/v1/interactions/1", CUSTOMER_1), ("/health", None)):
                response = client.get(path, headers=headers)
                if allowed or open_to_all:
                    assert response.status_code == 200, (settings, host, path)
                    assert body is None or response.get_data() == body
                else:
                    shown = repr(host)
                    assert response.status_code == 421, (settings, host, path)
                    assert response.get_json() == {
                        "error": {
                            "status": 421,
                            "message": "this server answers requests to this machine only "
                            "(localhost, 127.0.0.1) while API keys are off, not to Host "
                            f"{shown}: open it as http://localhost:<port>/, or set "
                            "API_KEY_HASHES",
                        }
                    }
                    assert response.headers["X-Request-ID"]
        finally:
            close_reader(app)


def test_entries_may_be_admin_keys(monkeypatch):
    read, admin = (hashlib.sha256(k.encode()).hexdigest() for k in (KEY, OTHER_KEY))
    assert auth.parse_keys(f"{read}, {admin.upper()} : ADMIN") == (
        auth.KeyEntry(read, admin=False),
        auth.KeyEntry(admin, admin=True),
    )
    # The same digest listed twice: the admin entry counts.
    entries = auth.parse_keys(f"{admin},{admin}:admin,{read}")
    assert auth.matching_entry(OTHER_KEY, entries) == auth.KeyEntry(admin, admin=True)
    assert auth.matching_entry(KEY, entries) == auth.KeyEntry(read, admin=False)
    assert auth.matching_entry(WRONG_KEY, entries) is None


def admin_probe_app(keys: str | None):
    """The API with one extra route that changes nothing but needs an admin key."""
    app = create_app({"TESTING": True, "API_KEY_HASHES": keys} if keys else {"TESTING": True})

    @app.post("/api/v1/admin-probe")
    def admin_probe():
        auth.require_admin()
        return {"data": "admin"}

    return app


@duckdb_only
def test_routes_that_change_data_need_an_admin_key(sample, monkeypatch):
    read, admin = (hashlib.sha256(k.encode()).hexdigest() for k in (KEY, OTHER_KEY))
    app = admin_probe_app(f"{read},{admin}:admin")
    client = app.test_client()
    try:
        with_admin = client.post("/api/v1/admin-probe", headers={"X-API-Key": OTHER_KEY})
        assert (with_admin.status_code, with_admin.get_json()) == (200, {"data": "admin"})
        with_read = client.post("/api/v1/admin-probe", headers={"X-API-Key": KEY})
        assert (with_read.status_code, with_read.get_json()) == (
            403,
            {"error": {"status": 403, "message": auth.NEEDS_ADMIN_KEY}},
        )
        assert client.post("/api/v1/admin-probe").status_code == 401
        wrong = client.post("/api/v1/admin-probe", headers={"X-API-Key": WRONG_KEY})
        assert wrong.status_code == 401
        # An admin key can do everything a read key can.
        for key in (KEY, OTHER_KEY):
            answer = client.get("/api/v1/interactions/1", headers={"X-API-Key": key})
            assert answer.get_data() == CUSTOMER_1
    finally:
        close_reader(app)
    monkeypatch.delenv("API_KEY_HASHES", raising=False)
    keys_off = admin_probe_app(None)
    try:
        answer = keys_off.test_client().post("/api/v1/admin-probe")
        assert answer.status_code == 403
        assert answer.get_json()["error"]["message"] == (
            "this needs an admin API key, and API keys are off: set API_KEY_HASHES with an "
            "admin entry (`interactions apikey new --admin` prints a key and its entry)"
        )
        assert keys_off.test_client().get("/api/v1/interactions/1").get_data() == CUSTOMER_1
    finally:
        close_reader(keys_off)


@duckdb_only
def test_apikey_new_admin_prints_an_admin_key_and_its_entry(sample, capsys, monkeypatch):
    assert cli.main(["apikey", "new", "--admin"]) == 0
    out = capsys.readouterr()
    key_line, entry_line = out.out.splitlines()
    key = key_line.removeprefix("key:").strip()
    entry = entry_line.removeprefix("sha256:").strip()
    assert entry == hashlib.sha256(key.encode()).hexdigest() + ":admin"
    assert "admin key" in out.err
    app = admin_probe_app(entry)
    try:
        answer = app.test_client().post("/api/v1/admin-probe", headers={"X-API-Key": key})
        assert answer.status_code == 200
    finally:
        close_reader(app)


def test_apikey_new_prints_a_new_key_and_its_digest(sample, capsys, monkeypatch):
    printed = []
    for _ in range(2):
        assert cli.main(["apikey", "new"]) == 0
        out = capsys.readouterr()
        key_line, hash_line = out.out.splitlines()
        key = key_line.removeprefix("key:").strip()
        digest = hash_line.removeprefix("sha256:").strip()
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key)  # 32 random bytes, URL-safe
        assert digest == hashlib.sha256(key.encode()).hexdigest()
        assert "API_KEY_HASHES" in out.err
        printed.append((key, digest))
    assert printed[0][0] != printed[1][0]

    # The printed pair works: the digest in API_KEY_HASHES, the key in a request.
    monkeypatch.setenv("API_KEY_HASHES", printed[0][1])
    app = create_app({"TESTING": True})
    client = app.test_client()
    answer = client.get("/api/v1/channels", headers={"X-API-Key": printed[0][0]})
    assert answer.status_code == 200
    assert [item["channel"] for item in answer.get_json()["data"]] == ["Email", "Call", "Bird"]
    assert client.get("/api/v1/channels", headers={"X-API-Key": printed[1][0]}).status_code == 401
    close_reader(app)


@duckdb_only
def test_keys_never_reach_the_log_in_process(sample, keyed, caplog):
    with caplog.at_level(logging.DEBUG):
        keyed.get("/api/v1/interactions/1", headers={"Authorization": f"Bearer {KEY}"})
        keyed.get("/api/v1/interactions/1", headers={"X-API-Key": WRONG_KEY})
        keyed.get("/api/v1/interactions/abc", headers={"X-API-Key": OTHER_KEY})
        # /monthly always asks the warehouse (/topics may come from the answer files)
        with mock.patch("api.interactions.get_reader", side_effect=RuntimeError("boom")):
            response = keyed.get("/api/v1/interactions/1/monthly", headers={"X-API-Key": KEY})
    assert response.status_code == 500  # an unexpected error is logged with its request id
    assert "boom" in caplog.text
    for secret in (KEY, OTHER_KEY, WRONG_KEY, *HASHES.replace(" ", "").split(",")):
        assert secret not in caplog.text


@pytest.mark.parametrize("sample_warehouse", ["duckdb"], indirect=True)
def test_keys_never_reach_the_server_log(sample_warehouse, tmp_path):
    """the access log and the app's log, as `interactions serve` writes them."""
    server = ApiServer(
        {**sample_warehouse.environ, "API_KEY_HASHES": HASHES}, tmp_path / "server.log"
    )
    try:
        statuses = []
        for headers in (
            {"Authorization": f"Bearer {KEY}"},
            {"X-API-Key": OTHER_KEY},
            {"X-API-Key": WRONG_KEY},
            {"Authorization": f"Bearer {WRONG_KEY}"},
            {},
        ):
            request = urllib.request.Request(f"{server.url}/api/v1/interactions/1", headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                    statuses.append(response.status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
    finally:
        server.stop()
    assert statuses == [200, 200, 401, 401, 401]
    log = server.log()
    assert log.count('"GET /api/v1/interactions/1 HTTP/1.1" 200') == 2  # the access log is on
    assert log.count('"GET /api/v1/interactions/1 HTTP/1.1" 401') == 3
    assert "API keys are on" in log
    for secret in (KEY, OTHER_KEY, WRONG_KEY, *HASHES.replace(" ", "").split(",")):
        assert secret not in log


def test_docker_compose_requires_api_key_hashes_without_a_default():
    import yaml

    compose = Path(__file__).resolve().parents[1] / "docker-compose.yml"
    environment = yaml.safe_load(compose.read_text())["services"]["api"]["environment"]
    assert re.fullmatch(r"\$\{API_KEY_HASHES:\?[^}]+\}", environment["API_KEY_HASHES"])


def test_docker_compose_publishes_only_the_api_beyond_this_host():
    """The API (keys required) is published on the host's interfaces; PostgreSQL only on
    127.0.0.1, never on the network."""
    import yaml

    compose = Path(__file__).resolve().parents[1] / "docker-compose.yml"
    services = yaml.safe_load(compose.read_text())["services"]
    published = {name: service.get("ports", []) for name, service in services.items()}
    assert published == {
        "postgres": ["127.0.0.1:5432:5432"],
        "build": [],
        "api": ["5000:5000"],
    }


# --- least privilege (PostgreSQL) ------------------------------------------------------

DENIED = [
    "insert into marts.dim_customers (customer_id) values (99)",
    "update marts.dim_customers set occupation = 'x'",
    "delete from marts.dim_customers",
    "truncate marts.interactions_by_customer_channel",
    "drop table marts.dim_channels",
    "alter table marts.dim_customers add column x int",
    "create table marts.x (id int)",
    "create view marts.v as select 1 as one",
    "create table public.x (id int)",
    "create table raw.x (id int)",
    "create table staging.x (id int)",
    "create schema x",
    "select count(*) from raw.raw_customers",
    "select count(*) from raw.raw_external_interactions",
    "select count(*) from staging.stg_workbook__customers",
    "select count(*) from staging.stg_workbook__interactions",
    "copy marts.dim_customers from stdin",
]


def assert_least_privilege(dbname, customers=6):
    """As the API's role, outside any read-only setting: only SELECT on the marts works (and
    reads the `customers` rows of dim_customers: the sample's 6 unless said)."""
    with psycopg.connect(dbname=dbname, user="interactions_api", autocommit=True) as connection:
        marts = [
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'marts' order by table_name"
            )
        ]
        assert len(marts) == 22
        for name in marts:
            query = sql.SQL("select count(*) from {}").format(sql.Identifier("marts", name))
            connection.execute(query).fetchone()
        count = connection.execute("select count(*) from marts.dim_customers").fetchone()
        assert count == (customers,)
        for statement in DENIED:
            with pytest.raises(errors.InsufficientPrivilege):
                connection.execute(statement)
        [row] = connection.execute(
            "select rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls"
            " from pg_roles where rolname = current_user"
        ).fetchall()
        assert row == (False, False, False, False, False)
        # Grants: SELECT on each mart, nothing else; no rights on raw or staging.
        grants = connection.execute(
            "select distinct table_schema, privilege_type from information_schema.role_table_grants"
            " where grantee = 'interactions_api'"
        ).fetchall()
        assert grants == [("marts", "SELECT")]
        schemas = connection.execute(
            "select nspname, has_schema_privilege(nspname, 'USAGE'),"
            " has_schema_privilege(nspname, 'CREATE') from pg_namespace"
            " where nspname in ('raw', 'staging', 'marts', 'public') order by nspname"
        ).fetchall()
        assert schemas == [
            ("marts", True, False),
            ("public", True, False),
            ("raw", False, False),
            ("staging", False, False),
        ]
        owned = connection.execute(
            "select count(*) from pg_class where relowner = (select oid from pg_roles"
            " where rolname = 'interactions_api')"
        ).fetchone()
        assert owned == (0,)


def test_the_api_role_may_only_select_the_marts_and_a_rebuild_keeps_it(tmp_path):
    home = copy_project(tmp_path / "project")
    # The session's `interactions build` of the sample (built in __next, swapped in), copied.
    with fresh_sample("postgres", home) as dbname:
        assert_least_privilege(dbname)

        # A plain `dbt build`, as the README lets data engineers run it, replaces the marts
        # in place (the first build swapped new schemas in): the grants are the same.
        dbt = Path(sys.executable).with_name("dbt")
        subprocess.run(  # noqa: S603
            [str(dbt), "build", "--project-dir", "dbt_project", "--profiles-dir", "."],
            cwd=home,
            env={**os.environ, "WAREHOUSE": "postgres", "PGDATABASE": dbname},
            check=True,
            capture_output=True,
        )
        assert_least_privilege(dbname)

        # `interactions import` too (a new version, swapped in; a rollback goes live by the
        # same build, interactions/build.py).
        workbook = export_seeds(home / "seeds", tmp_path / "again.xlsx")
        interactions = Path(sys.executable).with_name("interactions")
        subprocess.run(  # noqa: S603
            [str(interactions), "import", str(workbook)],
            cwd=home,
            env={**os.environ, "INTERACTIONS_HOME": str(home), "WAREHOUSE": "postgres"},
            check=True,
            capture_output=True,
        )
        assert_least_privilege(dbname)


# --- injection ----------------------------------------------------------------------------

PAYLOADS = [
    "1 or 1=1",
    "1' or '1'='1",
    "' or '1'='1' --",
    '" or ""="',
    "1; drop table marts.dim_customers; --",
    "'; drop table marts.dim_customers; --",
    "1 union select customer_id, occupation from marts.dim_customers",
    "' union select null, current_user --",
    "1)) or ((1=1",
    "%' or 1=1 --",
    "'; select pg_sleep(3); --",
    "1 and 1=cast((select current_user) as int)",
    "Unknown' or 'a'='a",
    "Unknown'--",
    "Sand\x00",
    "\x00",
    "$1",
    ":topic",
    "%(topic)s",
    "?",
    "\\",
    "{{ 7*7 }}",
    "${jndi:ldap://127.0.0.1/x}",
    "../../../etc/passwd",
    "<script>alert(1)</script>",
    "1e3",
    "0x10",
    "-1",
    "9" * 40,
]


def quoted(payload):
    return urllib.parse.quote(payload, safe="")


def assert_refused(response, statuses=(400, 404)):
    assert response.status_code in statuses, (response.request.url, response.status_code)
    body = response.get_json()
    assert "data" not in body and "rows" not in body
    assert body == {"message": "Table name not found"} or set(body["error"]) == {
        "status",
        "message",
    }


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_payloads_in_every_parameter_are_refused(sample, client, payload):
    q = quoted(payload)
    for url in [
        f"/api/v1/interactions/{q}",
        f"/api/v1/interactions/{q}/topics",
        f"/api/v1/interactions/1?topic={q}",
        f"/api/v1/interactions/4?topic={q}",
        f"/api/v1/interactions/by-customer-type?topic={q}",
        f"/api/v1/customers?limit={q}",
        f"/api/v1/customers?cursor={q}",
        f"/api/v1/customers?q=jedi&limit={q}",
    ]:
        assert_refused(client.get(url))
    assert_refused(client.get(f"/api/v1/stats/{q}"), statuses=(404,))
    # q is free text: the payload is searched for as it is, and no customer matches it.
    response = client.get(f"/api/v1/customers?q={q}")
    if response.status_code == 200:
        assert response.get_json()["data"] == []
    else:
        assert_refused(response, statuses=(400,))


HEADERS = ["X-Request-ID", "Accept", "Accept-Language", "User-Agent", "Referer", "Cookie"]


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if "\x00" not in p])
def test_injection_payloads_in_headers_change_nothing(sample, client, payload):
    expected = client.get("/api/v1/interactions/4").get_data()
    for header in HEADERS:
        response = client.get("/api/v1/interactions/4", headers={header: payload})
        assert response.status_code == 200
        assert response.get_data() == expected
        assert response.headers["X-Request-ID"] != payload or re.fullmatch(
            r"[A-Za-z0-9._-]{1,64}", payload
        )


@duckdb_only
@pytest.mark.parametrize("payload", [p for p in PAYLOADS if "\x00" not in p])
def test_injection_payloads_as_api_keys_are_401(sample, keyed, payload):
    for headers in ({"Authorization": f"Bearer {payload}"}, {"X-API-Key": payload}):
        response = keyed.get("/api/v1/interactions/4", headers=headers)
        assert response.status_code == 401
        assert response.get_json() == WRONG


def every_mart(sample) -> dict:
    """Every mart's rows, as text, sorted: the warehouse's whole served content."""
    names = fetch_all(
        sample,
        "select table_name from information_schema.tables"
        " where table_schema = 'marts' order by table_name",
    )
    assert len(names) == 22
    return {
        name: sorted(map(repr, fetch_all(sample, f"select * from marts.{name}")))  # noqa: S608
        for (name,) in names
    }


def test_the_marts_are_intact_after_the_payloads(sample, client):
    """Every payload in every parameter and header, then every mart compared whole with
    before: nothing was dropped, added or changed (self-contained: no other test's run)."""
    before = every_mart(sample)
    for payload in PAYLOADS:
        q = quoted(payload)
        for url in [
            f"/api/v1/interactions/{q}",
            f"/api/v1/interactions/{q}/topics",
            f"/api/v1/interactions/1?topic={q}",
            f"/api/v1/interactions/by-customer-type?topic={q}",
            f"/api/v1/customers?q={q}",
            f"/api/v1/customers?limit={q}&cursor={q}",
            f"/api/v1/stats/{q}",
        ]:
            assert client.get(url).status_code in (200, 400, 404)
        if "\x00" not in payload:
            for header in HEADERS:
                response = client.get("/api/v1/interactions/4", headers={header: payload})
                assert response.status_code == 200
    assert every_mart(sample) == before
    assert before["dim_customers"] and before["fct_interactions"]
    assert client.get("/api/v1/interactions/1").get_data() == CUSTOMER_1


def test_the_role_script_can_run_twice_at_once(tmp_path):
    """postgres/create_api_role.sql is run by every suite and by `make pg-setup`: runs at the
    same time (two CI jobs on one server) must all succeed and leave one role."""
    from tests.warehouses import ROOT, require_postgres

    require_postgres()
    role = f"interactions_race_{os.getpid()}"
    script = tmp_path / "role.sql"
    script.write_text(
        (ROOT / "postgres" / "create_api_role.sql").read_text().replace("interactions_api", role)
    )
    command = ["psql", "-v", "ON_ERROR_STOP=1", "-q", "-d", "postgres", "-f", str(script)]
    try:
        for _ in range(5):
            with psycopg.connect(dbname="postgres", autocommit=True) as connection:
                connection.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
            runs = [
                subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
                for _ in range(3)
            ]
            outputs = [run.communicate()[0].decode() for run in runs]
            assert [run.returncode for run in runs] == [0, 0, 0], outputs
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True) as connection:
            connection.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))


# The security headers, written out here (not read from api/website.py): a change to any of
# them must be made on purpose, in both places.
PINNED_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


@pytest.mark.parametrize("sample_warehouse", ["duckdb"], indirect=True)
@pytest.mark.parametrize(
    ("url", "media_type"),
    [
        ("/api/v1/interactions/1", "application/json"),
        ("/", "text/html; charset=utf-8"),
        ("/static/app.js", "text/javascript; charset=utf-8"),
        ("/api/v1/interactions/1/topics?format=csv", "text/csv; charset=utf-8"),
        (
            "/api/v1/interactions/1/topics?format=xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ],
)
def test_every_kind_of_answer_carries_the_exact_security_headers(sample, client, url, media_type):
    with client.get(url) as response:  # a static file's answer holds the file open
        assert (response.status_code, response.content_type) == (200, media_type)
        assert {name: response.headers.get(name) for name in PINNED_HEADERS} == PINNED_HEADERS
