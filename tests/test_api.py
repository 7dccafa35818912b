"""The API without a warehouse: input checks, JSON errors, request ids, error mapping.

A fake reader stands in for the warehouse, so these tests also show which requests never
reach it (bad input is refused before any SQL)."""

import logging
import os
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from api import config, queries
from api.timestamps import iso_utc
from api.warehouse import EXTENSION, MartsMissing, WarehouseUnavailable, placeholders

CHANNEL_ROWS = [
    {"channel": "Email", "interaction_count": 1},
    {"channel": "Call", "interaction_count": 0},
    {"channel": "Bird", "interaction_count": 0},
]


class FakeReader:
    warehouse = "duckdb"

    def __init__(self, rows=(), error=None):
        self.rows = list(rows)
        self.error = error
        self.calls = []

    def fetch_all(self, query, **params):
        self.calls.append((query, params))
        if self.error is not None:
            raise self.error
        return self.rows

    def close(self):
        pass


@pytest.fixture
def fake(app):
    reader = FakeReader(CHANNEL_ROWS)
    app.extensions[EXTENSION] = reader
    return reader


BAD_IDS = [
    ("abc", "customer id must be a positive whole number, not 'abc'"),
    ("-1", "customer id must be a positive whole number, not '-1'"),
    ("0", "customer id must be a positive whole number, not '0'"),
    ("000", "customer id must be a positive whole number, not '000'"),
    ("1.5", "customer id must be a positive whole number, not '1.5'"),
    ("1e3", "customer id must be a positive whole number, not '1e3'"),
    ("%C2%B2", "customer id must be a positive whole number, not '²'"),
    (
        "9223372036854775808",
        "customer id '9223372036854775808' is out of range: the largest is 9223372036854775807",
    ),
    (
        "18446744073709551616",
        "customer id '18446744073709551616' is out of range: the largest is 9223372036854775807",
    ),
    (
        "1" * 5000,
        "customer id '" + "1" * 40 + "...' is out of range: the largest is 9223372036854775807",
    ),
]


@pytest.mark.parametrize("suffix", ["", "/topics"])
@pytest.mark.parametrize(("text", "message"), BAD_IDS)
def test_malformed_customer_ids_are_400_before_any_sql(client, fake, text, message, suffix):
    response = client.get(f"/api/v1/interactions/{text}{suffix}")
    assert response.status_code == 400
    assert response.get_json() == {"error": {"status": 400, "message": message}}
    assert fake.calls == []


def test_largest_id_is_read_and_leading_zeros_are_allowed(client, fake):
    assert client.get("/api/v1/interactions/9223372036854775807").status_code == 200
    assert client.get("/api/v1/interactions/007").get_json() == {
        "data": {"customer_id": 7, "interactions": {"Email": 1, "Call": 0, "Bird": 0}}
    }
    assert [params for _, params in fake.calls] == [
        {"customer_id": 9223372036854775807},
        {"customer_id": 7},
    ]


def test_by_customer_type_is_a_route_not_a_customer_id(client, fake):
    fake.rows = [{"customer_type": "Red", "channel": "Email", "interaction_count": 2}]
    response = client.get("/api/v1/interactions/by-customer-type")
    assert response.status_code == 200
    assert response.get_json() == {"data": {"customer_types": {"Red": {"Email": 2}}}}
    assert fake.calls == [(queries.CUSTOMER_TYPE_INTERACTIONS, {})]


def test_unknown_route_is_404_json(client, fake):
    response = client.get("/api/v1/nothing/here")
    assert response.status_code == 404
    assert response.get_json() == {
        "error": {"status": 404, "message": "no such endpoint: /api/v1/nothing/here"}
    }
    assert client.get("/api/v1/interactions/1/").status_code == 404
    assert client.get("/api/v1/interactions").status_code == 404


def test_wrong_method_is_405_json_with_allow(client, fake):
    response = client.post("/api/v1/interactions/1")
    assert response.status_code == 405
    assert response.get_json() == {
        "error": {
            "status": 405,
            "message": "method POST is not allowed on /api/v1/interactions/1 "
            "(allowed: GET, HEAD, OPTIONS)",
        }
    }
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert client.delete("/api/v1/customers").status_code == 405
    assert fake.calls == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", "limit must be a whole number from 1 to 500, not '0'"),
        ("limit=501", "limit must be a whole number from 1 to 500, not '501'"),
        ("limit=-5", "limit must be a whole number from 1 to 500, not '-5'"),
        ("limit=ten", "limit must be a whole number from 1 to 500, not 'ten'"),
        ("limit=99999999999", "limit must be a whole number from 1 to 500, not '99999999999'"),
        ("cursor=abc", "cursor must be a positive whole number, not 'abc'"),
        ("cursor=0", "cursor must be a positive whole number, not '0'"),
        ("q=", "q must not be empty when given"),
        ("q=%20%20", "q must not be empty when given"),
        ("q=" + "x" * 201, "q must be at most 200 characters"),
    ],
)
def test_bad_customer_page_parameters_are_400(client, fake, query, message):
    response = client.get(f"/api/v1/customers?{query}")
    assert response.status_code == 400
    assert response.get_json() == {"error": {"status": 400, "message": message}}
    assert fake.calls == []


