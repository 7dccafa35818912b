"""The API on the sample seeds built by dbt, on DuckDB and on PostgreSQL: exact bodies, every
error case, the legacy stats endpoint, readiness, and a warehouse that is down or not built."""

import json
import os
import re
import shutil
import socket
import threading
import time
from datetime import datetime
from pathlib import Path

import duckdb
import psycopg
import pytest

from api.warehouse import MartsMissing, get_reader
from tests.warehouses import fetch_all, postgres_database

ZERO = {"Email": 0, "Call": 0, "Bird": 0}


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def test_customer_one_prints_exactly(sample, client):
    response = client.get("/api/v1/interactions/1")
    assert response.status_code == 200
    assert response.get_data() == (
        b'{"data":{"customer_id":1,"interactions":{"Email":1,"Call":0,"Bird":0}}}\n'
    )


@pytest.mark.parametrize(
    ("customer_id", "interactions"),
    [
        (1, {"Email": 1, "Call": 0, "Bird": 0}),
        (3, {"Email": 1, "Call": 0, "Bird": 0}),
        (4, {"Email": 0, "Call": 1, "Bird": 1}),  # not in the Customers sheet, still counted
        (2, ZERO),
        (11, ZERO),
        (12, ZERO),
    ],
)
def test_interactions_per_customer(sample, client, customer_id, interactions):
    body = get(client, f"/api/v1/interactions/{customer_id}")
    assert body == {"data": {"customer_id": customer_id, "interactions": interactions}}
    assert list(body["data"]["interactions"]) == ["Email", "Call", "Bird"]


def test_customer_in_no_sheet_is_404(sample, client):
    for url in ["/api/v1/interactions/999", "/api/v1/interactions/999/topics"]:
        assert get(client, url, 404) == {
            "error": {"status": 404, "message": "customer 999 not found"}
        }
    assert get(client, "/api/v1/interactions/999?topic=Nope", 404) == {
        "error": {"status": 404, "message": "customer 999 not found"}
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "customer id must be a positive whole number, not 'abc'"),
        ("-1", "customer id must be a positive whole number, not '-1'"),
        ("0", "customer id must be a positive whole number, not '0'"),
        ("1.5", "customer id must be a positive whole number, not '1.5'"),
        (
            "18446744073709551616",
            "customer id '18446744073709551616' is out of range: the largest is "
            "9223372036854775807",
        ),
    ],
)
def test_malformed_customer_id_is_400(sample, client, text, message):
    assert get(client, f"/api/v1/interactions/{text}", 400) == {
        "error": {"status": 400, "message": message}
    }


def test_largest_customer_id_is_a_valid_question(sample, client):
    assert get(client, "/api/v1/interactions/9223372036854775807", 404) == {
        "error": {"status": 404, "message": "customer 9223372036854775807 not found"}
    }


def test_topic_filter(sample, client):
    # No product's month overlaps an interaction's month: every interaction is 'Unknown'.
    assert get(client, "/api/v1/interactions/1?topic=Sand") == {
        "data": {"customer_id": 1, "interactions": ZERO}
    }
    assert get(client, "/api/v1/interactions/4?topic=Unknown") == {
        "data": {"customer_id": 4, "interactions": {"Email": 0, "Call": 1, "Bird": 1}}
    }
    assert get(client, "/api/v1/interactions/1?topic=Nope", 404) == {
        "error": {"status": 404, "message": "topic 'Nope' not found"}
    }
    assert get(client, "/api/v1/interactions/1?topic=sand", 404) == {
        "error": {"status": 404, "message": "topic 'sand' not found"}
    }


def test_topics_per_customer(sample, client):
    assert get(client, "/api/v1/interactions/1/topics") == {
        "data": {"customer_id": 1, "topics": {"Unknown": {"Email": 1, "Call": 0, "Bird": 0}}}
    }
    assert get(client, "/api/v1/interactions/4/topics") == {
        "data": {"customer_id": 4, "topics": {"Unknown": {"Email": 0, "Call": 1, "Bird": 1}}}
    }
    assert get(client, "/api/v1/interactions/2/topics") == {
        "data": {"customer_id": 2, "topics": {}}
    }
    assert get(client, "/api/v1/interactions/abc/topics", 400) == {
        "error": {
            "status": 400,
            "message": "customer id must be a positive whole number, not 'abc'",
        }
    }


