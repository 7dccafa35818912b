"""PostgreSQL: a build goes live with planner statistics, and every per-customer answer is an
indexed lookup that reads a handful of rows, as the API's own connections run it.

A generated workbook of 20,000 interactions (about 2,000 customers) is imported, so that the
marts that grow with the customers are large enough for the planner to tell a lookup from a
scan. Each API query is run under EXPLAIN (ANALYZE) with the API role and the settings of its
connections (api/warehouse.py), for a few customers and topics.
"""

import json
import os
import subprocess
import sys

import psycopg
import pytest

from api import config as api_config
from api import queries
from api.warehouse import PostgresReader, placeholders
from tests import messy_workbook
from tests.warehouses import copy_project, postgres_database

# A plan node may read at most this many rows of a mart that grows with the customers: one
# customer's rows (every channel of each topic they talked about) or one page of customers.
HANDFUL = 64
# Marts smaller than this are read whole, whatever the plan (channels, topics, types).
SMALL = 1_000


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """The generated workbook imported on PostgreSQL: yields the database name."""
    folder = tmp_path_factory.mktemp("plans")
    workbook = messy_workbook.generate(folder / "plans.xlsx", seed=19, interactions=20_000)
    home = copy_project(folder / "project")
    with postgres_database() as dbname:
        completed = subprocess.run(  # noqa: S603 - fixed argument list
            [sys.executable, "-m", "interactions.cli", "import", str(workbook.path)],
            env={**os.environ, "INTERACTIONS_HOME": str(home), "WAREHOUSE": "postgres"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
        yield dbname


def test_every_served_mart_has_statistics(warehouse):
    """ANALYZE ran on every mart (last_analyze: autovacuum's own runs are last_autoanalyze),
    and every mart with rows has column statistics."""
    with psycopg.connect(dbname=warehouse) as connection:
        marts = connection.execute(
            "select tables.relname, tables.reltuples, stats.last_analyze is not null,"
            " (select count(*) from pg_stats"
            "  where schemaname = 'marts' and tablename = tables.relname)"
            " from pg_class as tables"
            " inner join pg_namespace on tables.relnamespace = pg_namespace.oid"
            " left join pg_stat_user_tables as stats on tables.oid = stats.relid"
            " where pg_namespace.nspname = 'marts' and tables.relkind = 'r'"
            " order by 1"
        ).fetchall()
    assert len(marts) == 20
    unanalysed = [name for name, _, analysed, _ in marts if not analysed]
    assert unanalysed == []
    without_statistics = [name for name, rows, _, columns in marts if rows > 0 and columns == 0]
    assert without_statistics == []


def scanned(plan: dict) -> list[tuple[str, int]]:
    """(relation, rows read) for every node of the plan that reads a table or an index."""
    found = []
    if "Relation Name" in plan:
        rows = plan["Actual Rows"] + plan.get("Rows Removed by Filter", 0)
        rows += plan.get("Rows Removed by Index Recheck", 0)
        found.append((plan["Relation Name"], rows * plan["Actual Loops"]))
    for child in plan.get("Plans", []):
        found.extend(scanned(child))
    return found


def explain(connection, query: str, **params) -> dict:
    statement = "explain (analyze, format json) " + placeholders(query, "pyformat")
    [[result]] = connection.execute(statement, params).fetchall()
    return result[0]


def test_each_lookup_reads_a_handful_of_rows(warehouse):
    settings = api_config.load({**os.environ, "WAREHOUSE": "postgres", "PGDATABASE": warehouse})
    kwargs = PostgresReader(settings)._connection_kwargs()
    kwargs["row_factory"] = psycopg.rows.tuple_row
    with psycopg.connect("", **kwargs) as connection:
        sizes = dict(
            connection.execute(
                "select relname, reltuples from pg_class"
                " where relnamespace = 'marts'::regnamespace and relkind = 'r'"
            ).fetchall()
        )
        assert sizes["answers_by_customer"] > 5_000  # large enough to tell a lookup
        customers = [
            row[0]
            for row in connection.execute(
                "select customer_id from marts.dim_customers order by customer_id"
            )
        ]
        topics = [row[0] for row in connection.execute("select topic from marts.dim_topics")]
        lookups = []
        for customer_id in (customers[0], customers[len(customers) // 2], customers[-1], 10**9):
            lookups += [
                (queries.CUSTOMER_INTERACTIONS, {"customer_id": customer_id}),
                (queries.CUSTOMER_TOPICS, {"customer_id": customer_id}),
                (queries.CUSTOMER_MONTHLY, {"customer_id": customer_id}),
                (
                    queries.CUSTOMER_ROWS_PAGE,
                    {
                        "customer_id": customer_id,
                        "channel": None,
                        "topic": None,
                        "after_row": 0,
                        "row_limit": 51,
                    },
                ),
            ]
            for topic in (topics[0], topics[-1]):
                lookups.append(
                    (
                        queries.CUSTOMER_TOPIC_INTERACTIONS,
                        {"customer_id": customer_id, "topic": topic},
                    )
                )
                lookups.append(
                    (queries.CUSTOMER_TOPIC_MONTHLY, {"customer_id": customer_id, "topic": topic})
                )
        lookups += [
            (queries.CUSTOMER_TYPE_TOPIC_INTERACTIONS, {"topic": topics[0]}),
            (queries.CUSTOMERS_PAGE, {"after_customer_id": 0, "q": None, "row_limit": 51}),
            (
                queries.CUSTOMERS_PAGE,
                {"after_customer_id": customers[-60], "q": None, "row_limit": 51},
            ),
        ]
        too_many = []
        for query, params in lookups:
            result = explain(connection, query, **params)
            assert "JIT" not in result, "the API's connections compile no query"
            for relation, rows in scanned(result["Plan"]):
                if sizes[relation] >= SMALL and rows > HANDFUL:
                    too_many.append((relation, rows, params, json.dumps(result["Plan"])[:2000]))
    assert too_many == []
