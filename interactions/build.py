"""Build the marts with dbt so that a build goes live whole or not at all.

DuckDB: dbt builds a new warehouse file beside the live one; when every model and test has
passed, the new file replaces the live one with one rename (readers keep the file they have
open and see the new one on their next open). PostgreSQL: dbt builds into raw__next,
staging__next and marts__next (DBT_SCHEMA_SUFFIX); when every model and test has passed, one
transaction swaps those schemas in and drops the old ones, so a query sees all old or all new
marts. Spark: dbt builds a new warehouse folder (tables and metastore) beside the live one;
when every model and test has passed, the live path, a symbolic link, is switched to it with one
rename and the previous folder is removed. A Spark cluster (WAREHOUSE=spark_cluster): dbt
builds on the cluster, the marts are published into PostgreSQL's __next schemas and swapped in
as a PostgreSQL build is (NewClusterBuild, interactions/cluster_publish.py). On any failure the
live warehouse is untouched.

Each warehouse's way is one small class (a NewWarehouse: NewDuckDBFile, NewPostgresSchemas,
NewSparkFolder, NewClusterBuild: the environment that points dbt at the new warehouse, land,
publish, go_live, discard); a Candidate (`candidate()`) runs its steps in order for the
release path (interactions/release.py), which adds its own between them.

On DuckDB and PostgreSQL the workbook's three seeds are not loaded by `dbt seed` (batches of
inserts: minutes for a million rows) but in bulk by interactions/landing.py into the new
warehouse, and `dbt build` excludes them. dbt always runs in a child process started before
that load (DbtProcess, interactions/dbt_process.py), so importing dbt and parsing the project
overlap it.
"""

import fcntl
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from core.notify import NOTIFY_CHANNEL
from core.processes import die_with_parent
from core.settings import Settings
from interactions import cluster_publish, landing
from interactions.pause_points import pause_point
from interactions.seed_files import WORKBOOK_SEEDS, seed_path
from interactions.unit_tests import UnitTests

SCHEMAS = ("raw", "staging", "marts")
NEXT_SUFFIX = "__next"
OLD_SUFFIX = "__old"
# Warehouses whose workbook seeds interactions/landing.py loads in bulk before `dbt build`,
# which then skips them: dbt seed inserts in batches (about 7 minutes for a million rows on
# PostgreSQL), a bulk load takes about a second.
BULK_LOADED_WAREHOUSES = ("duckdb", "postgres")
# Warehouses built from the version store's seed files: the bulk-loaded ones and a Spark
# cluster, which reads the files from its landing area (interactions/cluster_publish.py).
FILE_FED_WAREHOUSES = (*BULK_LOADED_WAREHOUSES, "spark_cluster")