def test_interactions_per_customer_type(sample, client):
    everything = {
        "data": {
            "customer_types": {
                "Blue": {"Email": 1, "Call": 0, "Bird": 0},
                "Orange": ZERO,
                "Red": {"Email": 1, "Call": 0, "Bird": 0},
                "Unknown": {"Email": 0, "Call": 1, "Bird": 1},
            }
        }
    }
    assert get(client, "/api/v1/interactions/by-customer-type") == everything
    assert get(client, "/api/v1/interactions/by-customer-type?topic=Unknown") == everything
    assert get(client, "/api/v1/interactions/by-customer-type?topic=Sand") == {
        "data": {"customer_types": {"Blue": ZERO, "Orange": ZERO, "Red": ZERO, "Unknown": ZERO}}
    }
    assert get(client, "/api/v1/interactions/by-customer-type?topic=Nope", 404) == {
        "error": {"status": 404, "message": "topic 'Nope' not found"}
    }


# The sample's months: its first interaction (customer 1, 04/10/2019) to its last (customer
# 3, 04/06/2021).
SAMPLE_MONTHS = [f"{year}-{month:02d}" for year in (2019, 2020, 2021) for month in range(1, 13)][
    9:30
]


def test_monthly_interactions_per_customer(sample, client):
    def monthly(path, status=200):
        return get(client, f"/api/v1/interactions/{path}", status)

    email = {"Email": 1, "Call": 0, "Bird": 0}
    assert monthly("1/monthly") == {"data": {"customer_id": 1, "months": {"2019-10": email}}}
    # Customer 4: February and March 2020, the months between none (adjacent here).
    assert monthly("4/monthly") == {
        "data": {
            "customer_id": 4,
            "months": {
                "2020-02": {"Email": 0, "Call": 1, "Bird": 0},
                "2020-03": {"Email": 0, "Call": 0, "Bird": 1},
            },
        }
    }
    assert monthly("2/monthly") == {"data": {"customer_id": 2, "months": {}}}
    assert monthly("1/monthly?topic=Unknown") == monthly("1/monthly")
    assert monthly("1/monthly?topic=Sand") == {"data": {"customer_id": 1, "months": {}}}
    assert monthly("999/monthly", 404) == {
        "error": {"status": 404, "message": "customer 999 not found"}
    }
    assert monthly("1/monthly?topic=Nope", 404) == {
        "error": {"status": 404, "message": "topic 'Nope' not found"}
    }
    assert monthly("999/monthly?topic=Nope", 404)["error"]["message"] == "customer 999 not found"
    assert monthly("abc/monthly", 400)["error"]["message"] == (
        "customer id must be a positive whole number, not 'abc'"
    )


def test_monthly_interactions_per_customer_type(sample, client):
    def months(**counts):
        """Every sample month, zeros but `counts` ({month: {channel: n}})."""
        return {month: {**ZERO, **counts.get(month, {})} for month in SAMPLE_MONTHS}

    assert len(SAMPLE_MONTHS) == 21 and SAMPLE_MONTHS[-1] == "2021-06"
    everything = {
        "data": {
            "customer_types": {
                "Blue": months(**{"2021-06": {"Email": 1}}),
                "Orange": months(),
                "Red": months(**{"2019-10": {"Email": 1}}),
                "Unknown": months(**{"2020-02": {"Call": 1}, "2020-03": {"Bird": 1}}),
            }
        }
    }
    path = "/api/v1/interactions/by-customer-type/monthly"
    answer = get(client, path)
    assert answer == everything
    assert list(answer["data"]["customer_types"]["Red"]) == SAMPLE_MONTHS  # in order
    assert get(client, f"{path}?topic=Unknown") == everything
    types = ("Blue", "Orange", "Red", "Unknown")
    assert get(client, f"{path}?topic=Sand") == {
        "data": {"customer_types": {name: months() for name in types}}
    }
    assert get(client, f"{path}?topic=Nope", 404) == {
        "error": {"status": 404, "message": "topic 'Nope' not found"}
    }


