"""`WAREHOUSE=spark_cluster interactions import X.xlsx` (issue 17, item 3): a workbook built and
tested on a Spark cluster, published into PostgreSQL as a new version, served by the API.

The cluster (`make spark-up`: a master, two workers of one core, the Thrift server) is the
session's (the `cluster` fixture, tests/spark_clusters.py), on ports and in a folder of its own. A
generated messy workbook (tests/messy_workbook.py) is imported on DuckDB and through the
cluster: every mart and every API answer must be the same, and both workers' executors must
have run the build's tasks (a build's statements, not its rows, make them). `make test` does
this with 2,000 interactions (CLUSTER_IMPORT_ROWS), `make test-scale` with 100,000 too (the
scale mark). Then, on the small import's served database, in turn: a cluster that cannot be
reached, a cluster that cannot reach PostgreSQL (refused before its build), an import killed
while the cluster's JDBC insert runs and a cluster build whose data test fails each leave the
served version as it was, and the failing import drops what the killed one left.
"""

import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import NamedTuple

import psycopg
import pytest
from psycopg import sql

from tests import messy_workbook
from tests.load import port_below_ephemeral_range
from tests.spark_clusters import fetch_json, tasks_per_executor
from tests.test_engines_agree import (
    MARTS,
    answers_to,
    comparable,
    describe_difference,
    project_copy,
    read_duckdb_marts,
    served,
)
from tests.test_security import assert_least_privilege
from tests.test_spark import BUILD_SECONDS, read_postgres_marts
from tests.warehouses import UNIT_TESTS, postgres_database

pytestmark = pytest.mark.spark

ROWS = int(os.environ.get("CLUSTER_IMPORT_ROWS", "2000"))
SCALE_ROWS = 100_000
# The first test of the 100k import waits for both imports (about 10 minutes, idle).
SIZES = [ROWS, pytest.param(SCALE_ROWS, marks=[pytest.mark.scale, pytest.mark.timeout(2400)])]
SEED = 17
# The staging model that every mart but dim_channels is built from: a data test that reads it
# alone holds back everything downstream of it when it fails (dbt waits for a test only in the
# nodes downstream of all of the test's parents; no model is downstream of every staging one).
FIRST_MODEL = "stg_workbook__products"
# The cluster's JDBC connection carries the password; no log may (trust auth ignores it).
SECRET = f"cluster-secret-{secrets.token_hex(8)}"


def interactions(home: Path, environ: dict, *argv, pause_at=None) -> subprocess.Popen:
    variables = {**os.environ, "INTERACTIONS_HOME": str(home), **environ}
    if pause_at:
        variables["INTERACTIONS_PAUSE_AT"] = pause_at
    return subprocess.Popen(  # noqa: S603 - fixed argument list
        [sys.executable, "-m", "interactions.cli", *argv],
        env=variables,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finished(process: subprocess.Popen) -> tuple[int, str]:
    output, _ = process.communicate(timeout=BUILD_SECONDS)
    return process.returncode, output


def live_version(dbname: str) -> int:
    with psycopg.connect(dbname=dbname) as connection:
        return connection.execute("select data_version from marts.build_info").fetchone()[0]


def fingerprint(dbname: str) -> dict:
    """Each served mart table's row count and a digest of its rows, computed in PostgreSQL
    (the views read only these tables)."""
    with psycopg.connect(dbname=dbname) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'marts' and table_type = 'BASE TABLE' order by 1"
            )
        ]
        return {
            table: connection.execute(
                sql.SQL(
                    "select count(*), md5(string_agg(t::text, ',' order by t::text)) from {} as t"
                ).format(sql.Identifier("marts", table))
            ).fetchone()
            for table in tables
        }


def leftovers(dbname: str, environ: dict) -> dict:
    """What a build leaves behind when it ends: PostgreSQL's __next schemas, the cluster's
    __next databases, landing folders."""
    from pyhive import hive

    with psycopg.connect(dbname=dbname) as connection:
        schemas = [
            name
            for (name,) in connection.execute(
                "select nspname from pg_namespace where nspname like '%%\\_\\_next'"
            )
        ]
    with hive.connect(host="127.0.0.1", port=int(environ["SPARK_THRIFT_PORT"])) as connection:
        cursor = connection.cursor()
        cursor.execute("show databases")
        databases = [name for (name,) in cursor.fetchall() if name.endswith("__next")]
    landing = Path(environ["SPARK_CLUSTER_DIR"]) / "landing"
    folders = sorted(p.name for p in landing.iterdir()) if landing.exists() else []
    return {"postgres": schemas, "cluster": databases, "landing": folders}