class BuildError(RuntimeError):
    """dbt failed: the live warehouse was left as it was. `output` holds dbt's log."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


@dataclass(frozen=True)
class BuildResult:
    seconds: float
    dbt_output: str
    # Seconds per stage ("load", "dbt build", "go live"), and rows landed per bulk-loaded seed.
    stages: dict[str, float] = field(default_factory=dict)
    rows_landed: dict[str, int] = field(default_factory=dict)


def target_args(settings: Settings, target: str | None = None) -> list[str]:
    """The live target of the warehouse (profiles.yml): a plain `dbt build` builds *_dev."""
    return ["--target", target or settings.warehouse]


def run_dbt(settings: Settings, args: list[str], env: dict[str, str], echo=True) -> str:
    """Run one dbt command against the project (the one runner, DbtProcess); return its
    output, raise BuildError on failure."""
    with dbt_process(settings, env) as dbt:
        return dbt.run(args, echo=echo)


@contextmanager
def build_lock(settings: Settings):
    """One build at a time per checkout."""
    lock_path = settings.root / "warehouse" / ".build.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


class Candidate:
    """A new, not yet live warehouse of the settings' engine (a NewWarehouse) and the dbt
    process that parses the project meanwhile, made by `candidate()`. Its steps, in order:
    land (the seed files and version tables, in bulk), build (dbt build and test; a cluster's
    marts published), go_live (one step). Left without go_live, it is thrown away."""

    def __init__(self, settings: Settings, new, dbt, unit_tests: UnitTests, dbt_args: list):
        self.settings = settings
        self.env = new.env  # points a connection at the new warehouse (changes.connect_to_marts)
        self._new = new
        self._dbt = dbt
        self._unit_tests = unit_tests
        self._dbt_args = dbt_args  # extra `dbt build` arguments
        self._excluded: list[str] = []  # the seeds landed in bulk, which dbt must not seed
        self._started = time.monotonic()
        self.stages: dict[str, float] = {}
        self.rows_landed: dict[str, int] = {}
        self.output = ""

    def land(self, files: dict[str, Path], dbt_vars: dict) -> None:
        """The files (seed or version table -> CSV) into the new warehouse, in bulk."""
        pause_point("load")
        step = time.monotonic()
        self.rows_landed.update(self._new.land(files, dbt_vars))
        self.stages["load"] = time.monotonic() - step
        if self.settings.warehouse in BULK_LOADED_WAREHOUSES:
            self._excluded = bulk_loaded(files)

    def build(self, dbt_vars: dict, echo=True) -> None:
        """`dbt build` (models, data tests, unit tests when the project changed) with
        `dbt_vars`; BuildError if anything fails. A cluster's marts are then published."""
        dbt_vars = {**dbt_vars, **self._new.dbt_vars}
        excluded = ["--exclude", *self._excluded] if self._excluded else []
        args = ["build", *self._unit_tests.args, *excluded, *self._dbt_args]
        step = time.monotonic()
        if echo:
            sys.stdout.write(self._unit_tests.note)
        try:
            output = self._dbt.run([*args, *vars_args(dbt_vars)], echo=echo)
        finally:
            self.stages["dbt build"] = time.monotonic() - step
            self._dbt.close()
        if not self._dbt_args:  # a build of every node: its unit-test pass is recorded
            self._unit_tests.record()
        self.output = self._unit_tests.note + output
        if self._new.publishes:
            pause_point("publish")
            step = time.monotonic()
            self.output += self._new.publish(dbt_vars, echo=echo)
            self.stages["publish"] = time.monotonic() - step

    def go_live(self) -> None:
        pause_point("go live")
        step = time.monotonic()
        self._new.go_live()
        self.stages["go live"] = time.monotonic() - step
        pause_point("live")

    def result(self) -> BuildResult:
        return BuildResult(
            seconds=time.monotonic() - self._started,
            dbt_output=self.output,
            stages=dict(self.stages),
            rows_landed=dict(self.rows_landed),
        )


@contextmanager
def candidate(settings: Settings, dbt_args: list[str] | None = None):
    """A Candidate (the caller holds build_lock); thrown away when the block ends, unless it
    went live. `dbt_args`: extra `dbt build` arguments."""
    unit_tests = UnitTests(settings)  # under the lock: the project dbt is about to parse
    new = NEW_WAREHOUSES[settings.warehouse](settings)
    try:
        with dbt_process(settings, new.dbt_env) as dbt:
            yield Candidate(settings, new, dbt, unit_tests, list(dbt_args or []))
    finally:
        new.discard()