def sheet_row(number, date_start, interaction, customer):
    return {
        "version": 1,
        "sheet": "External interactions",
        "sheet_row": number,
        "cells": {"Date Start": date_start, "Interaction": interaction, "Customers": customer},
    }


def test_the_rows_behind_a_count(sample, client):
    call = sheet_row(3, "11/02/2020 16:10", "Call", "4")
    bird = sheet_row(4, "05/03/2020 11:23", "Bird", "4")
    last = {"limit": 50, "next_cursor": None, "next": None}
    assert get(client, "/api/v1/interactions/4/rows") == {"data": [call, bird], "page": last}
    assert get(client, "/api/v1/interactions/4/rows?channel=Call&topic=Unknown") == {
        "data": [call],
        "page": last,
    }
    assert get(client, "/api/v1/interactions/4/rows?topic=Sand") == {"data": [], "page": last}
    assert get(client, "/api/v1/interactions/2/rows") == {"data": [], "page": last}
    first = get(client, "/api/v1/interactions/4/rows?limit=1")
    assert first == {
        "data": [call],
        "page": {
            "limit": 1,
            "next_cursor": "3",
            "next": "/api/v1/interactions/4/rows?limit=1&cursor=3",
        },
    }
    assert get(client, first["page"]["next"]) == {
        "data": [bird],
        "page": {"limit": 1, "next_cursor": None, "next": None},
    }
    for path, message in (
        ("999/rows", "customer 999 not found"),
        ("4/rows?channel=Pigeon", "channel 'Pigeon' not found"),
        ("4/rows?topic=Nope", "topic 'Nope' not found"),
    ):
        assert get(client, f"/api/v1/interactions/{path}", 404) == {
            "error": {"status": 404, "message": message}
        }


def customer(customer_id, occupation, customer_type, in_sheet, count):
    return {
        "customer_id": customer_id,
        "occupation": occupation,
        "customer_type": customer_type,
        "in_customer_sheet": in_sheet,
        "interaction_count": count,
    }


ALL_CUSTOMERS = [
    customer(1, "Jedi", "Red", True, 1),
    customer(2, "Batman", "Orange", True, 0),
    customer(3, "Santa Claus", "Blue", True, 1),
    customer(4, "Unknown", "Unknown", False, 2),
    customer(11, "Doctor", "Orange", True, 0),
    customer(12, "Plummer", "Red", True, 0),
]


def test_customers_in_one_page(sample, client):
    assert get(client, "/api/v1/customers") == {
        "data": ALL_CUSTOMERS,
        "page": {"limit": 50, "next_cursor": None, "next": None},
    }


def test_customers_page_by_page(sample, client):
    first = get(client, "/api/v1/customers?limit=4")
    assert first == {
        "data": ALL_CUSTOMERS[:4],
        "page": {"limit": 4, "next_cursor": "4", "next": "/api/v1/customers?limit=4&cursor=4"},
    }
    assert get(client, first["page"]["next"]) == {
        "data": ALL_CUSTOMERS[4:],
        "page": {"limit": 4, "next_cursor": None, "next": None},
    }
    # Exactly a page left: the page after it is not announced.
    assert get(client, "/api/v1/customers?limit=2&cursor=4")["page"]["next"] is None
    assert get(client, "/api/v1/customers?limit=2")["page"]["next"] == (
        "/api/v1/customers?limit=2&cursor=2"
    )
    assert get(client, "/api/v1/customers?cursor=12")["data"] == []


def test_customers_search_by_id_or_occupation(sample, client):
    def ids(query):
        return [row["customer_id"] for row in get(client, f"/api/v1/customers?{query}")["data"]]

    assert ids("q=jedi") == [1]
    assert ids("q=AN") == [2, 3]  # Batman, Santa Claus
    assert ids("q=4") == [4]  # the exact id, not a part of it
    assert ids("q=1") == [1]
    assert ids("q=unknown") == [4]
    assert ids("q=nobody") == []
    assert ids("q=%25") == []  # no wildcard: '%' is an ordinary character
    page = get(client, "/api/v1/customers?q=r&limit=1")  # Doctor, Plummer
    assert page["data"] == [ALL_CUSTOMERS[4]]
    assert page["page"]["next"] == "/api/v1/customers?limit=1&cursor=11&q=r"
    assert get(client, page["page"]["next"])["data"] == [ALL_CUSTOMERS[5]]


