"""Build throw-away warehouses for tests: a DuckDB file in a temporary folder, or a PostgreSQL
database created for the test and dropped after it. With CI=true an unreachable PostgreSQL
fails the test instead of skipping it."""

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import psycopg
import pytest
from psycopg import sql

from core import settings as settings_module
from interactions import cli, unit_tests
from interactions.release import rebuild

ROOT = Path(__file__).resolve().parents[1]
# The dbt unit tests the project declares (every `unit_tests:` entry of its .yml files).
UNIT_TESTS = [
    name
    for path in (ROOT / "dbt_project" / "models").rglob("*.yml")
    for name in re.findall(r"^  - name: (test_\w+)$", path.read_text(), re.M)
]


# dbt's record of the parsed project (dbt_project/target), which its next run reuses.
PARSED_PROJECT = "partial_parse.msgpack"


def copy_project(destination: Path) -> Path:
    """A copy of the dbt project, its seeds and profiles.yml, whose seeds a test may change;
    with the session's parse of the project on DuckDB once there is one (lend_parse)."""
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
    SAMPLE_TEMPLATES.lend_parse(destination)
    return destination


def unit_tests_passed(home: Path, warehouse: str) -> None:
    """Record in `home`'s dbt target folder that the project's unit tests passed on
    `warehouse`, as a build that ran them does (interactions/unit_tests.py): `home`'s builds
    leave them out. For the tests whose subject is the data, on a warehouse where other tests
    run the unit tests: the sample templates' builds on DuckDB and PostgreSQL,
    test_engines_agree.py's on Spark."""
    environ = {**os.environ, "INTERACTIONS_HOME": str(home), "WAREHOUSE": warehouse}
    unit_tests.UnitTests(settings_module.load(environ)).record()


def cli_history(environ: dict[str, str]) -> list[dict]:
    """`interactions history --json` with `environ` over os.environ, run in this process (a
    command's start costs more than its work)."""
    output = io.StringIO()
    with mock.patch.dict(os.environ, environ), contextlib.redirect_stdout(output):
        assert cli.main(["history", "--json"]) == 0
    return json.loads(output.getvalue())


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


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def create_database(prefix: str, template: str | None = None, name: str | None = None) -> str:
    """A new database (a copy of `template`, or empty), with the API's role; its name
    (`name`, or `prefix` and a unique suffix)."""
    require_postgres()
    name = name or unique_name(prefix)
    statement = sql.SQL("create database {}").format(sql.Identifier(name))
    if template:
        statement += sql.SQL(" template {}").format(sql.Identifier(template))
    with psycopg.connect(dbname="postgres", autocommit=True) as connection:
        connection.execute(statement)
    create_api_role()
    return name


def drop_database(name: str) -> None:
    with psycopg.connect(dbname="postgres", autocommit=True) as connection:
        connection.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )


def rename_database(name: str, new_name: str) -> None:
    with psycopg.connect(dbname="postgres", autocommit=True) as connection:
        connection.execute(
            sql.SQL("alter database {} rename to {}").format(
                sql.Identifier(name), sql.Identifier(new_name)
            )
        )


@contextmanager
def postgres_database(prefix="interactions_test", template=None, name=None):
    """A new database, empty or a copy of `template` (named `name`, or uniquely); PGDATABASE
    points at it inside the block; dropped after."""
    name = create_database(prefix, template, name)
    try:
        with mock.patch.dict(os.environ, {"PGDATABASE": name}):
            yield name
    finally:
        drop_database(name)