def build(
    settings: Settings,
    *,
    dbt_args: list[str] | None = None,
    echo=True,
    seeds_dir: Path | None = None,
    data_version: int | None = None,
    go_live: bool = True,
) -> BuildResult:
    """A build that keeps no version (local Spark's `interactions build`): `dbt build` of the
    project's seeds/ (or `seeds_dir`) into a new warehouse, made live in one step. Versions
    go live through interactions/release.py."""
    dbt_vars = {} if data_version is None else {"data_version": data_version}
    files = {}
    if settings.warehouse in FILE_FED_WAREHOUSES:
        seeds = Path(seeds_dir) if seeds_dir is not None else settings.seeds_dir
        files = {seed: seed_path(seeds, seed) for seed in WORKBOOK_SEEDS}
    elif seeds_dir is not None and Path(seeds_dir) != settings.seeds_dir:
        raise BuildError("a Spark build reads the project's seeds/ folder only")
    with build_lock(settings), candidate(settings, dbt_args) as new:
        if files:
            new.land(files, dbt_vars)
        new.build(dbt_vars, echo=echo)
        if go_live:
            new.go_live()
    return new.result()


def bulk_loaded(files: dict[str, Path]) -> list[str]:
    """The seeds among `files` that landing.py loads in bulk (`dbt build` excludes them); the
    other files are the version tables, dbt sources."""
    return [seed for seed in WORKBOOK_SEEDS if seed in files]


def vars_args(dbt_vars: dict) -> list[str]:
    return ["--vars", json.dumps(dbt_vars)] if dbt_vars else []


class DbtProcess:
    """dbt in a child process started before the data load (interactions/dbt_process.py):
    the one way this package runs dbt.

    Importing dbt and parsing the project take about 4 s; the child does that while this
    process loads the new warehouse, then runs the command it is sent. Its output goes to a
    temporary file (no pipe to fill while nobody reads it).
    """

    def __init__(self, settings: Settings, env: dict[str, str], target: str | None = None):
        """`target`: a profile output other than the warehouse's own (the PostgreSQL side of
        a cluster build)."""
        self._output = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        project_args = [
            "--project-dir",
            str(settings.dbt_project_dir),
            "--profiles-dir",
            str(settings.root),
            *target_args(settings, target),
        ]
        self._process = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            [sys.executable, "-m", "interactions.dbt_process", *project_args],
            stdin=subprocess.PIPE,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env, "WAREHOUSE": target or settings.warehouse},
            cwd=settings.root,  # where the README's dev loop runs dbt too
            text=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl, before exec
        )

    def run(self, args: list[str], echo=True) -> str:
        """Run `dbt <args>`; return its output, raise BuildError on failure."""
        self.send(args)
        pause_point("dbt", f" (dbt child {self._process.pid})")
        return self.wait(echo=echo)

    def send(self, args: list[str]) -> None:
        """Start `dbt <args>` without waiting for it (wait() does)."""
        self._args = args
        try:
            self._process.stdin.write(json.dumps(args) + "\n")
            self._process.stdin.close()
        except BrokenPipeError:  # the child has already exited: its output says why
            pass

    def wait(self, echo=True) -> str:
        """The output of the command sent; BuildError if it failed."""
        args = self._args
        returncode = self._process.wait()
        self._output.seek(0)
        output = self._output.read()
        if echo:
            sys.stdout.write(output)
        if returncode != 0:
            raise BuildError(
                f"dbt {args[0]} failed (exit {returncode}); the live data is unchanged", output
            )
        return output

    def close(self):
        """Stop the child if it was never sent a command (the load failed)."""
        if self._process.poll() is None:
            self._process.kill()  # only parsing: nothing to finish (a cut partial-parse file
            # only costs the next run a full parse)
        self._process.wait()
        if not self._process.stdin.closed:
            self._process.stdin.close()
        self._output.close()


def relative_to_root(root: Path, path: Path) -> Path:
    """`path` relative to the project's `root` when it is inside it (dbt runs there)."""
    try:
        return path.resolve().relative_to(root.resolve())
    except ValueError:
        return path


@contextmanager
def dbt_process(settings: Settings, env: dict[str, str]):
    process = DbtProcess(settings, env)
    try:
        yield process
    finally:
        process.close()


# --- one publish strategy per warehouse: where the new warehouse is built, how it goes live --


