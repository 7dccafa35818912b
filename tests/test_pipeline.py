"""The dbt pipeline on both warehouses: the sample seeds, a messy workbook's seeds, and a
data error that must fail the build without touching the live marts."""

import os
import re
from unittest import mock

import pytest

from interactions.build import BuildError
from tests.warehouses import (
    UNIT_TESTS,
    BuiltOnce,
    build_warehouse,
    copy_project,
    fetch_all,
    fresh_sample,
    warehouse_settings,
)


def test_sample_counts_per_customer_and_channel(sample_warehouse):
    rows = fetch_all(
        sample_warehouse,
        "select customer_id, channel, topic, interaction_count"
        " from marts.interactions_by_customer_channel order by 1, 2",
    )
    assert rows == [
        (1, "Email", "Unknown", 1),
        (3, "Email", "Unknown", 1),
        (4, "Bird", "Unknown", 1),
        (4, "Call", "Unknown", 1),
    ]


def test_sample_customers_include_the_one_missing_from_the_sheet(sample_warehouse):
    rows = fetch_all(
        sample_warehouse,
        "select customer_id, occupation, customer_type, interaction_count, is_in_customer_sheet"
        " from marts.dim_customers order by 1",
    )
    assert rows == [
        (1, "Jedi", "Red", 1, True),
        (2, "Batman", "Orange", 0, True),
        (3, "Santa Claus", "Blue", 1, True),
        (4, "Unknown", "Unknown", 2, False),
        (11, "Doctor", "Orange", 0, True),
        (12, "Plummer", "Red", 0, True),
    ]


def test_sample_counts_per_customer_type(sample_warehouse):
    rows = fetch_all(
        sample_warehouse,
        "select customer_type, channel, topic, interaction_count"
        " from marts.interactions_by_customer_type_channel order by 1, 2",
    )
    assert rows == [
        ("Blue", "Email", "Unknown", 1),
        ("Red", "Email", "Unknown", 1),
        ("Unknown", "Bird", "Unknown", 1),
        ("Unknown", "Call", "Unknown", 1),
    ]


def test_sample_dimensions(sample_warehouse):
    channels = fetch_all(
        sample_warehouse, "select channel, display_order from marts.dim_channels order by 2"
    )
    assert channels == [("Email", 1), ("Call", 2), ("Bird", 3)]
    topics = fetch_all(
        sample_warehouse, "select topic, month_count, is_unknown from marts.dim_topics order by 1"
    )
    assert topics == [("Orange", 1, False), ("Sand", 2, False), ("Unknown", 0, True)]


def test_sample_reconciles_and_reports_its_findings(sample_warehouse):
    rows = fetch_all(
        sample_warehouse,
        "select sheet_name, rows_landed, rows_counted, rows_quarantined"
        " from marts.sheet_reconciliation order by 1",
    )
    assert rows == [("customers", 5, 5, 0), ("interactions", 4, 4, 0), ("products", 3, 3, 0)]
    assert fetch_all(sample_warehouse, "select count(*) from marts.quarantined_rows") == [(0,)]
    output = sample_warehouse.result.dbt_output
    assert "WARN 4 warn_interactions_without_topic" in output
    assert "WARN 1 warn_customers_not_in_customer_sheet" in output
    assert "PASS warn_quarantined_rows" in output
    assert "ERROR=0" in output
    # Every dbt unit test ran and passed on this warehouse (as tests/test_engines_agree.py
    # counts them on Spark): the project's unit tests, by name.
    passed = sorted(re.findall(r" PASS \w+::(test_\w+)", output))
    assert passed == sorted(UNIT_TESTS)


MESSY_CUSTOMERS = """customer_id,occupation,type
1,Jedi,Red
2.0,,Orange
 3 ,Santa Claus,Blue
3,Impostor,Green
12in,Nobody,Red
,,
,Ghost,Red
"""

MESSY_INTERACTIONS = """date_start,interaction,customers
04/10/2019 09:00,Email,1
16/01/2020 10:00, e-mail ,4.0
17/01/2020 11:00,PHONE,4
31/02/2020 10:00,Email,1
05/03/2020 11:23,Pigeon,1
05/03/2020 11:23,Bird,12in
,,
05/03/2020 11:23,,1
06/03/2020 12:00,bird,2
"""

