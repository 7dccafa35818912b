"""The same dbt project on Apache Spark (WAREHOUSE=spark, an in-process PySpark): how a build
goes live and keeps the live warehouse when it fails, and (make test-scale: the scale mark) a
generated workbook of 100,000+ interactions, bulk-loaded by Spark's CSV reader, giving marts equal
to PostgreSQL's row for row. `make test`'s real Spark build is test_engines_agree.py's: the
differential workbook, its unit tests, and a build whose data fails a test. Without PySpark or
Java these tests skip, except with CI=true, where they fail."""

import csv
import importlib.util
import json
import os
import random
import re
import shutil
import subprocess
import sys
from contextlib import ExitStack
from datetime import datetime, timedelta

import psycopg
import pytest
from psycopg import sql

from core import settings as settings_module
from interactions.build import BuildError, build
from tests.warehouses import (
    UNIT_TESTS,
    copy_project,
    opted_out,
    postgres_available,
    postgres_database,
    require_postgres,
    unavailable,
)

pytestmark = pytest.mark.spark  # make test-fast leaves these out

MARTS = [
    "answers_by_customer",
    "answers_by_customer_month",
    "answers_by_customer_topic",
    "answers_by_customer_topic_month",
    "answers_by_customer_type",
    "answers_by_customer_type_month",
    "answers_by_customer_type_topic",
    "answers_by_customer_type_topic_month",
    "build_info",
    "customer_versions",
    "data_versions",
    "dim_channels",
    "dim_customers",
    "dim_months",
    "dim_topics",
    "fct_interactions",
    "interactions_by_customer_channel",
    "interactions_by_customer_month",
    "interactions_by_customer_type_channel",
    "quarantine_summary",
    "quarantined_rows",
    "sheet_reconciliation",
]
# Differs between any two builds: the time the build finished.
BUILD_TIME_COLUMNS = {"build_info": ["built_at"]}
GENERATED_INTERACTIONS = 100_000
BUILD_SECONDS = 1200  # a build on Spark that takes longer has hung


def require_spark():
    if opted_out("SKIP_SPARK"):
        unavailable("SKIP_SPARK", "the Spark tests are skipped")
    if importlib.util.find_spec("pyspark") is None:
        unavailable("SKIP_SPARK", "PySpark is not installed (make install-spark)")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        unavailable("SKIP_SPARK", "Java is not installed (PySpark needs Java 17)")


# Reads every table of the `marts` database through Spark's own catalog (the metastore the
# build left), in a process of its own: {table: {"columns": [...], "rows": [[...], ...]}}.
READ_SPARK_MARTS = r"""
import datetime, json, sys
from pyspark.sql import SparkSession

warehouse = sys.argv[1]
spark = (
    SparkSession.builder.master("local[2]")
    .config("spark.ui.enabled", "false")
    .config("spark.ui.showConsoleProgress", "false")
    .config("spark.sql.session.timeZone", "UTC")
    .config(  # as profiles.yml
        "spark.driver.extraJavaOptions",
        "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=256m -XX:+UseSerialGC",
    )
    .config("spark.sql.warehouse.dir", warehouse + "/tables")
    .config(
        "spark.hadoop.javax.jdo.option.ConnectionURL",
        "jdbc:derby:;databaseName=" + warehouse + "/metastore_db",
    )
    .enableHiveSupport()
    .getOrCreate()
)


def plain(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


marts = {}
for table in spark.sql("show tables in marts").collect():
    frame = spark.table("marts." + table.tableName)
    marts[table.tableName] = {
        "columns": frame.columns,
        "rows": [[plain(value) for value in row] for row in frame.collect()],
    }
spark.stop()
print(json.dumps(marts))
"""