class NewWarehouse:
    """Where a build writes (`env` points dbt at it) and how it goes live. What every kind
    shares: the seed files are loaded in bulk by landing.py; nothing to publish after dbt."""

    env: dict[str, str]
    warehouse: str
    dbt_vars: dict = {}  # noqa: RUF012 - read only: the vars this kind adds to `dbt build`
    publishes = False  # a build elsewhere, published into the served warehouse after dbt

    @property
    def dbt_env(self) -> dict[str, str]:
        """`env` as the dbt child, run in the project's root, is given it."""
        return self.env

    def land(self, files: dict[str, Path], dbt_vars: dict) -> dict[str, int]:
        """Before `dbt build` (with `dbt_vars`): the seed files into the new warehouse; rows
        landed per seed."""
        return landing.load_seed_files(self.warehouse, self.env, files)

    def publish(self, dbt_vars: dict, echo=True) -> str:
        """After `dbt build` passed: the marts into the served warehouse; dbt's output."""
        return ""

    def go_live(self):
        raise NotImplementedError

    def discard(self):
        raise NotImplementedError


class NewDuckDBFile(NewWarehouse):
    """A new warehouse file beside the live one; live by one rename over it."""

    warehouse = "duckdb"

    def __init__(self, settings: Settings):
        self.live = settings.duckdb_path
        self.live.parent.mkdir(parents=True, exist_ok=True)
        # One name for every build (builds take turns under build_lock): dbt's partial parsing
        # starts over whenever the profile, and so DUCKDB_PATH, changes.
        self.building = self.live.with_name(f"{self.live.name}.building")
        self.discard()
        self.env = {"DUCKDB_PATH": str(self.building)}
        self.root = settings.root

    @property
    def dbt_env(self) -> dict[str, str]:
        """The file relative to the project's root, where dbt runs (DbtProcess): the profile,
        and with it a parsed project, is then the same in every copy of the project (the
        tests' copies start from one sample build's partial parse)."""
        return {"DUCKDB_PATH": str(relative_to_root(self.root, self.building))}

    def go_live(self):
        os.replace(self.building, self.live)

    def discard(self):
        self.building.unlink(missing_ok=True)
        Path(f"{self.building}.wal").unlink(missing_ok=True)


class NewPostgresSchemas(NewWarehouse):
    """raw__next, staging__next and marts__next (DBT_SCHEMA_SUFFIX); live by one transaction
    that swaps them in (swap_postgres_schemas)."""

    warehouse = "postgres"

    def __init__(self, settings: Settings):
        self.discard()
        self.env = {"DBT_SCHEMA_SUFFIX": NEXT_SUFFIX}

    def go_live(self):
        swap_postgres_schemas()

    def discard(self):
        drop_next_schemas()


def drop_next_schemas():
    with postgres_connect(autocommit=True) as connection:
        for schema in SCHEMAS:
            connection.execute(
                sql.SQL("drop schema if exists {} cascade").format(_schema(schema + NEXT_SUFFIX))
            )


class NewSparkFolder(NewWarehouse):
    """A new warehouse folder (tables and metastore) beside the live one; live by switching
    the live symbolic link to it (switch_spark_warehouse)."""

    def __init__(self, settings: Settings):
        require_spark("spark", "pyspark")
        self.live = settings.spark_warehouse_dir
        self.live.parent.mkdir(parents=True, exist_ok=True)
        self.building = self.live.with_name(
            f"{self.live.name}.build-{os.getpid()}-{time.time_ns()}"
        )
        self.env = {"SPARK_WAREHOUSE_DIR": str(self.building)}
        self._is_live = False

    def go_live(self):
        switch_spark_warehouse(self.live, self.building)
        self._is_live = True

    def discard(self):
        if not self._is_live:
            shutil.rmtree(self.building, ignore_errors=True)


