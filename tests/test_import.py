"""`interactions import WORKBOOK.xlsx` on DuckDB and PostgreSQL: the sample round trip, a messy
workbook imported with the counts the cleaning rules predict, each import a new kept version
(its seeds kept in the version store, seeds/ left as it is), every broken workbook leaving the
live version, the kept versions and the marts served as they were, the bulk loader landing
exactly what dbt seed lands, and an import while the API is serving, with no failed
request."""

import datetime
import hashlib
import json
import os
import re
import threading
import time
import urllib.request
from pathlib import Path
from unittest import mock

import psycopg
import pytest

from core.settings import load as load_settings
from interactions import cli, landing, versions
from interactions.build import run_dbt
from interactions.seed_files import WORKBOOK_SEEDS, seed_path
from tests.test_import_workbook import (
    HEADERS,
    broken_files,
    export_seeds,
    make_workbook,
    sample_sheets,
)
from tests.warehouses import (
    cli_history,
    copy_project,
    fetch_all,
    fresh_sample,
    postgres_database,
)

ROOT = Path(__file__).resolve().parents[1]


class Project:
    """A copy of the project on one warehouse, its sample build live. Inside `environment()`
    the variables point at it, as `interactions` and the API read them."""

    def __init__(self, warehouse: str, home: Path, database: str | None):
        self.warehouse = warehouse
        self.home = home
        self.environ = {
            "WAREHOUSE": warehouse,
            "INTERACTIONS_HOME": str(home),
            "DUCKDB_PATH": str(home / "warehouse" / "interactions.duckdb"),
        }
        if database:
            self.environ["PGDATABASE"] = database
        self.settings = load_settings(self.environ)

    def environment(self):
        return mock.patch.dict(os.environ, self.environ)

    def run(self, *argv) -> int:
        with self.environment():
            return cli.main(list(argv))

    def seeds(self) -> dict[str, bytes]:
        """The repository's seeds/ (the sample, version 1): no import changes them."""
        return {seed: seed_path(self.home / "seeds", seed).read_bytes() for seed in WORKBOOK_SEEDS}

    def store(self) -> versions.Store:
        with self.environment():
            return versions.Store(self.settings)

    def live_version(self) -> int | None:
        with self.environment():
            return versions.live_version(self.settings)

    def kept_seeds(self, number: int) -> dict[str, bytes]:
        """The seed files kept for version `number` (an import's: its own, in its folder)."""
        store = self.store()
        files = store.seed_files(store.read(number))
        if number > 1:
            assert files == {seed: seed_path(store.folder(number), seed) for seed in WORKBOOK_SEEDS}
        return {seed: path.read_bytes() for seed, path in files.items()}

    def version_folders(self) -> list[str]:
        """Everything in the version store: only the kept versions' folders."""
        return sorted(path.name for path in self.store().root.iterdir())

    def history(self) -> list[dict]:
        """`interactions history --json`."""
        return cli_history(self.environ)

    def rows(self, query: str) -> list[tuple]:
        return fetch_all(self, query)

    def snapshot(self) -> dict:
        """What is served: the live version, its seeds and seeds/, the kept versions, and the
        marts down to the time of their build."""
        live = self.live_version()
        return {
            "seeds": self.seeds(),
            "live version": live,
            "live seeds": self.kept_seeds(live),
            "version folders": self.version_folders(),
            "history": self.history(),
            "by customer channel": self.rows(
                "select * from marts.interactions_by_customer_channel order by 1, 2, 3"
            ),
            "customers": self.rows("select * from marts.dim_customers order by 1"),
            "quarantined": self.rows("select * from marts.quarantined_rows order by 1, 2"),
            "build_info": self.rows("select * from marts.build_info"),
        }


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def project(request, tmp_path_factory):
    warehouse = request.param
    home = copy_project(tmp_path_factory.mktemp(f"import-{warehouse}"))
    with fresh_sample(warehouse, home) as database:
        yield Project(warehouse, home, database)


@pytest.fixture(params=["duckdb", "postgres"])
def sample_project(request, tmp_path):
    """A project of its own whose live version is the sample (version 1), whatever ran before
    (a copy of the session's sample build: no build)."""
    home = copy_project(tmp_path / f"sample-{request.param}")
    with fresh_sample(request.param, home) as database:
        yield Project(request.param, home, database)