def read_spark_marts(settings) -> dict:
    """Every mart of the live Spark warehouse, read by Spark (dates as ISO text)."""
    warehouse = settings.spark_warehouse_dir
    assert warehouse.is_symlink(), "interactions build leaves the live warehouse as a link"
    process = subprocess.run(  # noqa: S603 - fixed argument list
        [sys.executable, "-c", READ_SPARK_MARTS, str(warehouse)],
        capture_output=True,
        text=True,
        check=False,
        cwd=warehouse,
        env={**os.environ, "TZ": "UTC", "PYSPARK_PYTHON": sys.executable},
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return json.loads(process.stdout.strip().splitlines()[-1])


def read_postgres_marts(dbname: str) -> dict:
    """Every mart of a PostgreSQL database, in the same shape as read_spark_marts."""

    def plain(value):
        if isinstance(value, datetime):
            return value.isoformat(sep=" ")
        return value.isoformat() if hasattr(value, "isoformat") else value

    marts = {}
    with psycopg.connect(dbname=dbname) as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
        for (table,) in tables:
            cursor = connection.execute(
                sql.SQL("select * from {}").format(sql.Identifier("marts", table))
            )
            marts[table] = {
                "columns": [column.name for column in cursor.description],
                "rows": [[plain(value) for value in row] for row in cursor.fetchall()],
            }
    return marts


def comparable(marts: dict, table: str) -> tuple[list, list]:
    """A mart's columns and its rows in a canonical order, without the build-time columns."""
    columns = marts[table]["columns"]
    keep = [i for i, name in enumerate(columns) if name not in BUILD_TIME_COLUMNS.get(table, [])]
    rows = [[row[i] for i in keep] for row in marts[table]["rows"]]
    return [columns[i] for i in keep], sorted(rows, key=json.dumps)


class CliBuild:
    """`interactions build` on a project copy, in a process of its own, so that the builds of
    this module (two on Spark, one on PostgreSQL) overlap."""

    def __init__(self, home, environ):
        self.environ = {**os.environ, "INTERACTIONS_HOME": str(home), **environ}
        self.settings = settings_module.load(self.environ)
        self.log = home / "build.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argument list
                [sys.executable, "-m", "interactions.cli", "build"],
                env=self.environ,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        """Wait for the build (at most BUILD_SECONDS); its output (dbt's log) when it passed."""
        self.process.wait(timeout=BUILD_SECONDS)
        output = self.log.read_text()
        assert self.process.returncode == 0, output[-5000:]
        assert f"build: the {self.settings.warehouse} marts are live" in output
        return output

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


def spark_build(home):
    live = home / "warehouse" / "spark" / "live"
    return CliBuild(home, {"WAREHOUSE": "spark", "SPARK_WAREHOUSE_DIR": str(live)})


@pytest.fixture(scope="module")
def generated_builds(tmp_path_factory):
    """The generated workbook's builds (make test-scale), started at once: on Spark and (when
    PostgreSQL is reachable) on PostgreSQL, from the same seed files. Yields (builds, the rows
    written per generated sheet, PostgreSQL's database name or None)."""
    require_spark()
    generated_home = copy_project(tmp_path_factory.mktemp("generated-spark"))
    written = generate_workbook(generated_home / "seeds")
    started = {"generated": spark_build(generated_home)}
    with ExitStack() as postgres:
        dbname = None
        if postgres_available():
            dbname = postgres.enter_context(postgres_database())
            home = copy_project(tmp_path_factory.mktemp("generated-postgres"))
            shutil.rmtree(home / "seeds")
            shutil.copytree(generated_home / "seeds", home / "seeds")
            environ = {"WAREHOUSE": "postgres", "PGDATABASE": dbname}
            started["postgres"] = CliBuild(home, environ)
        try:
            yield started, written, dbname
        finally:
            for build_process in started.values():
                build_process.stop()


def rows_of(marts, table, *columns):
    names = marts[table]["columns"]
    picked = [[row[names.index(column)] for column in columns] for row in marts[table]["rows"]]
    return sorted(tuple(row) for row in picked)


# --- a generated workbook of 100,000+ interactions, on Spark and on PostgreSQL ---------------

CHANNEL_SPELLINGS = ["Email", " e-mail ", "MAIL", "Call", "phone", "Phone Call", "Bird", "bird"]
PRODUCTS = ["Sand", "Orange", "Lemon", "Kiwi", "Basil"]
OCCUPATIONS = ["Jedi", "Batman", "Doctor", "Plummer", 'Doctor, "PhD"', "null", "", "Line\nbreak"]
TYPES = ["Red", "Orange", "Blue", " Green ", ""]


def generate_workbook(seeds, interactions=GENERATED_INTERACTIONS, customers=20_000):
    """Seeds like the business's workbook, at scale and messy: floats and padded ids, unknown
    and missing channels, impossible dates, blank rows, customers missing from the sheet,
    duplicate customer ids, quoted cells with commas, quotes and line breaks. Returns the
    number of rows written per sheet."""
    rng = random.Random(8)  # noqa: S311 - test data

    def write(name, header, rows):
        with open(seeds / name, "w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)

    customer_rows = []
    for customer_id in range(1, customers + 1):
        spelled = rng.choice([str(customer_id)] * 8 + [f"{customer_id}.0", f" {customer_id} "])
        customer_rows.append([spelled, rng.choice(OCCUPATIONS), rng.choice(TYPES)])
    for _ in range(50):  # listed twice: the first row counts
        customer_rows.append([str(rng.randint(1, customers)), "Impostor", "Red"])
    customer_rows += [["12in", "Nobody", "Red"], ["-1", "Nobody", "Red"], ["", "", ""]]
    customer_rows += [["0", "Nobody", "Red"], ["", "Ghost", "Blue"]]
    write("raw_customers.csv", ["customer_id", "occupation", "type"], customer_rows)

    start = datetime(2019, 1, 1)
    interaction_rows = []
    for _ in range(interactions):
        moment = start + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        if rng.random() < 0.1:
            when = f"{moment.day}/{moment.month}/{moment.year} {moment.hour}:{moment.minute:02d}"
        else:
            when = moment.strftime("%d/%m/%Y %H:%M")
        customer = str(rng.randint(1, customers + 500))  # the last 500 are not in the sheet
        interaction_rows.append([when, rng.choice(CHANNEL_SPELLINGS), customer])
    for position in rng.sample(range(interactions), 1_000):
        bad = rng.choice(
            [
                ["31/02/2020 10:00", "Email", "1"],
                ["2020-01-16 10:00", "Call", "2"],
                ["05/03/2020 11:23", "Pigeon", "3"],
                ["05/03/2020 11:23", "", "3"],
                ["05/03/2020 11:23", "Bird", "12in"],
                ["05/03/2020 11:23", "Bird", " "],
                [" 06/03/2020 12:00 ", "Email", "4.0"],
                ["", "", ""],
            ]
        )
        interaction_rows.insert(position, bad)
    write(
        "raw_external_interactions.csv",
        ["date_start", "interaction", "customers"],
        interaction_rows,
    )

    product_rows = []
    for year in (2019, 2020, 2021):
        for month in range(1, 13):
            if rng.random() < 0.7:
                product = rng.choice(PRODUCTS)
                product_rows += [[f"{month:02d}-{year}", product]] * rng.choice([1, 1, 2])
    product_rows += [["13-2020", "Sand"], ["02-2020", ""], ["", ""]]
    write("raw_products_of_discussion.csv", ["date", "product"], product_rows)
    return {
        "customers": len(customer_rows),
        "interactions": len(interaction_rows),
        "products": len(product_rows),
    }


@pytest.fixture(scope="module")
def generated(generated_builds):
    """The generated workbook built on Spark and, from the same seed files, on PostgreSQL:
    the rows written per sheet, and for each engine a (dbt output, marts) pair."""
    started, written, dbname = generated_builds
    if dbname is None:
        require_postgres()  # skips, or with CI=true fails
        pytest.fail("PostgreSQL was unreachable when this module's builds started")
    postgres_output = started["postgres"].output()
    postgres_marts = read_postgres_marts(dbname)
    spark_output = started["generated"].output()
    return (
        written,
        (spark_output, read_spark_marts(started["generated"].settings)),
        (postgres_output, postgres_marts),
    )


@pytest.mark.scale
@pytest.mark.timeout(2400)  # the first waits for both 100k builds
@pytest.mark.parametrize("table", MARTS)
def test_generated_marts_are_the_same_on_spark_and_postgres(generated, table):
    _, (_, spark_marts), (_, postgres_marts) = generated
    assert sorted(spark_marts) == sorted(postgres_marts) == MARTS
    spark_columns, spark_rows = comparable(spark_marts, table)
    postgres_columns, postgres_rows = comparable(postgres_marts, table)
    assert spark_columns == postgres_columns
    if table == "data_versions":
        # Spark keeps no version store: it lists no version. PostgreSQL's first build of the
        # same seeds/ lists it as version 1, live, with this build's figures.
        assert spark_rows == []
        [(counted, quarantined)] = rows_of(
            postgres_marts, "build_info", "interactions_counted", "rows_quarantined"
        )
        assert rows_of(
            postgres_marts,
            "data_versions",
            "version",
            "file_name",
            "interactions_counted",
            "rows_quarantined",
            "is_live",
        ) == [(1, "seeds/", counted, quarantined, True)]
        return
    assert spark_rows, "an empty mart would prove nothing"
    assert len(spark_rows) == len(postgres_rows)
    assert spark_rows == postgres_rows


@pytest.mark.scale
@pytest.mark.timeout(2400)
def test_generated_workbook_is_counted_and_reconciled_on_spark(generated):
    written, (spark_output, spark_marts), (postgres_output, _) = generated
    assert written["interactions"] == GENERATED_INTERACTIONS + 1_000
    reconciliation = rows_of(
        spark_marts,
        "sheet_reconciliation",
        "sheet_name",
        "rows_landed",
        "rows_counted",
        "rows_quarantined",
    )
    assert [(sheet, landed) for sheet, landed, _, _ in reconciliation] == sorted(written.items())
    for _, landed, counted, quarantined in reconciliation:
        assert landed == counted + quarantined
        assert 0 < quarantined < counted
    interactions_counted = rows_of(spark_marts, "build_info", "interactions_counted")[0][0]
    assert interactions_counted >= GENERATED_INTERACTIONS
    # The same findings, test by test, on both engines; no error anywhere.
    findings = re.compile(r" (PASS|WARN \d+|FAIL \d+|ERROR) (\S+) ")
    assert sorted(findings.findall(spark_output)) == sorted(findings.findall(postgres_output))
    assert "ERROR=0" in spark_output
    assert sorted(re.findall(r" PASS \w+::(test_\w+)", spark_output)) == sorted(UNIT_TESTS)


# --- going live on Spark ---------------------------------------------------------------------


def test_warehouse_spark_is_a_setting(tmp_path):
    settings = settings_module.load({"WAREHOUSE": "spark", "INTERACTIONS_HOME": str(tmp_path)})
    assert settings.warehouse == "spark"
    assert settings.spark_warehouse_dir == tmp_path / "warehouse" / "spark" / "live"


def fake_dbt(monkeypatch, command):
    """dbt replaced by `command(env)` (the build's one runner, DbtProcess)."""

    class FakeDbt:
        def __init__(self, settings, env):
            self.env = env

        def run(self, args, echo=True):
            return command(self.env)

        def close(self):
            pass

    monkeypatch.setattr("interactions.build.DbtProcess", FakeDbt)


def test_a_failed_spark_build_keeps_the_live_warehouse(tmp_path, monkeypatch):
    """A build goes live by switching the `live` link; dbt failing leaves it, and the folder it
    points at, exactly as they were, and removes the half-built folder."""
    require_spark()
    settings = settings_module.load({"WAREHOUSE": "spark", "INTERACTIONS_HOME": str(tmp_path)})
    builds = []

    def dbt_passes(env):
        folder = env["SPARK_WAREHOUSE_DIR"]
        os.makedirs(f"{folder}/tables")
        with open(f"{folder}/tables/marker", "w") as marker:
            marker.write(str(len(builds)))
        builds.append(folder)
        return "Done. PASS=1"

    def dbt_fails(env):
        os.makedirs(f"{env['SPARK_WAREHOUSE_DIR']}/tables")
        builds.append(env["SPARK_WAREHOUSE_DIR"])
        raise BuildError("dbt build failed (exit 1); the live data is unchanged", "FAIL 1")

    live = settings.spark_warehouse_dir
    fake_dbt(monkeypatch, dbt_passes)
    build(settings, echo=False)
    assert live.is_symlink() and (live / "tables" / "marker").read_text() == "0"
    first = live.resolve()

    fake_dbt(monkeypatch, dbt_fails)
    with pytest.raises(BuildError):
        build(settings, echo=False)
    assert live.resolve() == first
    assert (live / "tables" / "marker").read_text() == "0"
    assert sorted(path.name for path in live.parent.iterdir()) == ["live", first.name]

    fake_dbt(monkeypatch, dbt_passes)
    build(settings, echo=False)
    assert (live / "tables" / "marker").read_text() == "2"
    assert not first.exists()  # the previous build is removed once the new one is live
    assert sorted(path.name for path in live.parent.iterdir()) == ["live", live.resolve().name]


def test_a_real_folder_at_the_live_path_is_replaced_by_the_build(tmp_path, monkeypatch):
    """Running dbt directly leaves a plain folder at warehouse/spark/live; a build replaces it."""
    require_spark()
    settings = settings_module.load({"WAREHOUSE": "spark", "INTERACTIONS_HOME": str(tmp_path)})
    live = settings.spark_warehouse_dir
    (live / "tables").mkdir(parents=True)

    def dbt_passes(env):
        os.makedirs(f"{env['SPARK_WAREHOUSE_DIR']}/tables")
        return "Done. PASS=1"

    fake_dbt(monkeypatch, dbt_passes)
    build(settings, echo=False)
    assert live.is_symlink()
    assert sorted(path.name for path in live.parent.iterdir()) == ["live", live.resolve().name]


def test_a_spark_build_without_pyspark_says_how_to_install_it(tmp_path, monkeypatch):
    settings = settings_module.load({"WAREHOUSE": "spark", "INTERACTIONS_HOME": str(tmp_path)})
    monkeypatch.setattr("interactions.build.importlib.util.find_spec", lambda name: None)
    with pytest.raises(BuildError, match=r"run `make install-spark` \(pip install -r "):
        build(settings, echo=False)
    assert not settings.spark_warehouse_dir.exists()


@pytest.mark.parametrize("warehouse", ["spark", "spark_cluster"])
def test_the_api_is_not_served_from_spark(monkeypatch, capsys, warehouse):
    from interactions import cli

    monkeypatch.setenv("WAREHOUSE", warehouse)
    assert cli.main(["serve"]) == 1
    assert capsys.readouterr().err == (
        "interactions serve: the API serves the duckdb or postgres marts, not "
        f"WAREHOUSE={warehouse} (a spark_cluster build is served with WAREHOUSE=postgres; "
        "docs/SPARK.md)\n"
    )
