"""One workbook, the same answers on every engine: a differential test over messy workbooks.

A seeded generator (tests/messy_workbook.py) writes a workbook whose cells come from every
class the cleaning rules decide. It is imported with `interactions import` on DuckDB and on
PostgreSQL, and its sheets, landed as the import lands them, are built with `interactions build`
on Spark. Every mart must be equal row for row on the three engines (all but the version
bookkeeping), and on DuckDB and PostgreSQL every API answer too: per customer, per topic, per
customer type, data quality, channels, topics and the customer list. A divergence prints the
workbook cells behind it.

The Spark build is also `make test`'s proof of the project on Spark (WAREHOUSE=spark, an
in-process PySpark; test_spark.py holds the rest): it runs the unit tests, which must all pass,
by name; then a build whose data fails a test (two products in one month) exits 1 naming the
month, and leaves the live warehouse, its link and its marts as they were.

FUZZ_SEED picks another world (default 12), FUZZ_ENGINE_ROWS its size (default 2,000
interaction rows); `make fuzz-engines` runs several larger ones.
"""

import datetime
import decimal
import json
import os
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import duckdb
import pytest

from core import settings as settings_module
from interactions.importer import date_formats
from interactions.seed_files import seed_path, write_seed
from interactions.workbook import open_workbook
from tests import messy_workbook
from tests.test_spark import (
    BUILD_SECONDS,
    CliBuild,
    read_postgres_marts,
    read_spark_marts,
    require_spark,
    rows_of,
    spark_build,
)
from tests.test_spark import MARTS as SPARK_MARTS
from tests.warehouses import UNIT_TESTS, copy_project, postgres_database, unit_tests_passed

pytestmark = pytest.mark.spark  # make test-fast leaves these out

SEED = int(os.environ.get("FUZZ_SEED", "12"))
ROWS = int(os.environ.get("FUZZ_ENGINE_ROWS", "2000"))

# The marts that hold answers, compared whole; the version bookkeeping (data_versions,
# customer_versions, build_info's time and version) differs by design: Spark keeps no versions.
MARTS = [
    "answers_by_customer",
    "answers_by_customer_topic",
    "answers_by_customer_type",
    "answers_by_customer_type_topic",
    "answers_by_customer_month",
    "answers_by_customer_topic_month",
    "answers_by_customer_type_month",
    "answers_by_customer_type_topic_month",
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
    "build_info",
]
NOT_COMPARED = {"build_info": {"built_at", "data_version"}}
SHEET_OF_MART = {"customers": "Customers", "interactions": "External interactions"}
SHEET_OF_MART["products"] = "Products of discussion"


def plain(value):
    """A mart value as JSON-comparable text or number, the same whichever engine read it."""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def read_duckdb_marts(path: Path) -> dict:
    marts = {}
    with duckdb.connect(str(path), read_only=True) as connection:
        for table in MARTS:
            cursor = connection.execute(f"select * from marts.{table}")  # noqa: S608 - fixed names
            marts[table] = {
                "columns": [column[0] for column in cursor.description],
                "rows": [[plain(value) for value in row] for row in cursor.fetchall()],
            }
    return marts


def comparable(marts: dict, table: str) -> tuple[list, list]:
    columns = marts[table]["columns"]
    keep = [i for i, name in enumerate(columns) if name not in NOT_COMPARED.get(table, ())]
    rows = [tuple(row[i] for i in keep) for row in marts[table]["rows"]]
    return [columns[i] for i in keep], sorted(rows, key=json.dumps)


def cells_behind(workbook, columns: list, row: tuple) -> list[str]:
    """The workbook cells a mart row comes from, where the row names them."""
    values = dict(zip(columns, row, strict=True))
    if "sheet_name" in values and "source_row_number" in values:
        sheet = SHEET_OF_MART.get(values["sheet_name"])
        if sheet:
            return [workbook.cells(sheet, values["source_row_number"])]
    if "interaction_id" in values:
        return [workbook.cells("External interactions", values["interaction_id"])]
    if "customer_id" in values:
        wanted = str(values["customer_id"])
        found = []
        for sheet, column in (("Customers", 0), ("External interactions", 2)):
            for number, cells in enumerate(workbook.rows[sheet], start=1):
                text = str(cells[column] if cells[column] is not None else "")
                if wanted in text:
                    found.append(workbook.cells(sheet, number))
        return found[:20]
    return []


