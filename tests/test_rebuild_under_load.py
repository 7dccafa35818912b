"""Rebuilds and imports while the API serves, on DuckDB and PostgreSQL.

The sample marts are built and served by Granian (`interactions serve`); a second process
keeps asking answers that read several marts at once; meanwhile `interactions build` runs on
changed seeds (customer 2 gets two calls, and one row is quarantined: the live version is the
sample, version 1, whose seeds are seeds/), then `interactions import` takes a workbook with
one more interaction (version 2), then `interactions rollback` makes version 1 live again. No
request may fail, and every answer must be exactly the complete old answer or the complete new
one: never an error, never half of each (DuckDB: a new file renamed over the live one;
PostgreSQL: the __next schemas swapped in by one transaction). A last test swaps the
PostgreSQL schemas 40 times under a load without pauses.
"""

import csv
import datetime
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import openpyxl
import psycopg
import pytest
from psycopg import sql

from core import settings as settings_module
from interactions import versions
from interactions.build import swap_postgres_schemas
from tests.load import ApiServer, Load
from tests.test_import_workbook import export_seeds
from tests.warehouses import copy_project, fresh_sample

pytestmark = pytest.mark.stress  # load: make test-fast leaves these out

# Answers that join several marts: each must come from one build.
PATHS = [
    "/api/v1/interactions/2",
    "/api/v1/interactions/2/topics",
    "/api/v1/interactions/by-customer-type",
    "/api/v1/customers?limit=3",
    "/api/v1/data-quality",
    "/api/v1/stats/interactions",
    "/ready",
]
NEW_INTERACTIONS = [
    {"date_start": "12/01/2019 10:00", "interaction": "Call", "customers": "2"},
    {"date_start": "13/01/2019 10:00", "interaction": "phone", "customers": "2"},
    {"date_start": "14/01/2019 10:00", "interaction": "Pigeon", "customers": "3"},  # quarantined
]


def change_seeds(home: Path):
    """Customer 2 gets two calls; a row with an unknown channel is quarantined."""
    seed = home / "seeds" / "raw_external_interactions.csv"
    with open(seed, newline="") as existing:
        columns = next(csv.reader(existing))
    if not seed.read_bytes().endswith(b"\n"):
        with open(seed, "a") as out:
            out.write("\n")
    with open(seed, "a", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns, restval="", lineterminator="\n")
        for row in NEW_INTERACTIONS:
            writer.writerow(row)