@pytest.fixture(scope="module", params=SIZES)
def imported(cluster, tmp_path_factory, request):
    """The generated workbook of request.param interactions imported on DuckDB and through
    the cluster (into a database of its own): (workbook, {engine: marts}, {engine: API
    environment}, cluster import output, PostgreSQL database, the cluster project's home)."""
    rows = request.param
    folder = tmp_path_factory.mktemp(f"cluster-import-{rows}")
    workbook = messy_workbook.generate(folder / f"messy-{rows}.xlsx", SEED, rows)
    duckdb_home = project_copy(folder / "duckdb", "duckdb")
    duckdb_path = duckdb_home / "warehouse" / "interactions.duckdb"
    duckdb_environ = {"WAREHOUSE": "duckdb", "DUCKDB_PATH": str(duckdb_path)}
    on_duckdb = interactions(duckdb_home, duckdb_environ, "import", str(workbook.path))
    with postgres_database() as dbname:
        home = project_copy(folder / "cluster")
        environ = {**cluster, "WAREHOUSE": "spark_cluster", "PGDATABASE": dbname}
        environ["PGPASSWORD"] = SECRET
        before = tasks_per_executor(cluster)
        code, output = finished(
            interactions(home, environ, "import", "--verbose", str(workbook.path))
        )
        assert code == 0, output[-5000:]
        after = tasks_per_executor(cluster)
        tasks = {executor: after[executor] - before.get(executor, 0) for executor in after}
        code, duckdb_output = finished(on_duckdb)
        assert code == 0, duckdb_output[-5000:]
        marts = {"duckdb": read_duckdb_marts(duckdb_path), "cluster": read_postgres_marts(dbname)}
        environs = {
            "duckdb": duckdb_environ,
            "cluster": {"WAREHOUSE": "postgres", "PGDATABASE": dbname},
        }
        yield Imported(workbook, marts, environs, output, dbname, home, environ, rows, tasks)


class Imported(NamedTuple):
    """What the `imported` fixture gives: the workbook, the marts and the API environment per
    engine ("duckdb", "cluster"), the cluster import's output, its PostgreSQL database, its
    project home and environment, the workbook's interactions, and the tasks each executor
    ran for the import."""

    workbook: messy_workbook.MessyWorkbook
    marts: dict
    environs: dict
    output: str
    dbname: str
    home: Path
    environ: dict
    rows: int
    tasks: dict


@pytest.mark.parametrize("table", MARTS)
def test_every_mart_published_from_the_cluster_is_the_one_duckdb_builds(imported, table):
    workbook, marts = imported.workbook, imported.marts
    columns, expected = comparable(marts["duckdb"], table)
    cluster_columns, rows = comparable(marts["cluster"], table)
    assert cluster_columns == columns
    assert expected, "an empty mart would prove nothing"
    if rows != expected:
        pytest.fail(
            describe_difference(workbook, table, columns, "duckdb", expected, "cluster", rows)
        )


def served_answers(environ: dict, marts: dict) -> dict:
    """The API's answers on one warehouse, by URL: each customer's (and an unknown one's)
    counts by channel and by topic, and the answers about all of them."""
    columns, customers = comparable(marts, "dim_customers")
    customer_ids = sorted(row[columns.index("customer_id")] for row in customers)
    urls = ["/api/v1/channels", "/api/v1/topics", "/api/v1/interactions/by-customer-type"]
    for customer_id in [*customer_ids, customer_ids[-1] + 1]:
        urls += [
            f"/api/v1/interactions/{customer_id}",
            f"/api/v1/interactions/{customer_id}/topics",
        ]
    with served(environ) as client:
        return answers_to(client, urls)