def test_a_parameter_rule_without_its_own_message_is_still_a_400_naming_it(monkeypatch):
    """A model rule that api/params.py's checks do not cover (here a plain int) is a 400 that
    names the parameter, never a 500; the probe is declared in a registry of its own."""
    from flask import Blueprint, Flask
    from pydantic import BaseModel

    from api import endpoints, errors, schemas

    class ProbeParams(BaseModel):
        count: int = 1

    monkeypatch.setattr(endpoints, "ENDPOINTS", [])
    bp = Blueprint("probe", __name__)

    @endpoints.endpoint(
        bp,
        "/probe",
        params=ProbeParams,
        operation_id="probe",
        summary="probe",
        description="probe",
        responses={200: endpoints.Answer("probe", schemas.Health)},
    )
    def probe(params):
        return {"count": params.count}

    app = Flask(__name__)
    errors.register(app)
    app.register_blueprint(bp)
    client = app.test_client()
    assert client.get("/probe?count=2").get_json() == {"count": 2}
    response = client.get("/probe?count=two")
    assert response.status_code == 400
    assert response.get_json() == {
        "error": {
            "status": 400,
            "message": "count: Input should be a valid integer, unable to parse string as an "
            "integer",
        }
    }
    assert [declared.path for declared in endpoints.ENDPOINTS] == ["/probe"]


def test_customer_page_defaults_and_parameters_reach_the_sql(client, fake):
    fake.rows = []
    assert client.get("/api/v1/customers").get_json() == {
        "data": [],
        "page": {"limit": 50, "next_cursor": None, "next": None},
    }
    client.get("/api/v1/customers?limit=500&cursor=12&q=%20Jedi%20")
    assert [params for _, params in fake.calls] == [
        {"after_customer_id": 0, "q": None, "row_limit": 51},
        {"after_customer_id": 12, "q": "Jedi", "row_limit": 501},
    ]


def test_empty_topic_is_400(client, fake):
    for url in ["/api/v1/interactions/1?topic=", "/api/v1/interactions/by-customer-type?topic="]:
        response = client.get(url)
        assert response.status_code == 400
        assert response.get_json() == {
            "error": {"status": 400, "message": "topic must not be empty when given"}
        }
    assert fake.calls == []


def test_every_response_carries_a_request_id(client, fake):
    ids = set()
    for url in ["/health", "/api/v1/interactions/1", "/api/v1/interactions/abc", "/nope"]:
        response = client.get(url)
        assert len(response.headers["X-Request-ID"]) == 32
        ids.add(response.headers["X-Request-ID"])
    assert len(ids) == 4
    given = client.get("/health", headers={"X-Request-ID": "caller-42.a_b"})
    assert given.headers["X-Request-ID"] == "caller-42.a_b"
    unsafe = client.get("/health", headers={"X-Request-ID": "bad id\\r\\n<script>"})
    assert len(unsafe.headers["X-Request-ID"]) == 32