MESSY_PRODUCTS = """date,product
01-2020,Sand
03-2020, Orange
13-2020,Sand
02-2020,
01-2020,Sand
"""


def write_seeds(home, customers=None, interactions=None, products=None):
    seeds = home / "seeds"
    for name, text in [
        ("raw_customers.csv", customers),
        ("raw_external_interactions.csv", interactions),
        ("raw_products_of_discussion.csv", products),
    ]:
        if text is not None:
            (seeds / name).write_text(text)


@pytest.fixture(scope="module")
def messy_builds(tmp_path_factory):
    """The messy seeds built once per warehouse in this module, on first use."""
    builds = BuiltOnce(
        lambda warehouse: tmp_path_factory.mktemp(f"messy-{warehouse}"),
        prepare=lambda home: write_seeds(home, MESSY_CUSTOMERS, MESSY_INTERACTIONS, MESSY_PRODUCTS),
    )
    yield builds
    builds.close()


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def messy_warehouse(request, messy_builds):
    return messy_builds.get(request.param)


def test_messy_rows_are_quarantined_with_one_reason_each(messy_warehouse):
    rows = fetch_all(
        messy_warehouse,
        "select sheet_name, source_row_number, quarantine_reason, row_values"
        " from marts.quarantined_rows order by 1, 2",
    )
    assert rows == [
        ("customers", 4, "duplicate customer id", "Customer_Id=3; Occupation=Impostor; Type=Green"),
        ("customers", 5, "invalid customer id", "Customer_Id=12in; Occupation=Nobody; Type=Red"),
        ("customers", 6, "blank row", "Customer_Id=; Occupation=; Type="),
        ("customers", 7, "missing customer id", "Customer_Id=; Occupation=Ghost; Type=Red"),
        (
            "interactions",
            4,
            "unparseable date",
            "Date Start=31/02/2020 10:00; Interaction=Email; Customers=1",
        ),
        (
            "interactions",
            5,
            "unknown channel",
            "Date Start=05/03/2020 11:23; Interaction=Pigeon; Customers=1",
        ),
        (
            "interactions",
            6,
            "invalid customer id",
            "Date Start=05/03/2020 11:23; Interaction=Bird; Customers=12in",
        ),
        ("interactions", 7, "blank row", "Date Start=; Interaction=; Customers="),
        (
            "interactions",
            8,
            "missing channel",
            "Date Start=05/03/2020 11:23; Interaction=; Customers=1",
        ),
        ("products", 3, "unparseable month", "Date=13-2020; Product=Sand"),
        ("products", 4, "missing product", "Date=02-2020; Product="),
    ]


def test_messy_rows_that_can_be_used_are_counted(messy_warehouse):
    counts = fetch_all(
        messy_warehouse,
        "select customer_id, channel, topic, interaction_count"
        " from marts.interactions_by_customer_channel order by 1, 2",
    )
    assert counts == [
        (1, "Email", "Unknown", 1),
        (2, "Bird", "Orange", 1),
        (4, "Call", "Sand", 1),
        (4, "Email", "Sand", 1),
    ]
    customers = fetch_all(
        messy_warehouse,
        "select customer_id, occupation, customer_type, interaction_count, is_in_customer_sheet"
        " from marts.dim_customers order by 1",
    )
    assert customers == [
        (1, "Jedi", "Red", 1, True),
        (2, "Unknown", "Orange", 1, True),
        (3, "Santa Claus", "Blue", 0, True),
        (4, "Unknown", "Unknown", 2, False),
    ]


def test_messy_sheets_reconcile(messy_warehouse):
    rows = fetch_all(
        messy_warehouse,
        "select sheet_name, rows_landed, rows_counted, rows_quarantined"
        " from marts.sheet_reconciliation order by 1",
    )
    assert rows == [("customers", 7, 3, 4), ("interactions", 9, 4, 5), ("products", 5, 3, 2)]
    output = messy_warehouse.result.dbt_output
    assert "WARN 11 warn_quarantined_rows" in output
    assert "WARN 1 warn_interactions_without_topic" in output