class SampleTemplates:
    """The sample seeds built once per session and warehouse by `interactions build` (version
    1 live), copied for each test that needs a fresh one (fresh_sample): the DuckDB file and
    its version store; on PostgreSQL a database made from the built one (CREATE DATABASE ...
    TEMPLATE: nothing else ever connects to it) and its version store, renamed for the new
    database. A copy is what a build of the sample gives; tests of the build itself build.

    dbt parses the project again from scratch when its profile changes, and on PostgreSQL
    the profile holds the database's name. So the PostgreSQL template is built under the
    name its copies take (`copy_name`, one per test process, whose tests run one at a time),
    then renamed: a copy's first build reuses the template's parse, as on DuckDB. A copy made
    while another holds that name (a module's copy beside a test's) gets a name of its own,
    and a full parse."""

    def __init__(self):
        self.folder: Path | None = None
        self.built: dict[str, tuple[Path, str | None]] = {}
        self.results: dict[str, object] = {}  # each template's build result
        self.copy_name = unique_name("interactions_fresh")
        self._copy_name_taken = False

    def template(self, warehouse: str) -> tuple[Path, str | None]:
        if warehouse not in self.built:
            if self.folder is None:
                self.folder = Path(tempfile.mkdtemp(prefix="interactions-sample-templates-"))
            home = copy_project(self.folder / warehouse)
            database = None
            with mock.patch.dict(os.environ):
                os.environ.pop("VERSIONS_DIR", None)  # the store goes in the copied folder
                if warehouse == "postgres":
                    database = create_database("interactions_fresh", name=self.copy_name)
                    os.environ["PGDATABASE"] = database
                try:
                    _, self.results[warehouse] = build_warehouse(warehouse, home)
                    if database:
                        rename_database(database, f"{database}_template")
                        database = f"{database}_template"
                except BaseException:
                    if database:
                        drop_database(database)
                    shutil.rmtree(home, ignore_errors=True)
                    raise
            self.built[warehouse] = (home, database)
        return self.built[warehouse]

    def copy_into(self, warehouse: str, home: Path, database: str | None) -> None:
        """The built sample's warehouse folder (DuckDB file, version store) and dbt's records
        of it into `home`, for `database` on PostgreSQL."""
        template_home, _ = self.template(warehouse)
        shutil.copytree(
            template_home / "warehouse",
            home / "warehouse",
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(".build.lock"),
        )
        # What the template's build left in dbt's target folder, as a second build of the
        # same project finds it: the unit tests passed (a build of the copy leaves them out
        # unless the test changes the project: interactions/unit_tests.py) and the parsed
        # project (dbt reparses what changed, or all of it for another profile: a PostgreSQL
        # copy not named copy_name).
        _copy_target(template_home, home, (unit_tests.RECORD, PARSED_PROJECT))
        if database:
            stores = home / "warehouse" / "versions"
            [store] = stores.glob(f"postgres-{self.copy_name}@*")
            store.rename(stores / store.name.replace(self.copy_name, database, 1))

    @contextmanager
    def postgres_copy(self):
        """A new database copied from the PostgreSQL template, named copy_name unless another
        copy holds that name; PGDATABASE points at it inside the block; dropped after."""
        _, template = self.template("postgres")
        name = None if self._copy_name_taken else self.copy_name
        self._copy_name_taken = True
        try:
            with postgres_database("interactions_fresh", template, name) as database:
                yield database
        finally:
            if name is not None:
                self._copy_name_taken = False

    def lend_parse(self, home: Path) -> None:
        """The DuckDB template's parsed project into `home`'s dbt target folder, once that
        template is built: a first build of the copy on DuckDB then parses only what the test
        changed (on another warehouse dbt parses it all, as it would without)."""
        if "duckdb" in self.built:
            _copy_target(self.built["duckdb"][0], home, (PARSED_PROJECT,))

    def remove(self) -> None:
        for _, database in self.built.values():
            if database:
                drop_database(database)
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.built.clear()
        self.folder = None


def _copy_target(template_home: Path, home: Path, names) -> None:
    """Files of the template's dbt target folder that `home`'s does not have yet."""
    for name in names:
        kept = Path("dbt_project", "target", name)
        if (template_home / kept).exists() and not (home / kept).exists():
            (home / kept).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(template_home / kept, home / kept)


SAMPLE_TEMPLATES = SampleTemplates()  # removed at the session's end (conftest.py)