def test_unexpected_error_is_500_json_without_details_and_logged(client, fake, caplog):
    fake.error = RuntimeError(
        "connection to server at 10.1.2.3 user=postgres password=hunter2: "
        "select * from marts.dim_customers"
    )
    with caplog.at_level(logging.ERROR, logger="api"):
        response = client.get("/api/v1/interactions/1", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "req-500"
    assert response.get_json() == {
        "error": {
            "status": 500,
            "message": "internal error; quote request id req-500 when reporting it",
        }
    }
    body = response.get_data(as_text=True)
    for secret in ["hunter2", "10.1.2.3", "select", "Traceback", "RuntimeError"]:
        assert secret not in body
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "req-500" in record.getMessage()
    assert "GET /api/v1/interactions/1" in record.getMessage()
    assert record.exc_info[0] is RuntimeError


@pytest.mark.parametrize(
    ("error", "message", "retry_after"),
    [
        (
            WarehouseUnavailable("connection refused at 127.0.0.1:5432"),
            "the warehouse is unavailable; try again shortly",
            "5",
        ),
        (
            MartsMissing('relation "marts.build_info" does not exist'),
            "the marts are not built yet; try again after the build",
            "30",
        ),
    ],
)
def test_warehouse_trouble_is_503_json(client, fake, error, message, retry_after):
    fake.error = error
    for url in ["/ready", "/api/v1/interactions/1", "/api/v1/customers", "/api/v1/stats/customers"]:
        response = client.get(url)
        assert response.status_code == 503
        assert response.get_json() == {"error": {"status": 503, "message": message}}
        assert response.headers["Retry-After"] == retry_after
        assert "127.0.0.1" not in response.get_data(as_text=True)


def test_health_never_asks_the_warehouse(client, fake):
    fake.error = WarehouseUnavailable("down")
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_data() == b'{"status":"ok"}\n'
    assert fake.calls == []


def test_ready_without_a_build_row_is_503(client, fake):
    fake.rows = []
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.get_json()["error"]["status"] == 503


def test_unsupported_warehouse_is_a_clear_error(monkeypatch):
    from api.warehouse import create_reader

    monkeypatch.setenv("WAREHOUSE", "duckdb")
    settings = config.load({})
    with pytest.raises(ValueError, match="the API reads duckdb or postgres, not WAREHOUSE='x'"):
        create_reader(config.ApiConfig(**{**settings.__dict__, "warehouse": "x"}))


def test_config_defaults_and_overrides(monkeypatch, tmp_path):
    for key in config.KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("INTERACTIONS_HOME", str(tmp_path))
    defaults = config.load({})
    assert defaults == config.ApiConfig(
        warehouse="duckdb",
        duckdb_path=tmp_path / "warehouse" / "interactions.duckdb",
        db_role="interactions_api",
        db_password=None,
        pool_min_size=1,
        pool_max_size=4,
        pool_timeout=1.5,
        connect_timeout=2,
        statement_timeout_ms=5000,
        answer_dir=Path(tempfile.gettempdir()) / f"interactions-answers-{os.getuid()}",
        preview_dir=Path(tempfile.gettempdir()) / f"interactions-previews-{os.getuid()}",
    )
    monkeypatch.setenv("API_POOL_MAX_SIZE", "8")
    monkeypatch.setenv("API_ANSWER_DIR", str(tmp_path / "answers"))
    monkeypatch.setenv("API_PREVIEW_DIR", str(tmp_path / "previews"))
    monkeypatch.setenv("API_DB_PASSWORD", "s3cret")
    loaded = config.load({"WAREHOUSE": "postgres", "API_POOL_TIMEOUT": 0.5})
    assert (loaded.warehouse, loaded.pool_max_size, loaded.pool_timeout) == ("postgres", 8, 0.5)
    assert loaded.db_password == "s3cret"
    assert loaded.answer_dir == tmp_path / "answers"
    assert loaded.preview_dir == tmp_path / "previews"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"API_POOL_MAX_SIZE": "many"}, "API_POOL_MAX_SIZE must be a number of at least 1, not"),
        ({"API_POOL_TIMEOUT": "0"}, "API_POOL_TIMEOUT must be a number of at least 0.1, not '0'"),
        (
            {"API_POOL_MIN_SIZE": "5", "API_POOL_MAX_SIZE": "2"},
            r"API_POOL_MAX_SIZE \(2\) must not be less than API_POOL_MIN_SIZE \(5\)",
        ),
        ({"WAREHOUSE": "oracle"}, "WAREHOUSE must be one of"),
    ],
)
def test_bad_config_is_a_clear_error(monkeypatch, environ, message):
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValueError, match=message):
        config.load({})


def test_placeholders_for_each_driver():
    query = "select cast(:topic as text)::text, '12:30' as t, :customer_id where :topic = 'a%'"
    assert placeholders(query, "pyformat") == (
        "select cast(%(topic)s as text)::text, '12:30' as t, %(customer_id)s"
        " where %(topic)s = 'a%%'"
    )
    assert placeholders(query, "dollar") == (
        "select cast($topic as text)::text, '12:30' as t, $customer_id where $topic = 'a%'"
    )


def test_timestamps_are_iso_8601_utc():
    assert iso_utc(datetime(2025, 1, 31, 9, 0, 1, 999)) == "2025-01-31T09:00:01Z"
    paris = timezone(timedelta(hours=1))
    assert iso_utc(datetime(2025, 1, 31, 10, 0, tzinfo=paris)) == "2025-01-31T09:00:00Z"
    assert iso_utc(datetime(2025, 1, 31, 9, 0, tzinfo=UTC)) == "2025-01-31T09:00:00Z"
    assert iso_utc(None) is None