def summary_without_timing(output: str) -> str:
    lines = output.rstrip("\n").split("\n")
    assert lines[-1].startswith("Time per stage: read workbook ")
    assert re.fullmatch(
        r"Time per stage: read workbook [0-9.]+ s, load [0-9.]+ s, dbt build [0-9.]+ s, "
        r"summary [0-9.]+ s, go live [0-9.]+ s, keep version [0-9.]+ s; total [0-9.]+ s",
        lines[-1],
    )
    return "\n".join(lines[:-1])


def assert_new_version_live(project, before, number, workbook, counted, quarantined):
    """`interactions history --json`: `before`, no longer live, under the new version
    `number`, live, of `workbook`."""
    [newest, *older] = project.history()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", newest.pop("imported_at"))
    assert newest == {
        "version": number,
        "file": workbook.name,
        "sha256": hashlib.sha256(workbook.read_bytes()).hexdigest(),
        "interactions_counted": counted,
        "rows_quarantined": quarantined,
        "is_live": True,
    }
    assert older == [{**entry, "is_live": False} for entry in before]
    assert project.live_version() == number
    assert project.version_folders() == sorted(str(entry["version"]) for entry in before + [newest])


def api_answers(project, customer_ids) -> dict[int, tuple[int, dict]]:
    from api import create_app
    from api.warehouse import close_reader

    with project.environment():
        app = create_app({"TESTING": True})
        try:
            client = app.test_client()
            answers = {}
            for customer_id in customer_ids:
                response = client.get(f"/api/v1/interactions/{customer_id}")
                answers[customer_id] = (response.status_code, response.get_json())
            return answers
        finally:
            close_reader(app)


SAMPLE_ANSWERS = {
    1: {"Email": 1, "Call": 0, "Bird": 0},
    2: {"Email": 0, "Call": 0, "Bird": 0},
    3: {"Email": 1, "Call": 0, "Bird": 0},
    4: {"Email": 0, "Call": 1, "Bird": 1},
    11: {"Email": 0, "Call": 0, "Bird": 0},
    12: {"Email": 0, "Call": 0, "Bird": 0},
}


SAMPLE_AGAIN_CHANGES = """\
Changes against the live version {live}:
  customers: 6 -> 6 (0 added, 0 removed, 0 changed)
  interactions: 4 -> 4 (0 added, 0 removed)
    Email: 2 -> 2
    Call: 1 -> 1
    Bird: 1 -> 1
  quarantined rows: none before, none now
  topics added: none; removed: none"""


def test_the_sample_workbook_round_trips(sample_project, tmp_path, capsys):
    """The sample, exported and imported on its own live version: nothing changes."""
    project = sample_project
    workbook = export_seeds(ROOT / "seeds", tmp_path / "Customer data.xlsx")
    live, before = project.live_version(), project.history()
    number = before[0]["version"] + 1
    assert project.run("import", str(workbook)) == 0
    assert summary_without_timing(capsys.readouterr().out) == (
        f"Imported Customer data.xlsx into the {project.warehouse} warehouse: version "
        f"{number} is live.\n"
        "\n"
        "sheet                    rows read   counted  quarantined\n"
        "Customers                        5         5            0\n"
        "External interactions            4         4            0\n"
        "Products of discussion           3         3            0\n"
        "\n"
        "Quarantined rows: none\n"
        "Interactions counted: 4\n"
        "Customers not in the customer sheet: 1\n"
        "Interactions without a topic: 4\n" + SAMPLE_AGAIN_CHANGES.format(live=live)
    )
    original = {seed: seed_path(ROOT / "seeds", seed).read_bytes() for seed in WORKBOOK_SEEDS}
    assert project.seeds() == original  # seeds/ is untouched ...
    assert project.kept_seeds(number) == original  # ... the round trip's seeds are kept
    assert_new_version_live(project, before, number, workbook, 4, 0)
    assert project.rows(
        "select customer_id, channel, topic, interaction_count"
        " from marts.interactions_by_customer_channel order by 1, 2"
    ) == [
        (1, "Email", "Unknown", 1),
        (3, "Email", "Unknown", 1),
        (4, "Bird", "Unknown", 1),
        (4, "Call", "Unknown", 1),
    ]
    assert api_answers(project, SAMPLE_ANSWERS) == {
        customer_id: (200, {"data": {"customer_id": customer_id, "interactions": answer}})
        for customer_id, answer in SAMPLE_ANSWERS.items()
    }