def require_spark(warehouse: str, module: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise BuildError(
            f"WAREHOUSE={warehouse} needs the Spark dependencies: run `make install-spark` "
            "(pip install -r requirements-spark.txt); the live data is unchanged"
        )


class NewClusterBuild(NewWarehouse):
    """Built and tested on a Spark cluster, served by PostgreSQL (interactions/
    cluster_publish.py): the seed files land in the cluster's landing area, dbt builds on the
    cluster into raw__next, staging__next and marts__next (its databases), PostgreSQL gets the
    marts' definitions into its own __next schemas (`dbt build --empty`, target postgres) and
    the cluster fills them over JDBC; live by the same swap as a PostgreSQL build."""

    warehouse = "spark_cluster"
    publishes = True

    def __init__(self, settings: Settings):
        require_spark("spark_cluster", "pyhive")
        self.settings = settings
        self.env = {"DBT_SCHEMA_SUFFIX": NEXT_SUFFIX}
        self._postgres: dict[str, DbtProcess] = {}
        self.folder: Path | None = None
        self._drop_next()  # what a killed build left; the cluster unreachable: an error here
        # A cluster that cannot reach PostgreSQL: an error now, not after its build.
        _on_cluster(cluster_publish.check_reaches_postgres)
        self.folder = cluster_publish.new_landing_folder(settings)
        self.dbt_vars = {}

    def land(self, files: dict[str, Path], dbt_vars: dict) -> dict[str, int]:
        """The seed files into the landing area, named to dbt (var landed_seeds). PostgreSQL's
        raw__next gets the seeds' headers, and its tables' definitions are built meanwhile:
        `dbt build --empty` of the seeds and every model but the views (an empty build's view
        would keep its `limit 0`); the views are built once the tables are filled."""
        self.dbt_vars = {"landed_seeds": cluster_publish.land_files(self.folder, files)}
        empty = cluster_publish.header_only_files(self.folder / "headers", files)
        landing.load_seed_files("postgres", self.env, empty)
        for name in ("tables", "views"):  # each parses the project while the cluster builds
            target_path = self.settings.dbt_project_dir / "target" / f"postgres-{name}"
            env = {**self.env, "DBT_TARGET_PATH": str(target_path)}
            self._postgres[name] = DbtProcess(self.settings, env, target="postgres")
        self._postgres["tables"].send(
            ["build", "--empty", "--resource-type", "seed", "--resource-type", "model",
             "--exclude", *bulk_loaded(files), "config.materialized:view",
             *vars_args(dbt_vars)]
        )  # fmt: skip
        return {}

    def publish(self, dbt_vars: dict, echo=True) -> str:
        """The cluster's mart tables into PostgreSQL's (defined by land), then the views."""
        output = self._postgres["tables"].wait(echo=echo)
        _on_cluster(cluster_publish.publish_marts, "marts" + NEXT_SUFFIX)
        postgres_vars = {key: value for key, value in dbt_vars.items() if key != "landed_seeds"}
        return output + self._postgres["views"].run(
            ["run", "--select", "config.materialized:view", *vars_args(postgres_vars)],
            echo=echo,
        )

    def go_live(self):
        swap_postgres_schemas()

    def discard(self):
        for process in self._postgres.values():
            process.close()
        self._drop_next()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _drop_next(self):
        _on_cluster(cluster_publish.drop_databases, NEXT_SUFFIX)
        drop_next_schemas()


def _on_cluster(step, *args):
    """A step on the cluster; its ClusterError a BuildError (nothing live changed)."""
    try:
        return step(*args)
    except cluster_publish.ClusterError as error:
        raise BuildError(f"{error}; the live data is unchanged") from error


NEW_WAREHOUSES = {
    "duckdb": NewDuckDBFile,
    "postgres": NewPostgresSchemas,
    "spark": NewSparkFolder,
    "spark_cluster": NewClusterBuild,
}


def switch_spark_warehouse(live: Path, building: Path):
    """Point the `live` symbolic link at `building` with one rename; remove what it replaced.

    The metastore records each table's absolute location inside `building`, so the folder
    itself never moves: only the link does. A real folder at `live` (left by running dbt
    directly) is moved aside first.
    """
    previous = live.resolve() if live.is_symlink() else None
    if live.exists() and not live.is_symlink():
        previous = live.with_name(f"{live.name}.replaced-{os.getpid()}")
        os.replace(live, previous)
    link = live.with_name(f"{live.name}.link-{os.getpid()}")
    link.unlink(missing_ok=True)
    os.symlink(building.name, link)
    os.replace(link, live)
    if previous is not None and previous != building.resolve():
        shutil.rmtree(previous, ignore_errors=True)


def postgres_connect(**kwargs):
    """A connection from the standard PG* variables."""
    return psycopg.connect(connect_timeout=5, **kwargs)


def _schema(name: str) -> sql.Identifier:
    return sql.Identifier(name)


# The swap waits at most this long for any one lock, less than PostgreSQL's deadlock_timeout
# (1 s), so it always gives way to a reader first; then it tries again, for SWAP_SECONDS.
SWAP_LOCK_TIMEOUT = "200ms"
SWAP_SECONDS = 60


def swap_postgres_schemas():
    """In one transaction: the __next schemas become the live ones; the old ones are dropped.

    The transaction first takes every live mart's ACCESS EXCLUSIVE lock, in one statement.
    A query that has already read some old marts holds them until it ends, so it finishes
    on the old marts only; a query that starts meanwhile waits for the swap and reads the new
    marts only. Dropping the old marts one lock at a time instead could deadlock with a query
    holding one mart and asking for the next, and PostgreSQL would then cancel the query or
    the swap; here, when a lock is not granted within SWAP_LOCK_TIMEOUT, the swap rolls back
    and tries again, so readers are never cancelled.
    """
    deadline = time.monotonic() + SWAP_SECONDS
    with postgres_connect() as connection:
        while True:
            try:
                _swap_postgres_schemas_once(connection)
                return
            except psycopg.errors.LockNotAvailable as error:
                if time.monotonic() > deadline:
                    raise BuildError(
                        f"could not swap in the new marts within {SWAP_SECONDS} s: queries "
                        "kept holding the live ones; the live data is unchanged"
                    ) from error
                time.sleep(0.05)


def _swap_postgres_schemas_once(connection):
    with connection.transaction():
        connection.execute(f"set local lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
        live_marts = [
            name
            for (name,) in connection.execute(
                "select relname from pg_class where relnamespace = (select oid from"
                " pg_namespace where nspname = 'marts') and relkind in ('r', 'v', 'm', 'p')"
            )
        ]
        if live_marts:
            connection.execute(
                sql.SQL("lock table {} in access exclusive mode").format(
                    sql.SQL(", ").join(sql.Identifier("marts", name) for name in live_marts)
                )
            )
        for schema in SCHEMAS:
            connection.execute(
                sql.SQL("drop schema if exists {} cascade").format(_schema(schema + OLD_SUFFIX))
            )
            exists = connection.execute(
                "select 1 from pg_namespace where nspname = %s", (schema,)
            ).fetchone()
            if exists:
                connection.execute(
                    sql.SQL("alter schema {} rename to {}").format(
                        _schema(schema), _schema(schema + OLD_SUFFIX)
                    )
                )
            connection.execute(
                sql.SQL("alter schema {} rename to {}").format(
                    _schema(schema + NEXT_SUFFIX), _schema(schema)
                )
            )
        for schema in SCHEMAS:
            connection.execute(
                sql.SQL("drop schema if exists {} cascade").format(_schema(schema + OLD_SUFFIX))
            )
        # Delivered when this transaction commits: each API worker drops its answer cache.
        connection.execute(sql.SQL("notify {}").format(sql.Identifier(NOTIFY_CHANNEL)))