def describe_difference(workbook, table, columns, left_name, left, right_name, right) -> str:
    only_left = sorted(set(left) - set(right), key=json.dumps)
    only_right = sorted(set(right) - set(left), key=json.dumps)
    lines = [f"{table} differs ({workbook.path.name}, FUZZ_SEED={workbook.seed}): {columns}"]
    for name, rows in ((left_name, only_left), (right_name, only_right)):
        for row in rows[:10]:
            lines.append(f"  only on {name}: {row}")
            lines.extend(f"      {cells}" for cells in cells_behind(workbook, columns, row))
    return "\n".join(lines)


def project_copy(folder: Path, warehouse: str | None = None) -> Path:
    """A project copy whose channels seed lists the business's new channel too. For a
    `warehouse`: the unit tests recorded as passed there (their own tests run them), so its
    builds build and test the data only."""
    home = copy_project(folder)
    with open(home / "seeds" / "channels.csv", "a", encoding="utf-8") as channels:
        channels.write(messy_workbook.NEW_CHANNEL + "\n")
    if warehouse:
        unit_tests_passed(home, warehouse)
    return home


def run_cli(home: Path, environ: dict, *argv) -> subprocess.Popen:
    with open(home / "cli.log", "w") as log:
        return subprocess.Popen(  # noqa: S603 - fixed argument list
            [sys.executable, "-m", "interactions.cli", *argv],
            env={**os.environ, "INTERACTIONS_HOME": str(home), **environ},
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def finished(process: subprocess.Popen, home: Path) -> str:
    process.wait(timeout=BUILD_SECONDS)
    output = (home / "cli.log").read_text()
    assert process.returncode == 0, output[-5000:]
    return output


class Engines(NamedTuple):
    """What the `engines` fixture gives: the workbook, {engine: marts}, {engine: environment
    for the API} (DuckDB and PostgreSQL), and Spark's build (tests/test_spark.CliBuild, done)
    with its output."""

    workbook: messy_workbook.MessyWorkbook
    marts: dict
    environs: dict
    spark: CliBuild
    spark_output: str


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    """The generated workbook imported on DuckDB and PostgreSQL and built on Spark, all three
    at once (Spark's build runs the unit tests too: the DuckDB and PostgreSQL copies record
    them as passed, as the sample's builds run them there)."""
    require_spark()
    folder = tmp_path_factory.mktemp("messy")
    workbook = messy_workbook.generate(folder / f"messy-{SEED}.xlsx", SEED, ROWS)

    spark_home = project_copy(folder / "spark")
    settings = settings_module.load({**os.environ, "INTERACTIONS_HOME": str(spark_home)})
    for reader in open_workbook(workbook.path, date_formats(settings)).sheets:
        # The sheets as `interactions import` lands them (Spark has no import of its own).
        path = seed_path(spark_home / "seeds", reader.spec.seed)
        write_seed(path, reader.spec.seed_columns, reader.rows())
    spark = spark_build(spark_home)

    duckdb_home = project_copy(folder / "duckdb", "duckdb")
    duckdb_path = duckdb_home / "warehouse" / "interactions.duckdb"
    duckdb_environ = {"WAREHOUSE": "duckdb", "DUCKDB_PATH": str(duckdb_path)}
    importing = [(run_cli(duckdb_home, duckdb_environ, "import", str(workbook.path)), duckdb_home)]
    with postgres_database() as dbname:
        postgres_home = project_copy(folder / "postgres", "postgres")
        postgres_environ = {"WAREHOUSE": "postgres", "PGDATABASE": dbname}
        importing.append(
            (run_cli(postgres_home, postgres_environ, "import", str(workbook.path)), postgres_home)
        )
        try:
            for process, home in importing:
                finished(process, home)
            spark_output = spark.output()
            marts = {
                "duckdb": read_duckdb_marts(duckdb_path),
                "postgres": read_postgres_marts(dbname),
                "spark": read_spark_marts(spark.settings),
            }
            environs = {"duckdb": duckdb_environ, "postgres": postgres_environ}
            yield Engines(workbook, marts, environs, spark, spark_output)
        finally:
            spark.stop()
            for process, _ in importing:
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=30)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("table", MARTS)
@pytest.mark.parametrize("engine", ["postgres", "spark"])
def test_every_mart_is_the_same_on_every_engine(engines, table, engine):
    workbook, marts = engines.workbook, engines.marts
    columns, expected = comparable(marts["duckdb"], table)
    engine_columns, rows = comparable(marts[engine], table)
    assert engine_columns == columns
    assert expected, "an empty mart would prove nothing"
    if rows != expected:
        pytest.fail(describe_difference(workbook, table, columns, "duckdb", expected, engine, rows))