def workbook_with_a_bird_for_customer_2(home: Path, folder: Path) -> Path:
    """The project's seeds as the business's workbook, plus a Bird for customer 2."""
    path = export_seeds(home / "seeds", folder / "export.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook["External interactions"].append([datetime.datetime(2019, 1, 20, 8, 30), "Bird", 2])
    workbook.save(path)
    return path


def answers_of(server) -> dict[str, str]:
    bodies = {}
    for path in PATHS:
        with urllib.request.urlopen(server.url + path, timeout=10) as response:  # noqa: S310
            bodies[path] = response.read().decode()
    return bodies


def run_interactions(environ, home, *args):
    interactions = Path(sys.executable).with_name("interactions")
    return subprocess.run(  # noqa: S603
        [str(interactions), *args],
        env={**os.environ, **environ, "INTERACTIONS_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def under_load(server, change, tmp_path) -> dict[str, str]:
    """Run `change` (a command) while the API is under load; check every answer of the load
    is the complete old or the complete new one; return the new answers."""
    old = answers_of(server)
    load = Load(server.url, PATHS, tmp_path, clients=3, seconds=120, pause=0.002)
    try:
        time.sleep(0.5)
        started = time.time()
        finished_command = change()
        finished = time.time()
        time.sleep(1.0)
    finally:
        answers = load.stop()
    assert finished_command.returncode == 0, (
        finished_command.stdout[-3000:] + finished_command.stderr[-3000:]
    )
    new = answers_of(server)
    assert_old_or_new(old, new, answers, started, finished)
    return new


def assert_old_or_new(old, new, answers, started, finished):
    # The new data differs from the old in every answer.
    assert [path for path in PATHS if old[path] == new[path]] == []
    during = [a for a in answers if started <= a.started and a.finished <= finished]
    assert len(during) >= 50, "too few requests while the command ran"
    # Zero failed requests, and each answer is exactly the old or the new one.
    failed = [(a.path, a.status, a.error, (a.body or "")[:200]) for a in answers if a.status != 200]
    assert failed == []
    mixed = [(a.path, a.body) for a in answers if a.body not in (old[a.path], new[a.path])]
    assert mixed == []
    kinds = Counter("old" if a.body == old[a.path] else "new" for a in answers)
    assert kinds["old"] >= 50 and kinds["new"] >= 10, kinds
    last = [a for a in answers if a.started > finished + 0.3]
    assert last and all(a.body == new[a.path] for a in last)


def rebuild_and_import_under_load(environ: dict[str, str], home: Path, tmp_path: Path):
    server = ApiServer(environ, tmp_path / "server.log")
    try:
        change_seeds(home)
        built = under_load(server, lambda: run_interactions(environ, home, "build"), tmp_path)
        assert json.loads(built["/api/v1/interactions/2"])["data"]["interactions"] == {
            "Email": 0,
            "Call": 2,
            "Bird": 0,
        }
        workbook = workbook_with_a_bird_for_customer_2(home, tmp_path)
        new = under_load(
            server, lambda: run_interactions(environ, home, "import", str(workbook)), tmp_path
        )
        assert json.loads(new["/api/v1/interactions/2"])["data"]["interactions"] == {
            "Email": 0,
            "Call": 2,
            "Bird": 1,
        }
        # Back to version 1 (the changed seeds/), under the same load.
        rollbacks = []

        def rollback():
            rollbacks.append(run_interactions(environ, home, "rollback"))
            return rollbacks[-1]

        new = under_load(server, rollback, tmp_path)
        assert re.fullmatch(
            rf"rollback: version 1 of the {environ['WAREHOUSE']} marts is live "
            r"\(was 2; [0-9.]+ s\); nothing was deleted\n",
            rollbacks[0].stdout,
        ), rollbacks[0].stdout + rollbacks[0].stderr
        assert json.loads(new["/api/v1/interactions/2"])["data"]["interactions"] == {
            "Email": 0,
            "Call": 2,
            "Bird": 0,
        }
        for path in ("/api/v1/interactions/2/topics", "/api/v1/interactions/by-customer-type"):
            assert new[path] == built[path], path
    finally:
        server.stop()
    assert_no_query_was_retried(tmp_path / "server.log")


def assert_no_query_was_retried(log: Path):
    """A query PostgreSQL cancelled (a deadlock with the swap) or whose connection it closed
    is retried once and then answers 200 (api/warehouse.py): only the server's log shows it."""
    retried = [line for line in log.read_text().splitlines() if "retrying once" in line]
    assert retried == []


def test_duckdb_build_and_import_under_load(tmp_path):
    home = copy_project(tmp_path / "project")
    with fresh_sample("duckdb", home):
        environ = {
            "WAREHOUSE": "duckdb",
            "DUCKDB_PATH": str(home / "warehouse/interactions.duckdb"),
        }
    settings = settings_module.load({**environ, "INTERACTIONS_HOME": str(home)})
    rebuild_and_import_under_load(environ, home, tmp_path)
    # The build, the import and the rollback left no file behind but the live warehouse and
    # the version store, which holds the two kept versions and nothing else.
    assert sorted(p.name for p in settings.duckdb_path.parent.iterdir()) == [
        ".build.lock",
        "interactions.duckdb",
        "versions",
    ]
    store = versions.Store(settings_module.load({**environ, "INTERACTIONS_HOME": str(home)}))
    assert sorted(p.name for p in store.root.iterdir()) == ["1", "2"]
    assert store.numbers() == [1, 2]


def test_postgres_build_and_import_under_load(tmp_path):
    home = copy_project(tmp_path / "project")
    with fresh_sample("postgres", home) as dbname:
        rebuild_and_import_under_load(
            {"WAREHOUSE": "postgres", "PGDATABASE": dbname}, home, tmp_path
        )


# --- the PostgreSQL swap itself, many times over -------------------------------------------

SWAPS = 40


def prepare_next_schemas(dbname: str, version: int):
    """__next schemas as a build leaves them: a copy of the marts in which customer 2 has the
    customer type V<version>, with <version> calls in the per-type answers, and the customers
    sheet quarantined <version> rows for the reason 'swap <version>' (in two marts)."""
    with psycopg.connect(dbname=dbname, autocommit=True) as connection:
        for schema in ("raw__next", "staging__next", "marts__next"):
            connection.execute(
                sql.SQL("drop schema if exists {0} cascade; create schema {0}").format(
                    sql.Identifier(schema)
                )
            )
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
        for (table,) in tables:
            connection.execute(
                sql.SQL("create table {} as select * from {}; grant select on {} to {}").format(
                    sql.Identifier("marts__next", table),
                    sql.Identifier("marts", table),
                    sql.Identifier("marts__next", table),
                    sql.Identifier("interactions_api"),
                )
            )
        connection.execute("grant usage on schema marts__next to interactions_api")
        customer_type = f"V{version}"
        connection.execute(
            "update marts__next.dim_customers set customer_type = %s where customer_id = 2",
            (customer_type,),
        )
        connection.execute(
            "delete from marts__next.answers_by_customer_type where customer_type like 'V%%'"
        )
        connection.execute(
            "insert into marts__next.answers_by_customer_type"
            " (customer_type, channel, display_order, interaction_count)"
            " values (%(type)s, 'Email', 1, 0), (%(type)s, 'Call', 2, %(version)s),"
            " (%(type)s, 'Bird', 3, 0)",
            {"type": customer_type, "version": version},
        )
        connection.execute("delete from marts__next.quarantine_summary")
        connection.execute(
            "insert into marts__next.quarantine_summary values ('customers', %s, %s)",
            (f"swap {version}", version),
        )
        connection.execute(
            "update marts__next.sheet_reconciliation set rows_quarantined = %s"
            " where sheet_name = 'customers'",
            (version,),
        )


def test_postgres_schema_swaps_under_load_fail_no_request_and_never_mix(tmp_path):
    """The swap takes every live mart's lock before it renames: a reader is never cancelled
    (deadlock) and never reads marts of two builds in one answer (data quality reads three).
    40 swaps under a load without pauses, on one worker: eight connections keep all its
    threads busy at once, sharing its pool and its answer cache."""
    home = copy_project(tmp_path / "project")
    with fresh_sample("postgres", home) as dbname:
        server = ApiServer(
            {"WAREHOUSE": "postgres", "PGDATABASE": dbname}, tmp_path / "g.log", workers=1
        )
        try:
            paths = [
                "/api/v1/interactions/by-customer-type",
                "/api/v1/customers?limit=3",
                "/api/v1/data-quality",
            ]
            load = Load(server.url, paths, tmp_path, clients=8, seconds=120, pause=0)
            try:
                for version in range(1, SWAPS + 1):
                    prepare_next_schemas(dbname, version)
                    swap_postgres_schemas()
            finally:
                answers = load.stop()
        finally:
            server.stop()
    failed = [(a.path, a.status, a.error, (a.body or "")[:200]) for a in answers if a.status != 200]
    assert failed == []
    assert_no_query_was_retried(tmp_path / "g.log")
    versions, quality_versions = set(), set()
    for answer in answers:
        if answer.path == paths[0]:
            types = answer.json()["data"]["customer_types"]
            swapped = [name for name in types if name.startswith("V")]
            if swapped:  # one build's type, with that build's count
                [name] = swapped
                assert types[name] == {"Email": 0, "Call": int(name[1:]), "Bird": 0}
                versions.add(int(name[1:]))
        elif answer.path == paths[1]:
            [_, second, _] = answer.json()["data"]
            assert second["customer_id"] == 2
        else:
            quality = answer.json()["data"]
            [customers] = [sheet for sheet in quality["sheets"] if sheet["sheet"] == "customers"]
            reasons = quality["rows_quarantined_by_reason"]
            if reasons:  # one build's reason, with that build's figure in the other mart
                [(reason, count)] = reasons.items()
                assert reason == f"swap {count}"
                assert customers["rows_quarantined"] == count
                quality_versions.add(count)
    assert len(answers) >= 200 and len(versions) >= SWAPS // 4
    assert len(quality_versions) >= SWAPS // 4


@pytest.fixture(autouse=True)
def _no_api_keys(monkeypatch):
    monkeypatch.delenv("API_KEY_HASHES", raising=False)