def test_customers_limit_over_500_is_400(sample, client):
    assert get(client, "/api/v1/customers?limit=501", 400) == {
        "error": {"status": 400, "message": "limit must be a whole number from 1 to 500, not '501'"}
    }
    assert len(get(client, "/api/v1/customers?limit=500")["data"]) == 6


@pytest.mark.parametrize(("name", "rows"), [("customers", 5), ("interactions", 4), ("products", 3)])
def test_legacy_stats(sample, client, name, rows):
    response = client.get(f"/api/v1/stats/{name}")
    assert response.status_code == 200
    assert response.get_data() == b'{"message":"Number of Rows","rows":%d}\n' % rows


@pytest.mark.parametrize(
    "name", ["orders", "dim_customers", "Customers", "customers'%20or%20'1'='1", "build_info"]
)
def test_legacy_stats_unknown_table(sample, client, name):
    assert get(client, f"/api/v1/stats/{name}", 404) == {"message": "Table name not found"}


def test_channels_and_topics(sample, client):
    assert get(client, "/api/v1/channels") == {
        "data": [
            {"channel": "Email", "display_order": 1},
            {"channel": "Call", "display_order": 2},
            {"channel": "Bird", "display_order": 3},
        ]
    }
    assert get(client, "/api/v1/topics") == {
        "data": [
            {"topic": "Orange", "is_unknown": False, "month_count": 1},
            {"topic": "Sand", "is_unknown": False, "month_count": 2},
            {"topic": "Unknown", "is_unknown": True, "month_count": 0},
        ]
    }


def built_at(sample):
    [(moment,)] = fetch_all(sample, "select built_at from marts.build_info")
    return moment


def test_ready_names_the_warehouse_and_the_last_build(sample, client):
    response = client.get("/ready")
    body = get(client, "/ready")
    assert body == {
        "status": "ready",
        "warehouse": sample.warehouse,
        "built_at": body["built_at"],
        "version": 1,
    }
    assert list(body) == ["status", "warehouse", "built_at", "version"]
    assert response.headers["X-Data-Version"] == "1"
    served = datetime.fromisoformat(body["built_at"])
    assert body["built_at"].endswith("Z")
    assert abs((served - built_at(sample)).total_seconds()) < 1
    assert get(client, "/health") == {"status": "ok"}


def test_data_quality(sample, client):
    body = get(client, "/api/v1/data-quality")
    assert body == {
        "data": {
            "built_at": get(client, "/ready")["built_at"],
            "sheets": [
                {"sheet": "customers", "rows_landed": 5, "rows_counted": 5, "rows_quarantined": 0},
                {
                    "sheet": "interactions",
                    "rows_landed": 4,
                    "rows_counted": 4,
                    "rows_quarantined": 0,
                },
                {"sheet": "products", "rows_landed": 3, "rows_counted": 3, "rows_quarantined": 0},
            ],
            "rows_quarantined_by_reason": {},
            "interactions_without_topic": 4,
            "customers_not_in_sheet": 1,
        }
    }


def test_unknown_route_and_wrong_method(sample, client):
    assert get(client, "/api/v1/customer/1", 404) == {
        "error": {"status": 404, "message": "no such endpoint: /api/v1/customer/1"}
    }
    response = client.put("/api/v1/customers")
    assert response.status_code == 405
    assert response.get_json()["error"]["status"] == 405


# --- a warehouse that is down, or not built -------------------------------------------------