def test_every_answer_served_from_the_cluster_build_is_the_duckdb_one(imported):
    workbook, marts, environs, output, dbname, _, _, rows, _ = imported
    assert (
        f"Imported {workbook.path.name} into the spark_cluster warehouse (built on the Spark "
        "cluster, served by PostgreSQL): version 1 is live."
    ) in output
    assert live_version(dbname) == 1
    # dbt over the network: every model, data test and unit test (the project's, by name;
    # macros/spark_unit_tests.sql) passed on the cluster.
    assert re.search(r"Done\. PASS=\d+ WARN=\d+ ERROR=0 SKIP=0", output), output[-3000:]
    assert sorted(re.findall(r" PASS \w+::(test_\w+)", output)) == sorted(UNIT_TESTS)
    duckdb_answers = served_answers(environs["duckdb"], marts["duckdb"])
    cluster_answers = served_answers(environs["cluster"], marts["cluster"])
    assert sorted(duckdb_answers) == sorted(cluster_answers)
    assert len(duckdb_answers) > rows // 10  # every customer's answers, and an unknown one's
    different = [url for url in duckdb_answers if duckdb_answers[url] != cluster_answers[url]]
    assert different == [], [
        (url, duckdb_answers[url], cluster_answers[url]) for url in different[:5]
    ]


def test_both_workers_ran_the_build_and_no_log_or_page_holds_the_password(cluster, imported):
    tasks = imported.tasks
    assert len(tasks) == 2 and min(tasks.values()) > 100, tasks
    assert SECRET not in imported.output
    # The Thrift server's UI shows each statement (its JDBC/ODBC tab and the SQL status API):
    # the publishing ones, with the password redacted.
    ui = f"http://127.0.0.1:{cluster['SPARK_THRIFT_UI_PORT']}"
    [application] = fetch_json(f"{ui}/api/v1/applications")
    pages = {
        "sqlserver": fetch_text(f"{ui}/sqlserver/?sqlstat.pageSize=1000"),
        "sql api": fetch_text(f"{ui}/api/v1/applications/{application['id']}/sql?length=100000"),
    }
    for name, page in pages.items():
        assert "publish_fct_interactions" in page, name
        assert SECRET not in page, name
        assert "*********(redacted)" in page, name
    # Nor any file the cluster or the import wrote.
    searched = [
        path
        for folder in (Path(cluster["SPARK_CLUSTER_DIR"]), imported.home)
        for path in folder.rglob("*")
        if path.is_file() and path.suffix not in (".parquet", ".xlsx")
    ]
    assert [path for path in searched if SECRET.encode() in path.read_bytes()] == []
    thrift_log = Path(cluster["SPARK_CLUSTER_DIR"]) / "logs" / "thrift.log"
    assert "publish_fct_interactions using org.apache.spark.sql.jdbc" in thrift_log.read_text()
    assert len(searched) > 10


def fetch_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310
        return answer.read().decode()


def test_the_api_role_may_only_select_the_marts_after_a_cluster_import(imported):
    _, customers = comparable(imported.marts["duckdb"], "dim_customers")
    assert_least_privilege(imported.dbname, customers=len(customers))