def test_the_workbook_exercises_every_rule(engines):
    """The generated world holds every kind of row the rules decide, so the comparison above
    covers them all."""
    marts = engines.marts
    columns, rows = comparable(marts["duckdb"], "quarantined_rows")
    reasons = {row[columns.index("quarantine_reason")] for row in rows}
    assert reasons == {
        "blank row",
        "unparseable date",
        "date out of range",
        "missing customer id",
        "invalid customer id",
        "duplicate customer id",
        "missing channel",
        "unknown channel",
        "unparseable month",
        "missing product",
        "reserved product name",
    }
    columns, customers = comparable(marts["duckdb"], "dim_customers")
    in_sheet = {row[columns.index("is_in_customer_sheet")] for row in customers}
    assert in_sheet == {True, False}
    columns, topics = comparable(marts["duckdb"], "dim_topics")
    assert len(topics) > 3


@pytest.mark.parametrize("engine", ["duckdb", "postgres", "spark"])
def test_the_cells_of_the_issue_table_give_one_answer_on_every_engine(engines, answers, engine):
    """NBSP around a channel and an id, two spaces or a tab inside a date, a two-digit year,
    'Null' text, a type of only a no-break space: the same counts and customer everywhere."""
    marts = engines.marts
    customer = messy_workbook.TABLE_CUSTOMER
    columns, rows = comparable(marts[engine], "dim_customers")
    [row] = [row for row in rows if row[columns.index("customer_id")] == customer]
    assert dict(zip(columns, row, strict=True)) == {
        "customer_id": customer,
        "occupation": "Unknown",
        "customer_type": "Unknown",
        "interaction_count": 4,
        "is_in_customer_sheet": True,
    }
    columns, rows = comparable(marts[engine], "interactions_by_customer_channel")
    counts = {channel: 0 for channel in messy_workbook.TABLE_ANSWER}
    for row in rows:
        if row[columns.index("customer_id")] == customer:
            counts[row[columns.index("channel")]] += row[columns.index("interaction_count")]
    assert counts == messy_workbook.TABLE_ANSWER
    if engine in answers:  # the API serves DuckDB and PostgreSQL
        assert answers[engine][f"/api/v1/interactions/{customer}"] == (
            200,
            {"data": {"customer_id": customer, "interactions": messy_workbook.TABLE_ANSWER}},
        )


@pytest.mark.parametrize("engine", ["duckdb", "postgres", "spark"])
def test_a_channel_added_to_the_seed_counts_through_its_eleventh_alias(engines, engine):
    workbook, marts = engines.workbook, engines.marts
    columns, channels = comparable(marts[engine], "dim_channels")
    assert [
        (row[columns.index("channel")], row[columns.index("display_order")]) for row in channels
    ] == [("Bird", 3), ("Call", 2), ("Email", 1), ("Pager", 4)]
    rings = [
        number
        for number, (_, channel, _) in enumerate(workbook.rows["External interactions"], start=1)
        if isinstance(channel, str)
        and channel.strip(" \t\n\r\u00a0\u202f\u3000\u2003\u2028\u200b\ufeff\u200d\u00ad").lower()
        == "ring"
    ]
    assert rings, "the workbook must name the channel by its eleventh alias"
    columns, facts = comparable(marts[engine], "fct_interactions")
    channel_of = {
        row[columns.index("interaction_id")]: row[columns.index("channel")] for row in facts
    }
    assert {channel_of.get(number) for number in rings} <= {"Pager", None}
    assert "Pager" in {channel_of.get(number) for number in rings}


def test_spark_runs_every_unit_test_and_keeps_seeds_as_version_one(engines):
    """Every mart is built on Spark; every unit test the project declares ran and passed there,
    by name, and no node failed or was skipped. Spark keeps no version store, but seeds/ is
    version 1 there too, and no kept version is listed."""
    output = engines.spark_output
    assert sorted(re.findall(r" PASS \w+::(test_\w+)", output)) == sorted(UNIT_TESTS)
    assert re.search(r"Done\. PASS=\d+ WARN=\d+ ERROR=0 SKIP=0 ", output), output[-3000:]
    marts = engines.marts["spark"]
    assert sorted(marts) == SPARK_MARTS
    assert rows_of(marts, "build_info", "data_version") == [(1,)]
    assert marts["data_versions"]["rows"] == []