def messy_workbook(path: Path) -> Path:
    """Excel as it comes: date cells and text dates, 4.0 ids, stray spaces, blank rows, an
    unknown channel, a customer missing from the customer sheet, an extra sheet and column."""
    return make_workbook(
        path,
        {
            "customers": [
                [*HEADERS["Customers"], "Comment"],
                [1, "Jedi", "Red", "first"],
                [2.0, None, "Orange", None],
                [" 3 ", "Santa Claus", "Blue", None],
                [3, "Impostor", "Green", "twice"],
                ["12in", "Nobody", "Red", None],
                [None, None, None, None],
                [None, "Ghost", "Red", None],
                [None, None, None, None],
            ],
            "External_Interactions": [
                HEADERS["External interactions"],
                [datetime.datetime(2019, 10, 4, 9, 0), "Email", 1],
                ["16/01/2020 10:00", " e-mail ", 4.0],
                [datetime.datetime(2020, 1, 17, 11, 0), "PHONE", "4.0"],
                ["31/02/2020 10:00", "Email", 1],
                [datetime.datetime(2020, 3, 5, 11, 23), "Pigeon", 1],
                [datetime.datetime(2020, 3, 5, 11, 23), "Bird", "12in"],
                [None, None, None],
                [datetime.datetime(2020, 3, 5, 11, 23), None, 1],
                [datetime.datetime(2020, 3, 6, 12, 0), "bird", 2],
            ],
            "Products of discussion ": [
                HEADERS["Products of discussion"],
                [datetime.datetime(2020, 1, 1), "Sand"],
                ["03-2020", " Orange"],
                ["13-2020", "Sand"],
                ["02-2020", None],
                [datetime.datetime(2020, 1, 1), "Sand"],
            ],
            "Notes": [["exported by hand"]],
        },
        number_formats={
            ("Products of discussion ", "A2"): "mm-yyyy",
            ("Products of discussion ", "A6"): "mm-yyyy",
        },
    )


MESSY_SUMMARY = """\
Imported messy.xlsx into the {warehouse} warehouse: version {version} is live.

sheet                    rows read   counted  quarantined
customers                        7         3            4
External_Interactions            9         4            5
Products of discussion           5         3            2

Quarantined rows by reason (all of them are in marts.quarantined_rows):
  customers: blank row: 1 (sheet rows 7)
      row 7: Customer_Id=; Occupation=; Type=
  customers: duplicate customer id: 1 (sheet rows 5)
      row 5: Customer_Id=3; Occupation=Impostor; Type=Green
  customers: invalid customer id: 1 (sheet rows 6)
      row 6: Customer_Id=12in; Occupation=Nobody; Type=Red
  customers: missing customer id: 1 (sheet rows 8)
      row 8: Customer_Id=; Occupation=Ghost; Type=Red
  External_Interactions: blank row: 1 (sheet rows 8)
      row 8: Date Start=; Interaction=; Customers=
  External_Interactions: invalid customer id: 1 (sheet rows 7)
      row 7: Date Start=05/03/2020 11:23; Interaction=Bird; Customers=12in
  External_Interactions: missing channel: 1 (sheet rows 9)
      row 9: Date Start=05/03/2020 11:23; Interaction=; Customers=1
  External_Interactions: unknown channel: 1 (sheet rows 6)
      row 6: Date Start=05/03/2020 11:23; Interaction=Pigeon; Customers=1
  External_Interactions: unparseable date: 1 (sheet rows 5)
      row 5: Date Start=31/02/2020 10:00; Interaction=Email; Customers=1
  Products of discussion: missing product: 1 (sheet rows 5)
      row 5: Date=02-2020; Product=
  Products of discussion: unparseable month: 1 (sheet rows 4)
      row 4: Date=13-2020; Product=Sand
Interactions counted: 4
Customers not in the customer sheet: 1
Interactions without a topic: 1
Warnings: 2
  sheet 'Notes' is not one of 'Customers', 'External interactions', 'Products of discussion': \
ignored
  sheet 'customers': column D 'Comment' is not one of 'Customer_Id', 'Occupation', 'Type': \
ignored
"""
# The messy workbook against the sample: customers 11 and 12 are gone, 2 lost its occupation;
# of the sample's 4 interactions only customer 1's e-mail of 04/10/2019 09:00 is in both.
MESSY_CHANGES = """\
Changes against the live version {live}:
  customers: 6 -> 4 (0 added, 2 removed, 1 changed)
    removed: 11, 12
    changed: customer 2: occupation 'Batman' -> 'Unknown'
  interactions: 4 -> 4 (3 added, 3 removed)
    Email: 2 -> 2
    Call: 1 -> 1
    Bird: 1 -> 1
  quarantined rows by reason:
    customers: blank row: 0 -> 1
    customers: duplicate customer id: 0 -> 1
    customers: invalid customer id: 0 -> 1
    customers: missing customer id: 0 -> 1
    interactions: blank row: 0 -> 1
    interactions: invalid customer id: 0 -> 1
    interactions: missing channel: 0 -> 1
    interactions: unknown channel: 0 -> 1
    interactions: unparseable date: 0 -> 1
    products: missing product: 0 -> 1
    products: unparseable month: 0 -> 1
  topics added: none; removed: none"""