@pytest.mark.parametrize("warehouse", ["duckdb", "postgres"])
def test_two_products_in_one_month_fail_the_build_and_keep_the_live_marts(warehouse, tmp_path):
    home = copy_project(tmp_path)

    def customer_one():
        return fetch_all(
            built,
            "select channel, interaction_count from marts.interactions_by_customer_channel"
            " where customer_id = 1",
        )

    class Built:
        pass

    built = Built()
    built.warehouse = warehouse
    with fresh_sample(warehouse, home) as dbname:  # the sample's build, copied
        built.environ = {"PGDATABASE": dbname}
        built.settings = warehouse_settings(warehouse, home)
        assert customer_one() == [("Email", 1)]

        write_seeds(home, products="date,product\n10-2019,Sand\n10-2019,Orange\n")
        with pytest.raises(BuildError) as failure:
            build_warehouse(warehouse, home)
        assert "ERROR one_product_per_month" in failure.value.output
        assert "month 10-2019: row 1 'Sand', row 2 'Orange'" in failure.value.output
        assert customer_one() == [("Email", 1)]
        topics = fetch_all(built, "select topic from marts.dim_topics order by 1")
        assert topics == [("Orange",), ("Sand",), ("Unknown",)]


def test_warehouse_setting_is_checked():
    from core import settings

    with mock.patch.dict(os.environ, {"WAREHOUSE": "oracle"}):
        with pytest.raises(ValueError, match="WAREHOUSE must be one of duckdb, postgres"):
            settings.load()


def test_a_spelling_that_names_two_channels_fails_the_build(tmp_path):
    """seeds/channels.csv with 'mail' an alias of Email and of Call: the build fails on the
    lookup's unique test, naming it, and nothing goes live (a first build: no warehouse)."""
    home = copy_project(tmp_path / "project")
    (home / "seeds" / "channels.csv").write_text(
        "channel,display_order,aliases\nEmail,1,e-mail|mail\nCall,2,phone| MAIL \nBird,3,\n"
    )
    with pytest.raises(BuildError) as failure:
        build_warehouse("duckdb", home)
    assert "Failure in test unique_int_channel_lookup_lookup_key" in failure.value.output
    assert not (home / "warehouse" / "interactions.duckdb").exists()


@pytest.mark.long  # a story of many builds: make test-fast leaves it out
def test_unit_tests_run_when_the_project_changed_and_a_failing_one_keeps_the_live_marts(tmp_path):
    """A build runs every dbt unit test on a project it has not seen pass on this warehouse,
    leaves them out while the project is unchanged (an import changes data, not SQL), and runs
    them again after any change to the project: a failing one fails the build, nothing goes
    live."""
    home = copy_project(tmp_path / "project")
    settings, first = build_warehouse("duckdb", home)
    assert sorted(re.findall(r" PASS \w+::(test_\w+)", first.dbt_output)) == sorted(UNIT_TESTS)
    assert "dbt unit tests: left out" not in first.dbt_output

    _, second = build_warehouse("duckdb", home)
    assert second.dbt_output.startswith(
        "dbt unit tests: left out, they passed on this warehouse for this project "
        "(dbt_project unchanged since; unit_tests_passed.json in dbt's target folder)\n"
    )
    assert re.findall(r"START unit_test|::test_\w+", second.dbt_output) == []
    assert re.search(r"Done\. PASS=\d+ WARN=2 ERROR=0 SKIP=0", second.dbt_output)
    live = settings.duckdb_path.read_bytes()

    models = home / "dbt_project" / "models" / "marts" / "core" / "_core__models.yml"
    original = models.read_text()
    models.write_text(original.replace("month_index: 24241", "month_index: 24242", 1))
    with pytest.raises(BuildError) as failure:
        build_warehouse("duckdb", home)
    output = failure.value.output
    assert "dbt unit tests: left out" not in output
    assert " FAIL 1 dim_months::test_months_are_consecutive_across_years " in output
    # every other unit test ran and passed, but the one of a model downstream of dim_months
    passed = re.findall(r" PASS \w+::(test_\w+)", output)
    assert sorted(set(UNIT_TESTS) - set(passed)) == [
        "test_monthly_answers_fill_the_months_between",
        "test_months_are_consecutive_across_years",
    ]
    assert settings.duckdb_path.read_bytes() == live

    models.write_text(original)  # the project they passed on: left out again
    _, restored = build_warehouse("duckdb", home)
    assert restored.dbt_output.startswith("dbt unit tests: left out")