def test_a_real_dbt_failure_on_spark_keeps_the_live_warehouse(engines):
    """After the workbook went live on Spark, a build whose data fails a test (two products in
    one month): exit 1 naming the month, the live link and the folder it points at as they
    were, the same marts, and no half-built folder left."""
    settings = engines.spark.settings
    home = Path(engines.spark.environ["INTERACTIONS_HOME"])
    live = settings.spark_warehouse_dir
    target = live.resolve()
    products = seed_path(home / "seeds", "raw_products_of_discussion")
    products.write_text("date,product\n10-2019,Sand\n10-2019,Orange\n")
    failed = spark_build(home)
    failed.process.wait(timeout=BUILD_SECONDS)
    output = failed.log.read_text()
    assert failed.process.returncode == 1, output[-3000:]
    assert "ERROR one_product_per_month" in output
    assert "month 10-2019: row 1 'Sand', row 2 'Orange'" in output
    assert live.resolve() == target
    assert read_spark_marts(settings) == engines.marts["spark"]
    assert sorted(path.name for path in live.parent.iterdir()) == ["live", target.name]


def api_answers(environ: dict, marts: dict) -> dict:
    """Every answer of the read API on one warehouse, by URL."""
    columns, customers = comparable(marts, "dim_customers")
    customer_ids = sorted(row[columns.index("customer_id")] for row in customers)
    occupations = sorted({row[columns.index("occupation")] for row in customers})
    columns, topics = comparable(marts, "dim_topics")
    topic_names = sorted(row[columns.index("topic")] for row in topics)
    searches = [quote(text) for name in occupations for text in (name, name.upper()[:4])]
    topic_names = [quote(name) for name in topic_names]
    urls = ["/api/v1/channels", "/api/v1/topics", "/api/v1/interactions/by-customer-type"]
    urls += [f"/api/v1/interactions/by-customer-type?topic={topic}" for topic in topic_names]
    urls.append("/api/v1/interactions/by-customer-type/monthly")
    urls += [
        f"/api/v1/interactions/by-customer-type/monthly?topic={topic}" for topic in topic_names
    ]
    for customer_id in customer_ids + [customer_ids[-1] + 1]:
        urls += [
            f"/api/v1/interactions/{customer_id}",
            f"/api/v1/interactions/{customer_id}/topics",
            f"/api/v1/interactions/{customer_id}/monthly",
        ]
    for customer_id in customer_ids[:25]:
        urls += [f"/api/v1/interactions/{customer_id}?topic={topic}" for topic in topic_names]
        urls += [
            f"/api/v1/interactions/{customer_id}/monthly?topic={topic}" for topic in topic_names
        ]
    urls += [f"/api/v1/customers?q={text}" for text in searches]
    with served(environ) as client:
        answers = answers_to(client, urls)
        pages, url = [], "/api/v1/customers?limit=100"
        while url:
            body = client.get(url).get_json()
            pages.append(body["data"])
            url = body["page"]["next"]
        answers["/api/v1/customers (every page)"] = pages
    return answers


@contextmanager
def served(environ: dict):
    """A test client of the API reading the warehouse `environ` names, keys off."""
    from unittest import mock

    from api import create_app
    from api.warehouse import close_reader

    with mock.patch.dict(os.environ, environ):
        os.environ.pop("API_KEY_HASHES", None)
        app = create_app({"TESTING": True})
        try:
            yield app.test_client()
        finally:
            close_reader(app)


def answers_to(client, urls: list[str]) -> dict:
    """Each URL's (status, body), and the data-quality answer without its build time."""
    answers = {}
    for url in urls:
        response = client.get(url)
        answers[url] = (response.status_code, response.get_json())
    quality = client.get("/api/v1/data-quality").get_json()
    quality["data"].pop("built_at")
    answers["/api/v1/data-quality"] = quality
    return answers


@pytest.fixture(scope="module")
def answers(engines):
    """Every read API answer on DuckDB and on PostgreSQL, by URL: {engine: {url: answer}}."""
    marts, environs = engines.marts, engines.environs
    return {engine: api_answers(environ, marts[engine]) for engine, environ in environs.items()}


def test_every_api_answer_is_the_same_on_duckdb_and_postgres(engines, answers):
    workbook = engines.workbook
    duckdb_answers, postgres_answers = answers["duckdb"], answers["postgres"]
    assert sorted(duckdb_answers) == sorted(postgres_answers)
    assert len(duckdb_answers) > 100
    different = [url for url in duckdb_answers if duckdb_answers[url] != postgres_answers[url]]
    if different:
        lines = [f"{len(different)} answers differ (FUZZ_SEED={workbook.seed}):"]
        for url in different[:10]:
            lines.append(f"  {url}\n    duckdb:   {duckdb_answers[url]}")
            lines.append(f"    postgres: {postgres_answers[url]}")
        pytest.fail("\n".join(lines))