# The same workbook again: nothing changes.
MESSY_AGAIN_CHANGES = """\
Changes against the live version {live}:
  customers: 4 -> 4 (0 added, 0 removed, 0 changed)
  interactions: 4 -> 4 (0 added, 0 removed)
    Email: 2 -> 2
    Call: 1 -> 1
    Bird: 1 -> 1
  quarantined rows by reason:
    customers: blank row: 1 -> 1
    customers: duplicate customer id: 1 -> 1
    customers: invalid customer id: 1 -> 1
    customers: missing customer id: 1 -> 1
    interactions: blank row: 1 -> 1
    interactions: invalid customer id: 1 -> 1
    interactions: missing channel: 1 -> 1
    interactions: unknown channel: 1 -> 1
    interactions: unparseable date: 1 -> 1
    products: missing product: 1 -> 1
    products: unparseable month: 1 -> 1
  topics added: none; removed: none"""

MESSY_SEEDS = {
    "raw_customers": (
        "customer_id,occupation,type\n1,Jedi,Red\n2,,Orange\n 3 ,Santa Claus,Blue\n"
        "3,Impostor,Green\n12in,Nobody,Red\n,,\n,Ghost,Red\n"
    ),
    "raw_external_interactions": (
        "date_start,interaction,customers\n04/10/2019 09:00,Email,1\n"
        "16/01/2020 10:00, e-mail ,4\n17/01/2020 11:00,PHONE,4.0\n31/02/2020 10:00,Email,1\n"
        "05/03/2020 11:23,Pigeon,1\n05/03/2020 11:23,Bird,12in\n,,\n05/03/2020 11:23,,1\n"
        "06/03/2020 12:00,bird,2\n"
    ),
    "raw_products_of_discussion": (
        "date,product\n01-2020,Sand\n03-2020, Orange\n13-2020,Sand\n02-2020,\n01-2020,Sand\n"
    ),
}


