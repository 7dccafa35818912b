"""Build throw-away warehouses for tests: a DuckDB file in a temporary folder, or a PostgreSQL
database created for the test and dropped after it. With CI=true an unreachable PostgreSQL
fails the test instead of skipping it."""

import os
import shutil
import subprocess
import uuid
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import psycopg
import pytest
from psycopg import sql

from interactions import settings as settings_module
from interactions.publish import rebuild

ROOT = Path(__file__).resolve().parents[1]


def copy_project(destination: Path) -> Path:
    """A copy of the dbt project, its seeds and profiles.yml, whose seeds a test may change."""
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copytree(
        ROOT / "dbt_project",
        destination / "dbt_project",
        ignore=shutil.ignore_patterns("target", "logs"),
    )
    shutil.copytree(ROOT / "seeds", destination / "seeds")
    shutil.copy(ROOT / "profiles.yml", destination / "profiles.yml")
    shutil.copytree(ROOT / "postgres", destination / "postgres")
    (destination / "warehouse").mkdir(exist_ok=True)
    return destination


def postgres_available() -> bool:
    try:
        with psycopg.connect(dbname="postgres", connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def opted_out(variable: str) -> bool:
    """SKIP_POSTGRES, SKIP_SPARK or SKIP_BROWSER set: those tests are skipped on purpose
    (scripts/check_test_needs.py; `make test` lists them with -rs)."""
    return os.environ.get(variable, "").lower() in ("1", "true", "yes")


def unavailable(variable: str, message: str):
    """Skip or fail a test whose need is missing: skipped when opted out (`variable`=1);
    failed with CI=true; else skipped (a direct pytest run: `make test` checks first)."""
    if os.environ.get("CI", "").lower() == "true" and not opted_out(variable):
        pytest.fail(f"{message}; CI=true requires these tests to run")
    pytest.skip(f"{message} ({variable}=1)" if opted_out(variable) else message)


def require_postgres():
    if opted_out("SKIP_POSTGRES"):
        unavailable("SKIP_POSTGRES", "the PostgreSQL tests are skipped")
    if not postgres_available():
        unavailable("SKIP_POSTGRES", "PostgreSQL is unreachable (PGHOST/PGPORT/PGUSER)")


def create_api_role():
    """The PostgreSQL set-up step: the API's role (once per server)."""
    subprocess.run(  # noqa: S603
        [
            "psql",
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-d",
            "postgres",
            "-f",
            str(ROOT / "postgres" / "create_api_role.sql"),
        ],
        check=True,
        capture_output=True,
    )


@contextmanager
def postgres_database(prefix="interactions_test"):
    """A new, empty database; PGDATABASE points at it inside the block; dropped after."""
    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dbname="postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    create_api_role()
    try:
        with mock.patch.dict(os.environ, {"PGDATABASE": name}):
            yield name
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True) as connection:
            connection.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


def build_warehouse(warehouse: str, home: Path, echo=False):
    """`interactions build` of `home`'s project into its own warehouse (DuckDB file under
    home/warehouse, or the current PGDATABASE): the live version again, or seeds/ as version 1
    on the first build; return the settings used and the build's result."""
    environ = {
        **os.environ,
        "WAREHOUSE": warehouse,
        "INTERACTIONS_HOME": str(home),
        "DUCKDB_PATH": str(home / "warehouse" / "interactions.duckdb"),
    }
    settings = settings_module.load(environ)
    with mock.patch.dict(os.environ, environ):
        result = rebuild(settings, echo=echo).result
    return settings, result


def fetch_all(built, query: str) -> list[tuple]:
    """Rows of `query` against a built warehouse (read-only)."""
    if built.warehouse == "duckdb":
        import duckdb

        with duckdb.connect(str(built.settings.duckdb_path), read_only=True) as connection:
            return connection.execute(query).fetchall()
    with psycopg.connect(dbname=built.environ["PGDATABASE"]) as connection:
        return connection.execute(query).fetchall()