def closed_port():
    """A port bound and not listening: connections to it are refused."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    return holder, holder.getsockname()[1]


UNAVAILABLE = {
    "error": {"status": 503, "message": "the warehouse is unavailable; try again shortly"}
}


def test_unreachable_postgres_is_503_within_2_seconds(client, monkeypatch):
    holder, port = closed_port()
    with holder:
        monkeypatch.setenv("WAREHOUSE", "postgres")
        monkeypatch.setenv("PGHOST", "127.0.0.1")
        monkeypatch.setenv("PGPORT", str(port))
        for url in ["/ready", "/api/v1/interactions/1", "/api/v1/stats/customers"]:
            started = time.monotonic()
            response = client.get(url)
            elapsed = time.monotonic() - started
            assert response.status_code == 503
            assert response.get_json() == {
                "error": {
                    "status": 503,
                    "message": "the warehouse is unavailable; try again shortly",
                }
            }
            assert str(port) not in response.get_data(as_text=True)
            assert elapsed < 2.0, f"{url} took {elapsed:.2f} s"
        assert client.get("/health").status_code == 200


def test_missing_duckdb_file_is_503(client, monkeypatch, tmp_path):
    monkeypatch.setenv("WAREHOUSE", "duckdb")
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "nowhere.duckdb"))
    for url in ["/ready", "/api/v1/interactions/1", "/api/v1/customers"]:
        assert get(client, url, 503) == {
            "error": {"status": 503, "message": "the warehouse is unavailable; try again shortly"}
        }
    assert not (tmp_path / "nowhere.duckdb").exists()  # read-only: never created


NOT_BUILT = {
    "error": {"status": 503, "message": "the marts are not built yet; try again after the build"}
}


def test_duckdb_without_marts_is_503(client, monkeypatch, tmp_path):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    monkeypatch.setenv("WAREHOUSE", "duckdb")
    monkeypatch.setenv("DUCKDB_PATH", str(empty))
    assert get(client, "/ready", 503) == NOT_BUILT
    assert get(client, "/api/v1/interactions/1", 503) == NOT_BUILT


def test_postgres_without_marts_is_503(client, monkeypatch):
    with postgres_database():
        monkeypatch.setenv("WAREHOUSE", "postgres")
        assert get(client, "/ready", 503) == NOT_BUILT
        assert get(client, "/api/v1/interactions/by-customer-type", 503) == NOT_BUILT


@pytest.mark.parametrize("sample_warehouse", ["duckdb"], indirect=True)
def test_duckdb_reader_follows_a_new_build(sample, app, client, tmp_path, monkeypatch):
    """A build replaces the file (os.replace): the next request reads the new one."""
    live = tmp_path / "live.duckdb"
    shutil.copy(sample.settings.duckdb_path, live)
    monkeypatch.setenv("DUCKDB_PATH", str(live))
    assert get(client, "/api/v1/interactions/2")["data"]["interactions"] == ZERO

    building = tmp_path / "live.duckdb.building"
    shutil.copy(sample.settings.duckdb_path, building)
    with duckdb.connect(str(building)) as connection:
        connection.execute(
            "update marts.answers_by_customer set interaction_count = 3"
            " where customer_id = 2 and channel = 'Call'"
        )
    os.replace(building, live)

    assert get(client, "/api/v1/interactions/2")["data"]["interactions"] == {
        "Email": 0,
        "Call": 3,
        "Bird": 0,
    }


@pytest.mark.parametrize("sample_warehouse", ["duckdb"], indirect=True)
def test_a_live_build_without_a_mart_the_api_reads_is_503(
    sample, app, client, tmp_path, monkeypatch
):
    """A live build made by an older project (no answers_by_customer_topic): that endpoint is
    a 503 until `interactions build`, the others still answer."""
    live = tmp_path / "old.duckdb"
    shutil.copy(sample.settings.duckdb_path, live)
    with duckdb.connect(str(live)) as connection:
        connection.execute("drop table marts.answers_by_customer_topic")
    monkeypatch.setenv("DUCKDB_PATH", str(live))
    assert get(client, "/api/v1/interactions/1/topics", 503) == NOT_BUILT
    assert get(client, "/api/v1/interactions/by-customer-type")["data"]["customer_types"]


@pytest.mark.parametrize("sample_warehouse", ["postgres"], indirect=True)
def test_postgres_reader_is_the_api_role_with_a_statement_timeout(sample, app):
    with app.app_context():
        reader = get_reader()
        [row] = reader.fetch_all(
            "select current_user as role, current_setting('statement_timeout') as timeout,"
            " current_setting('transaction_read_only') as read_only,"
            " current_setting('jit') as jit"
        )
        assert row == {"role": "interactions_api", "timeout": "5s", "read_only": "on", "jit": "off"}
        with pytest.raises(MartsMissing, match="permission denied"):
            reader.fetch_all("select count(*) as n from staging.stg_workbook__customers")
        with pytest.raises(MartsMissing, match="permission denied"):
            reader.fetch_all("select count(*) as n from raw.raw_customers")
        assert reader.fetch_all("select count(*) as n from marts.dim_customers") == [{"n": 6}]


@pytest.mark.parametrize("sample_warehouse", ["postgres"], indirect=True)
def test_postgres_cancels_a_slow_statement_and_the_reader_goes_on(sample, monkeypatch):
    """API_STATEMENT_TIMEOUT_MS: a statement running longer is cancelled by the server (503,
    never a hang), and the next one on the same pool answers."""
    from api import create_app
    from api.warehouse import WarehouseUnavailable, close_reader

    monkeypatch.setenv("API_STATEMENT_TIMEOUT_MS", "200")
    app = create_app({"TESTING": True})
    try:
        with app.app_context():
            reader = get_reader()
            started = time.monotonic()
            with pytest.raises(WarehouseUnavailable, match="statement timeout"):
                reader.fetch_all("select pg_sleep(3)")
            assert time.monotonic() - started < 2.0
            assert reader.fetch_all("select count(*) as n from marts.dim_customers") == [{"n": 6}]
    finally:
        close_reader(app)


@pytest.mark.parametrize("sample_warehouse", ["postgres"], indirect=True)
def test_a_full_pool_is_503_within_2_seconds(sample, monkeypatch):
    """Every connection of the pool busy (one, API_POOL_MAX_SIZE=1, held by a request that
    waits on a lock the test holds): the next request waits API_POOL_TIMEOUT, then is the 503
    JSON within 2 seconds; the held request answers once the lock is gone."""
    from api import create_app
    from api.warehouse import close_reader

    monkeypatch.setenv("API_POOL_MIN_SIZE", "1")
    monkeypatch.setenv("API_POOL_MAX_SIZE", "1")
    app = create_app({"TESTING": True})
    url = "/api/v1/stats/customers"
    held = {}
    try:
        assert get(app.test_client(), url) == {"message": "Number of Rows", "rows": 5}
        with psycopg.connect(dbname=sample.environ["PGDATABASE"]) as locker:
            locker.execute("lock table marts.sheet_reconciliation in access exclusive mode")
            holder = threading.Thread(
                target=lambda: held.update(response=app.test_client().get(url))
            )
            holder.start()
            deadline = time.monotonic() + 5
            while not waiting_on_a_lock(locker) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert waiting_on_a_lock(locker), "the first request never waited on the lock"
            started = time.monotonic()
            response = app.test_client().get(url)
            elapsed = time.monotonic() - started
            assert (response.status_code, response.get_json()) == (503, UNAVAILABLE)
            assert 1.4 < elapsed < 2.0, f"{elapsed:.2f} s"  # API_POOL_TIMEOUT is 1.5 s
            locker.rollback()
        holder.join(timeout=10)
        assert held["response"].status_code == 200
        assert held["response"].get_json() == {"message": "Number of Rows", "rows": 5}
    finally:
        close_reader(app)


def test_the_watchdog_breaks_each_waiting_statement_at_its_own_deadline():
    """api/warehouse.Watchdog: a watch that ends before the one its thread sleeps for (a
    lookup that waited for its connection) is broken at its own deadline; a watch that ended
    in time is never broken."""
    from api.warehouse import Watchdog

    class Connection:  # what the watchdog needs of a psycopg connection: its socket
        def __init__(self):
            self.ours, self.server = socket.socketpair()

        def fileno(self):
            return self.ours.fileno()

    watchdog = Watchdog()
    late, early, finished = Connection(), Connection(), Connection()
    start = time.monotonic()
    with watchdog.watching(finished, start + 0.3):
        pass  # answered in time
    with watchdog.watching(late, start + 3.0) as late_watch:
        time.sleep(0.1)  # the thread now sleeps until the late deadline
        with watchdog.watching(early, start + 0.5) as early_watch:
            early.ours.settimeout(5)
            assert early.ours.recv(1) == b""  # shut down by the watchdog
            broken = time.monotonic() - start
            assert early_watch.fired and not late_watch.fired
            assert 0.5 <= broken < 1.0, f"{broken:.2f} s"
    time.sleep(0.5)  # past the finished watch's deadline: its socket still works
    finished.server.send(b"x")
    assert finished.ours.recv(1) == b"x"
    for connection in (late, early, finished):
        connection.ours.close()
        connection.server.close()


def waiting_on_a_lock(connection) -> bool:
    """Whether a statement of the API's role waits on a lock."""
    with psycopg.connect(dbname=connection.info.dbname, autocommit=True) as watcher:
        return (
            watcher.execute(
                "select count(*) from pg_stat_activity"
                " where usename = 'interactions_api' and wait_event_type = 'Lock'"
            ).fetchone()[0]
            == 1
        )