def test_a_messy_workbook_imports_with_the_counts_the_rules_predict(
    sample_project, tmp_path, capsys
):
    project = sample_project
    workbook = messy_workbook(tmp_path / "messy.xlsx")
    live, before = project.live_version(), project.history()
    number = before[0]["version"] + 1
    original = project.seeds()
    # 4 customers against the sample's 6: a shrink the guard refuses unless it is allowed.
    # --verbose: dbt's own lines (each model and test, its Done line) before the summary;
    # without it (the round trip above compares the whole output) none of them.
    assert project.run("import", "--verbose", "--allow-shrink", str(workbook)) == 0
    verbose = capsys.readouterr().out
    assert re.search(r"Done\. PASS=\d+ WARN=\d+ ERROR=0", verbose), verbose[-2000:]
    assert "OK created sql table model" in verbose
    summary = verbose.index("Imported messy.xlsx")
    assert verbose.index("Done. PASS=") < summary
    output = verbose[summary:]
    assert summary_without_timing(output) == MESSY_SUMMARY.format(
        warehouse=project.warehouse, version=number
    ) + MESSY_CHANGES.format(live=live)
    assert project.seeds() == original  # seeds/ is untouched ...
    # ... the workbook's seeds are kept with its version, and serve the next build
    assert project.kept_seeds(number) == {seed: text.encode() for seed, text in MESSY_SEEDS.items()}
    assert_new_version_live(project, before, number, workbook, 4, 11)
    assert project.rows(
        "select customer_id, channel, topic, interaction_count"
        " from marts.interactions_by_customer_channel order by 1, 2"
    ) == [
        (1, "Email", "Unknown", 1),
        (2, "Bird", "Orange", 1),
        (4, "Call", "Sand", 1),
        (4, "Email", "Sand", 1),
    ]
    assert project.rows(
        "select customer_id, occupation, customer_type, interaction_count, is_in_customer_sheet"
        " from marts.dim_customers order by 1"
    ) == [
        (1, "Jedi", "Red", 1, True),
        (2, "Unknown", "Orange", 1, True),
        (3, "Santa Claus", "Blue", 0, True),
        (4, "Unknown", "Unknown", 2, False),
    ]
    assert project.rows(
        "select sheet_name, rows_landed, rows_counted, rows_quarantined"
        " from marts.sheet_reconciliation order by 1"
    ) == [("customers", 7, 3, 4), ("interactions", 9, 4, 5), ("products", 5, 3, 2)]

    # Importing the same workbook again changes nothing but the version and the time of the
    # build (and needs no --allow-shrink: nothing shrinks).
    served = project.snapshot()
    assert project.run("import", str(workbook)) == 0
    assert summary_without_timing(capsys.readouterr().out) == MESSY_SUMMARY.format(
        warehouse=project.warehouse, version=number + 1
    ) + MESSY_AGAIN_CHANGES.format(live=number)
    again = project.snapshot()
    for same in ("seeds", "live seeds", "by customer channel", "customers", "quarantined"):
        assert again[same] == served[same], same
    assert again["live version"] == served["live version"] + 1 == number + 1
    assert again["version folders"] == sorted([*served["version folders"], str(number + 1)])
    assert_new_version_live(project, served["history"], number + 1, workbook, 4, 11)
    [(data_version, *figures, built_at)] = again["build_info"]
    [(served_version, *served_figures, served_built_at)] = served["build_info"]
    assert (data_version, figures) == (served_version + 1, served_figures)
    assert built_at > served_built_at  # a new build went live


def two_products_in_one_month(path: Path) -> Path:
    sheets = sample_sheets(
        Products_of_discussion=[
            HEADERS["Products of discussion"],
            ["10-2019", "Sand"],
            ["10-2019", "Orange"],
        ]
    )
    return make_workbook(path, sheets)


def missing_sheet(path: Path) -> Path:
    sheets = sample_sheets()
    del sheets["Products of discussion"]
    return make_workbook(path, sheets)


def missing_column(path: Path) -> Path:
    return make_workbook(
        path,
        sample_sheets(External_interactions=[["Date Start", "Customers"], ["04/10/2019 09:00", 1]]),
    )


BROKEN = {
    "missing sheet": (
        missing_sheet,
        "interactions import: book.xlsx: no sheet 'Products of discussion' (sheets found: "
        "'Customers', 'External interactions'); sheet names are matched ignoring case, "
        "surrounding spaces, and spaces versus underscores; nothing changed\n",
    ),
    "missing column": (
        missing_column,
        "interactions import: sheet 'External interactions': no column 'Interaction' in its "
        "header row (row 1: 'Date Start', 'Customers'); nothing changed\n",
    ),
    "failing data test": (
        two_products_in_one_month,
        "interactions import: dbt build failed (exit 1); the live data is unchanged\n"
        "  Failure in test one_product_per_month (tests/one_product_per_month.sql)\n"
        "    Compilation Error in test one_product_per_month (tests/one_product_per_month.sql)\n"
        "    Products of discussion: a month has more than one product, so its topic is "
        "ambiguous (rows numbered from 1, the first row under the header): month 10-2019: "
        "row 1 'Sand', row 2 'Orange'. Keep one product per month.\n",
    ),
}
FILE_PROBLEMS = ["csv", "renamed", "corrupt zip", "zip but not a workbook"]