# The failures need a served version, not its size: the small import's.
@pytest.mark.parametrize("imported", [ROWS], indirect=True)
def test_failures_and_a_kill_leave_the_served_version_as_it_was(imported, tmp_path):
    """Each in turn, each command meeting what the one before left: no cluster to reach; a
    cluster that cannot reach PostgreSQL; an import killed while the cluster's JDBC insert
    runs (it leaves its __next databases and schemas); a data test failing on the cluster,
    whose import drops what the kill left. After each, the same version is served, whole."""
    dbname, home, environ, rows = imported.dbname, imported.home, imported.environ, imported.rows
    served = fingerprint(dbname)
    assert len(served) > 15 and served["fct_interactions"][0] > rows // 2
    small = messy_workbook.generate(tmp_path / "small.xlsx", SEED + 1, 2000)

    def unchanged():
        """The same version served, the same rows."""
        assert live_version(dbname) == 1
        assert fingerprint(dbname) == served

    nothing_left = {"postgres": [], "cluster": [], "landing": []}
    # No cluster to reach: a clear error before anything starts.
    unreachable = {**environ, "SPARK_THRIFT_PORT": str(port_below_ephemeral_range())}
    code, output = finished(interactions(home, unreachable, "import", str(small.path)))
    assert code == 1
    assert (
        f"the Spark cluster's Thrift server at 127.0.0.1:{unreachable['SPARK_THRIFT_PORT']} "
        "cannot be reached" in output
    ), output[-3000:]
    unchanged()
    assert leftovers(dbname, environ) == nothing_left
    # A cluster that cannot reach PostgreSQL to publish: the error says so before dbt starts.
    closed = port_below_ephemeral_range()
    unpublished = {**environ, "SPARK_POSTGRES_URL": f"jdbc:postgresql://127.0.0.1:{closed}/x"}
    code, output = finished(interactions(home, unpublished, "import", "--verbose", str(small.path)))
    assert code == 1
    assert (
        "interactions import: reaching PostgreSQL to publish the marts failed on the Spark "
        "cluster: "
    ) in output, output[-3000:]
    assert f"127.0.0.1:{closed} refused" in output
    assert output.rstrip().endswith("; the live data is unchanged")
    assert "Running with dbt" not in output  # --verbose: no dbt process had started
    unchanged()
    assert leftovers(dbname, environ) == nothing_left
    # Killed while publishing: what it built is left for the next import to drop.
    killed_while_publishing(dbname, home, environ, small, tmp_path / "go-on")
    unchanged()
    left = leftovers(dbname, environ)
    assert left["cluster"] == ["marts__next", "raw__next", "staging__next"], left
    assert sorted(left["postgres"]) == ["marts__next", "raw__next", "staging__next"], left
    # A data test that fails on the cluster: dbt's own account, nothing published. It reads
    # FIRST_MODEL, so it fails as soon as that is built and dbt skips what is built from it.
    failing = home / "dbt_project" / "tests" / "cluster_failure.sql"
    failing.write_text(f"select count(*) as upstream_rows from {{{{ ref('{FIRST_MODEL}') }}}}\n")
    try:
        code, output = finished(interactions(home, environ, "import", "--verbose", str(small.path)))
    finally:
        failing.unlink()
    assert code == 1
    assert "dbt build failed (exit 1); the live data is unchanged" in output, output[-3000:]
    assert "cluster_failure" in output and "Running with dbt" in output
    [skipped] = re.findall(r"Done\. PASS=\d+ WARN=\d+ ERROR=1 SKIP=(\d+)", output)
    assert int(skipped) > 50, output[-3000:]
    unchanged()
    assert leftovers(dbname, environ) == nothing_left


def killed_while_publishing(dbname: str, home: Path, environ: dict, workbook, go_on: Path):
    """An import of `workbook` SIGKILLed while the cluster's JDBC insert into PostgreSQL runs:
    it pauses once PostgreSQL's __next tables are defined (pause point "fill"), the test locks
    them (SHARE: an insert waits), lets the import go on, sees the cluster's insert waiting in
    pg_stat_activity, and kills the import there."""
    process = interactions(
        home,
        {**environ, "INTERACTIONS_PAUSE_UNTIL": str(go_on)},
        "import",
        str(workbook.path),
        pause_at="fill",
    )
    for line in process.stdout:
        if line.startswith("paused at fill"):
            break
    else:
        pytest.fail(f"the import ended before filling (exit {process.wait(timeout=60)})")
    with psycopg.connect(dbname=dbname) as locking:
        tables = [
            sql.Identifier("marts__next", name)
            for (name,) in locking.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'marts__next' and table_type = 'BASE TABLE'"
            )
        ]
        assert len(tables) > 15
        locking.execute(sql.SQL("lock table {} in share mode").format(sql.SQL(", ").join(tables)))
        go_on.touch()
        inserting = wait_for_insert(dbname, "marts__next", seconds=120)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        process.stdout.close()
        assert inserting, "no JDBC insert into marts__next was waiting"
        locking.rollback()  # the cluster's insert, orphaned, goes on or is cancelled
    time.sleep(1)  # the dbt children die with it (PR_SET_PDEATHSIG)


def wait_for_insert(dbname: str, schema: str, seconds: float) -> bool:
    """An INSERT into a table of `schema` waiting on a lock (the cluster's JDBC writer)."""
    deadline = time.monotonic() + seconds
    with psycopg.connect(dbname=dbname, autocommit=True) as watching:
        while time.monotonic() < deadline:
            waiting = watching.execute(
                "select count(*) from pg_stat_activity where datname = %s"
                " and wait_event_type = 'Lock' and query ilike %s",
                (dbname, f"insert into {schema}.%"),
            ).fetchone()[0]
            if waiting:
                return True
            time.sleep(0.2)
    return False