# --- the API document's examples are real answers; the README lists every endpoint ----------

ROOT = Path(__file__).resolve().parents[1]
API_DOC = ROOT / "docs" / "API.md"
EXAMPLE = re.compile(r"^\s*\$ curl '?localhost:5000(?P<url>[^' ]+)'?\n\s*(?P<body>\{.*\})$", re.M)


def doc_section(path: Path, title: str) -> str:
    return path.read_text().split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def documented_examples():
    section = doc_section(API_DOC, "API")
    return [(match["url"], json.loads(match["body"])) for match in EXAMPLE.finditer(section)]


def test_the_api_document_shows_every_endpoint_with_an_example():
    from api.openapi import document

    documented = {url.split("?")[0] for url, _ in documented_examples()}
    for template, item in document()["paths"].items():
        if template == "/api/v1/openapi.json" or "get" not in item:
            continue
        pattern = re.sub(r"\{[^/]+\}", "[^/]+", template)
        assert any(re.fullmatch(pattern, url) for url in documented), template


def test_the_api_document_shows_every_admin_endpoint_in_its_section():
    """The POST endpoints change data: their examples are in "Updating the data from the
    API" (tests/test_api_imports.py checks the real answers)."""
    from api.openapi import document

    section = doc_section(API_DOC, "Updating the data from the API")
    posted = set(re.findall(r"^\$ curl .*localhost:5000(\S+)$", section, re.M))
    for template, item in document()["paths"].items():
        if "post" in item:
            pattern = re.sub(r"\{[^/]+\}", "[^/]+", template)
            assert any(re.fullmatch(pattern, url) for url in posted), template


def test_the_readme_lists_every_endpoint_once():
    """One line per endpoint in the README's API section: exactly the OpenAPI document's
    operations."""
    from api.openapi import document

    section = doc_section(ROOT / "README.md", "API")
    listed = re.findall(r"^- `(GET|POST|DELETE) (/\S*)`: ", section, re.M)
    operations = [
        (method.upper(), path)
        for path, item in document()["paths"].items()
        for method in item
        if method in ("get", "post", "delete")
    ]
    assert sorted(listed) == sorted(operations)


def test_the_api_documents_examples_are_the_real_answers(sample, client):
    examples = documented_examples()
    assert len(examples) >= 19
    for url, body in examples:
        answer = client.get(url).get_json()
        if url in ("/ready", "/api/v1/data-quality"):
            (answer.get("data") or answer)["built_at"] = (body.get("data") or body)["built_at"]
        if url.startswith("/api/v1/versions"):  # the time of your build's import
            for served, shown in zip(answer["data"], body["data"], strict=False):
                served["imported_at"] = shown["imported_at"]
        if url == "/ready":
            answer["warehouse"] = "duckdb"
        assert answer == body, url