@pytest.mark.parametrize("case", [*BROKEN, *FILE_PROBLEMS])
def test_a_broken_workbook_changes_nothing_and_names_the_problem(project, tmp_path, capsys, case):
    if case in BROKEN:
        make, message = BROKEN[case]
        path = make(tmp_path / "book.xlsx")
    else:
        path, message = broken_files(tmp_path)[case]
        message = f"interactions import: {message}"
    served = project.snapshot()
    answers = api_answers(project, [1, 4])
    assert project.run("import", str(path)) == 1
    error = capsys.readouterr().err
    assert error.startswith(message)
    assert error.rstrip("\n").endswith("nothing changed") or case == "failing data test"
    # The live version, its seeds, seeds/, the kept versions (no new folder) and
    # `interactions history --json` are exactly as they were.
    assert project.snapshot() == served
    assert api_answers(project, [1, 4]) == answers
    leftovers = sorted(
        p.name for p in (project.home / "warehouse").iterdir() if p.name != ".build.lock"
    )
    assert leftovers == (
        ["interactions.duckdb", "versions"] if project.warehouse == "duckdb" else ["versions"]
    )
    assert project.version_folders() == sorted(str(entry["version"]) for entry in served["history"])
    if project.warehouse == "postgres":
        assert (
            project.rows(
                "select nspname from pg_namespace where nspname like '%\\_\\_next' order by 1"
            )
            == []
        )


MESSY_SEED_CSVS = {
    "raw_customers": 'customer_id,occupation,type\n1, Jedi ,Red\n  ,NULL,\n"",null , x\n,,\n',
    "raw_external_interactions": (
        'date_start,interaction,customers\n04/10/2019 09:00,"Email, ""urgent""",1\n\t,none,N/A\n'
    ),
    "raw_products_of_discussion": "date,product\n01-2019,Sand\n",
}


def test_the_bulk_loader_lands_what_dbt_seed_lands(project, tmp_path):
    """interactions/landing.py lands the tables `dbt seed` makes (names, text columns, row
    order) with each cell's text exactly as written, on both warehouses: blanks, 'null' and
    stray spaces mean something only to the pipeline (macro clean_text)."""
    home = copy_project(tmp_path / "home")
    for seed, text in MESSY_SEED_CSVS.items():
        seed_path(home / "seeds", seed).write_text(text)
    with postgres_database() if project.warehouse == "postgres" else no_database() as database:
        seeded = Project(project.warehouse, home, database)
        seeded.environ["DUCKDB_PATH"] = str(home / "warehouse" / "seeded.duckdb")
        seeded.settings = load_settings(seeded.environ)
        landed = Project(project.warehouse, home, database)
        landed.environ["DUCKDB_PATH"] = str(home / "warehouse" / "landed.duckdb")
        landed.settings = load_settings(landed.environ)
        if database:  # the on-run-end hook grants USAGE on the marts schema
            with psycopg.connect(dbname=database, autocommit=True) as connection:
                connection.execute("create schema marts")
        with seeded.environment():
            run_dbt(seeded.settings, ["seed", "--select", *WORKBOOK_SEEDS], {}, echo=False)
        with landed.environment():
            env = {"DUCKDB_PATH": landed.environ["DUCKDB_PATH"], "DBT_SCHEMA_SUFFIX": "__landed"}
            counts = landing.load_seeds(project.warehouse, env, home / "seeds")
        assert counts == {
            "raw_customers": 4,
            "raw_external_interactions": 2,
            "raw_products_of_discussion": 1,
        }
        landed_schema = "raw__landed" if project.warehouse == "postgres" else "raw"
        for seed in WORKBOOK_SEEDS:
            columns = (
                "select column_name, data_type from information_schema.columns"
                " where table_schema = '{schema}' and table_name = '{seed}'"
                " order by ordinal_position"
            )
            assert landed.rows(columns.format(schema=landed_schema, seed=seed)) == seeded.rows(
                columns.format(schema="raw", seed=seed)
            )
            if project.warehouse == "duckdb":  # dbt-duckdb's seeds are COPY ... FROM too
                # No order by: the rows must lie in the CSV's order, as the staging models
                # number them.
                assert landed.rows(f"select * from {landed_schema}.{seed}") == seeded.rows(
                    f"select * from raw.{seed}"
                )
        # dbt-postgres's seeds (agate) read whitespace and 'null' as null; the loader keeps
        # them, as DuckDB's does. The pipeline cleans both the same way.
        if project.warehouse == "postgres":
            assert seeded.rows("select * from raw.raw_customers") == [
                ("1", " Jedi ", "Red"),
                (None, None, None),
                (None, None, " x"),
                (None, None, None),
            ]
        assert landed.rows(f"select * from {landed_schema}.raw_customers") == [
            ("1", " Jedi ", "Red"),
            ("  ", "NULL", None),
            (None, "null ", " x"),
            (None, None, None),
        ]
        assert landed.rows(f"select * from {landed_schema}.raw_external_interactions") == [
            ("04/10/2019 09:00", 'Email, "urgent"', "1"),
            ("\t", "none", "N/A"),
        ]