@contextmanager
def fresh_sample(warehouse: str, home: Path):
    """`home` (a copy_project) with the sample live as version 1 on `warehouse`, as
    build_warehouse would leave it, copied from the session's build (SampleTemplates); on
    PostgreSQL a database of its own, PGDATABASE pointing at it inside the block, dropped
    after. Yields the database's name (None on DuckDB)."""
    if warehouse == "postgres":
        require_postgres()
        with SAMPLE_TEMPLATES.postgres_copy() as database:
            SAMPLE_TEMPLATES.copy_into(warehouse, home, database)
            yield database
    else:
        SAMPLE_TEMPLATES.copy_into(warehouse, home, None)
        yield None


def build_warehouse(warehouse: str, home: Path, echo=False):
    """`interactions build` of `home`'s project into its own warehouse (DuckDB file under
    home/warehouse, or the current PGDATABASE): the live version again, or seeds/ as version 1
    on the first build; return the settings used and the build's result."""
    settings = warehouse_settings(warehouse, home)
    with mock.patch.dict(os.environ, _warehouse_environ(warehouse, home)):
        result = rebuild(settings, echo=echo).result
    return settings, result


def warehouse_settings(warehouse: str, home: Path):
    """The settings of `home`'s project on `warehouse` (its own DuckDB file under
    home/warehouse, or the current PGDATABASE)."""
    return settings_module.load({**os.environ, **_warehouse_environ(warehouse, home)})


def _warehouse_environ(warehouse: str, home: Path) -> dict[str, str]:
    return {
        "WAREHOUSE": warehouse,
        "INTERACTIONS_HOME": str(home),
        "DUCKDB_PATH": str(home / "warehouse" / "interactions.duckdb"),
    }


class Built:
    """A project built on one warehouse: its settings, the build's result, and the
    environment that points the API and the CLI at it (WAREHOUSE, DUCKDB_PATH or PGDATABASE)."""

    def __init__(self, settings, result, environ: dict[str, str]):
        self.settings = settings
        self.result = result
        self.environ = {"WAREHOUSE": settings.warehouse, **environ}

    @property
    def warehouse(self) -> str:
        return self.settings.warehouse


class BuiltOnce:
    """One project built once per warehouse, on first use, kept until close() (its
    PostgreSQL database dropped then). A fixture parametrized by warehouse looks its build up
    here, so tests run in any order (pytest --random-order) switch warehouses without a build
    each time. `make_home(warehouse)` gives the folder to copy the project into, and
    `prepare(home)` changes its seeds before the build; without `prepare`, the sample, a copy
    of the session's build of it (SampleTemplates)."""

    def __init__(self, make_home, prepare=None):
        self.make_home = make_home
        self.prepare = prepare
        self.builds: dict[str, Built] = {}
        self.databases: list[str] = []

    def get(self, warehouse: str) -> Built:
        if warehouse not in self.builds:
            home = copy_project(self.make_home(warehouse))
            sample = self.prepare is None
            environ = {"DUCKDB_PATH": str(home / "warehouse" / "interactions.duckdb")}
            if warehouse == "postgres":
                template = SAMPLE_TEMPLATES.template(warehouse)[1] if sample else None
                environ = {"PGDATABASE": create_database("interactions_test", template)}
                self.databases.append(environ["PGDATABASE"])
            with mock.patch.dict(os.environ, environ):
                if sample:  # a copy of the session's build of it
                    SAMPLE_TEMPLATES.copy_into(warehouse, home, environ.get("PGDATABASE"))
                    settings = warehouse_settings(warehouse, home)
                    result = SAMPLE_TEMPLATES.results[warehouse]
                else:
                    self.prepare(home)
                    settings, result = build_warehouse(warehouse, home)
            self.builds[warehouse] = Built(settings, result, environ)
        return self.builds[warehouse]

    def close(self) -> None:
        for database in self.databases:
            drop_database(database)
        self.databases.clear()
        self.builds.clear()


def fetch_all(built, query: str) -> list[tuple]:
    """Rows of `query` against a built warehouse (read-only)."""
    if built.warehouse == "duckdb":
        import duckdb

        with duckdb.connect(str(built.settings.duckdb_path), read_only=True) as connection:
            return connection.execute(query).fetchall()
    with psycopg.connect(dbname=built.environ["PGDATABASE"]) as connection:
        return connection.execute(query).fetchall()