class no_database:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


@pytest.mark.stress  # load: make test-fast leaves it out
def test_an_import_while_the_api_serves_fails_no_request(project, tmp_path):
    """The API, served by a real HTTP server, is asked for customer 1 over and over while a
    workbook that changes customer 1's answer is imported: every answer is the old or the new
    one, never an error, and once the new one is served the old one never comes back. (The new
    workbook has 1 customer and 2 interactions: it is imported with --allow-shrink.)"""
    from werkzeug.serving import make_server

    from api import create_app
    from api.warehouse import close_reader

    old_workbook = export_seeds(ROOT / "seeds", tmp_path / "old.xlsx")
    sheets = sample_sheets()
    sheets["External interactions"] = [
        HEADERS["External interactions"],
        [datetime.datetime(2019, 10, 4, 9, 0), "Email", 1],
        [datetime.datetime(2019, 10, 5, 9, 0), "Email", 1],
    ]
    new_workbook = make_workbook(tmp_path / "new.xlsx", sheets)
    old = {"data": {"customer_id": 1, "interactions": {"Email": 1, "Call": 0, "Bird": 0}}}
    new = {"data": {"customer_id": 1, "interactions": {"Email": 2, "Call": 0, "Bird": 0}}}

    with project.environment():
        assert cli.main(["import", str(old_workbook)]) == 0
        app = create_app({"TESTING": True})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        serving = threading.Thread(target=server.serve_forever, daemon=True)
        serving.start()
        url = f"http://127.0.0.1:{server.server_port}/api/v1/interactions/1"
        answers, failures, stop = [], [], threading.Event()

        def ask_again_and_again():
            deadline = time.monotonic() + 180  # bounded, whatever happens
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
                        answers.append((response.status, json.loads(response.read())))
                except Exception as error:  # noqa: BLE001 - every failure counts
                    failures.append(repr(error))

        asking = threading.Thread(target=ask_again_and_again)
        try:
            asking.start()
            while not answers and asking.is_alive():
                time.sleep(0.01)
            assert cli.main(["import", "--allow-shrink", str(new_workbook)]) == 0
            served_new = len(answers)
            while len(answers) < served_new + 20 and asking.is_alive():
                time.sleep(0.01)
        finally:
            stop.set()
            asking.join()
            server.shutdown()
            close_reader(app)

    assert failures == []
    assert all(status == 200 for status, _ in answers)
    bodies = [body for _, body in answers]
    assert bodies[0] == old and bodies[-1] == new
    first_new = bodies.index(new)
    assert bodies[:first_new] == [old] * first_new
    assert bodies[first_new:] == [new] * (len(bodies) - first_new)
    assert first_new >= 10  # the requests ran through the import, not only after it


def test_import_needs_a_served_warehouse(tmp_path, capsys):
    workbook = export_seeds(ROOT / "seeds", tmp_path / "sample.xlsx")
    with mock.patch.dict(os.environ, {"WAREHOUSE": "spark"}):
        assert cli.main(["import", str(workbook)]) == 1
    assert capsys.readouterr().err == (
        "interactions import: import works on WAREHOUSE=duckdb, postgres or spark_cluster "
        "(built on a Spark cluster, served by PostgreSQL), not spark\n"
    )
