"""Build the marts with dbt so that a build goes live whole or not at all.

DuckDB: dbt builds a new warehouse file beside the live one; when every model and test has
passed, the new file replaces the live one with one rename (readers keep the file they have
open and see the new one on their next open). PostgreSQL: dbt builds into raw__next,
staging__next and marts__next (DBT_SCHEMA_SUFFIX); when every model and test has passed, one
transaction swaps those schemas in and drops the old ones, so a query sees all old or all new
marts. Spark: dbt builds a new warehouse folder (tables and metastore) beside the live one;
when every model and test has passed, the live path, a symbolic link, is switched to it with one
rename and the previous folder is removed. On any failure the live warehouse is untouched.

On DuckDB and PostgreSQL the workbook's three seeds are not loaded by `dbt seed` (batches of
inserts: minutes for a million rows) but in bulk by interactions/landing.py into the new
warehouse, and `dbt build` excludes them; dbt itself runs in a child process started before
that load (interactions/dbt_process.py), so importing dbt and parsing the project overlap it.
"""

import ctypes
import fcntl
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from api.builds import NOTIFY_CHANNEL
from interactions import landing
from interactions.seed_files import WORKBOOK_SEEDS, seed_path
from interactions.settings import Settings
from interactions.versions import CUSTOMER_VERSIONS_SEED, DATA_VERSIONS_SEED

SCHEMAS = ("raw", "staging", "marts")
NEXT_SUFFIX = "__next"
OLD_SUFFIX = "__old"
# Warehouses whose workbook seeds interactions/landing.py loads in bulk before `dbt build`,
# which then skips them: dbt seed inserts in batches (about 7 minutes for a million rows on
# PostgreSQL), a bulk load takes about a second.
BULK_LOADED_WAREHOUSES = ("duckdb", "postgres")


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


# A test-only hook (tests/test_kill.py): INTERACTIONS_PAUSE_AT=<stage> makes a build print
# "paused at <stage>" and wait there, so a test can SIGKILL the command at that moment.
PAUSE_VARIABLE = "INTERACTIONS_PAUSE_AT"


def pause_point(stage: str, detail: str = "") -> None:
    if os.environ.get(PAUSE_VARIABLE) == stage:
        print(f"paused at {stage}{detail}", flush=True)
        time.sleep(3600)


def _die_with_parent():  # pragma: no cover - runs in the child between fork and exec
    """The dbt child gets SIGKILL when the command that started it dies (Linux)."""
    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (AttributeError, OSError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def target_args(settings: Settings) -> list[str]:
    """The live target of the warehouse (profiles.yml): a plain `dbt build` builds *_dev."""
    return ["--target", settings.warehouse]


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(settings: Settings, args: list[str], env: dict[str, str], echo=True) -> str:
    """Run one dbt command against the project; return its output, raise BuildError on failure."""
    command = [
        dbt_executable(),
        *args,
        "--project-dir",
        str(settings.dbt_project_dir),
        "--profiles-dir",
        str(settings.root),
        *target_args(settings),
    ]
    full_env = {**os.environ, **env, "WAREHOUSE": settings.warehouse}
    process = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        command,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl, before exec
    )
    output = process.stdout + process.stderr
    if echo:
        sys.stdout.write(output)
    if process.returncode != 0:
        raise BuildError(
            f"dbt {args[0]} failed (exit {process.returncode}); the live data is unchanged",
            output,
        )
    return output


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


def build(
    settings: Settings,
    dbt_args: list[str] | None = None,
    echo=True,
    before_dbt=None,
    *,
    seeds_dir: Path | None = None,
    seed_files: dict[str, Path] | None = None,
    data_version: int | None = None,
    before_live=None,
    after_live=None,
    go_live: bool = True,
    locked: bool = False,
) -> BuildResult:
    """Run `dbt build` and make the result live atomically.

    On DuckDB and PostgreSQL the workbook's seeds are read from `seed_files` (seed -> CSV), or
    from `seeds_dir` (default: the project's seeds/), and loaded in bulk into the new warehouse
    (interactions/landing.py), as is `seed_files`' raw_data_versions when given;
    `dbt build` then builds everything else, with the var data_version when given. Hooks, all
    optional: `before_dbt(env)` runs against the new (not yet live) warehouse before dbt;
    `before_live(env)` (DuckDB, PostgreSQL) runs once dbt has passed, before the new
    warehouse goes live: raising there leaves the live data as it was; `after_live()` runs
    once it is live, still holding the build lock. `go_live=False` (a preview) builds and
    tests the new warehouse, runs `before_live`, then throws it away. `locked`: the caller
    already holds build_lock. `dbt_args` are extra `dbt build` arguments.
    """
    started = time.monotonic()
    stages: dict[str, float] = {}
    rows_landed: dict[str, int] = {}
    dbt_args = list(dbt_args or [])
    if data_version is not None:
        dbt_args += ["--vars", json.dumps({"data_version": data_version})]
    with build_lock(settings) if not locked else nullcontext():
        if settings.warehouse in BULK_LOADED_WAREHOUSES:
            seeds = Path(seeds_dir) if seeds_dir is not None else settings.seeds_dir
            files = {seed: seed_path(seeds, seed) for seed in WORKBOOK_SEEDS}
            files.update(seed_files or {})
            before_dbt = _bulk_load_first(settings, files, before_dbt, stages, rows_landed)
            generated = (DATA_VERSIONS_SEED, CUSTOMER_VERSIONS_SEED)
            excluded = [seed for seed in (*WORKBOOK_SEEDS, *generated) if seed in files]
            dbt_args = ["--exclude", *excluded, *dbt_args]
        if settings.warehouse == "duckdb":
            output = _build_duckdb(
                settings, dbt_args, echo, before_dbt, before_live, stages, go_live
            )
        elif settings.warehouse == "spark":
            if seeds_dir is not None and Path(seeds_dir) != settings.seeds_dir:
                raise BuildError("a Spark build reads the project's seeds/ folder only")
            output = _build_spark(settings, dbt_args, echo, before_dbt, before_live, stages)
        else:
            output = _build_postgres(
                settings, dbt_args, echo, before_dbt, before_live, stages, go_live
            )
        if after_live is not None and go_live:
            after_live()
    return BuildResult(
        seconds=time.monotonic() - started,
        dbt_output=output,
        stages=stages,
        rows_landed=rows_landed,
    )


def _bulk_load_first(settings, files, before_dbt, stages, rows_landed):
    """A before_dbt hook: run `before_dbt` (which may write the seeds), then bulk-load them."""

    def load(env):
        if before_dbt is not None:
            before_dbt(env)
        pause_point("load")
        started = time.monotonic()
        rows_landed.update(landing.load_seed_files(settings.warehouse, env, files))
        stages["load"] = time.monotonic() - started

    return load


class DbtProcess:
    """`dbt build` in a child process started before the data load (interactions/dbt_process.py).

    Importing dbt and parsing the project take about 4 s; the child does that while this
    process loads the new warehouse, then runs the command it is sent. Its output goes to a
    temporary file (no pipe to fill while nobody reads it).
    """

    def __init__(self, settings: Settings, env: dict[str, str]):
        self._output = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        project_args = [
            "--project-dir",
            str(settings.dbt_project_dir),
            "--profiles-dir",
            str(settings.root),
            *target_args(settings),
        ]
        self._process = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            [sys.executable, "-m", "interactions.dbt_process", *project_args],
            stdin=subprocess.PIPE,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env, "WAREHOUSE": settings.warehouse},
            text=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl, before exec
        )

    def run(self, args: list[str], echo=True) -> str:
        """Run `dbt <args>`; return its output, raise BuildError on failure."""
        try:
            self._process.stdin.write(json.dumps(args) + "\n")
            self._process.stdin.close()
        except BrokenPipeError:  # the child has already exited: its output says why
            pass
        pause_point("dbt", f" (dbt child {self._process.pid})")
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


@contextmanager
def dbt_process(settings: Settings, env: dict[str, str]):
    process = DbtProcess(settings, env)
    try:
        yield process
    finally:
        process.close()


def _run_dbt_build(dbt, dbt_args, echo, stages) -> str:
    started = time.monotonic()
    try:
        return dbt.run(["build", *dbt_args], echo=echo)
    finally:
        stages["dbt build"] = time.monotonic() - started


def _build_then_go_live(settings, env, dbt_args, echo, before_dbt, before_live, stages, go_live):
    """The steps every DuckDB and PostgreSQL build takes against the not-yet-live warehouse
    named by `env` (bulk load, dbt build, the caller's last step), then `go_live()` (None for
    a preview: the new warehouse is thrown away)."""
    with dbt_process(settings, env) as dbt:
        if before_dbt is not None:
            before_dbt(env)
        output = _run_dbt_build(dbt, dbt_args, echo, stages)
    if before_live is not None:
        before_live(env)
    if go_live is None:
        return output
    pause_point("go live")
    started = time.monotonic()
    go_live()
    stages["go live"] = time.monotonic() - started
    pause_point("live")
    return output


def _build_duckdb(
    settings, dbt_args, echo, before_dbt, before_live=None, stages=None, go_live=True
):
    stages = {} if stages is None else stages
    live = settings.duckdb_path
    live.parent.mkdir(parents=True, exist_ok=True)
    # One name for every build (builds take turns under build_lock): dbt's partial parsing
    # starts over whenever the profile, and so DUCKDB_PATH, changes.
    building = live.with_name(f"{live.name}.building")
    building.unlink(missing_ok=True)
    Path(f"{building}.wal").unlink(missing_ok=True)
    env = {"DUCKDB_PATH": str(building)}
    try:
        return _build_then_go_live(
            settings,
            env,
            dbt_args,
            echo,
            before_dbt,
            before_live,
            stages,
            go_live=(lambda: os.replace(building, live)) if go_live else None,
        )
    finally:
        building.unlink(missing_ok=True)
        Path(f"{building}.wal").unlink(missing_ok=True)


def _build_spark(settings, dbt_args, echo, before_dbt, before_live=None, stages=None):
    """dbt seeds (Spark's CSV reader, macros/spark_seeds.sql) and builds a new warehouse
    folder beside the live one; it goes live when everything has passed."""
    stages = {} if stages is None else stages
    if importlib.util.find_spec("pyspark") is None:
        raise BuildError(
            "WAREHOUSE=spark needs the Spark dependencies: run `make install-spark` "
            "(pip install -r requirements-spark.txt); the live data is unchanged"
        )
    live = settings.spark_warehouse_dir
    live.parent.mkdir(parents=True, exist_ok=True)
    building = live.with_name(f"{live.name}.build-{os.getpid()}-{time.time_ns()}")
    env = {"SPARK_WAREHOUSE_DIR": str(building)}
    try:
        if before_dbt is not None:
            before_dbt(env)
        started = time.monotonic()
        try:
            output = run_dbt(settings, ["build", *dbt_args], env, echo)
        finally:
            stages["dbt build"] = time.monotonic() - started
        if before_live is not None:
            before_live(env)
        started = time.monotonic()
        switch_spark_warehouse(live, building)
        stages["go live"] = time.monotonic() - started
        return output
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise


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


def _build_postgres(
    settings, dbt_args, echo, before_dbt, before_live=None, stages=None, go_live=True
):
    stages = {} if stages is None else stages
    env = {"DBT_SCHEMA_SUFFIX": NEXT_SUFFIX}
    with postgres_connect(autocommit=True) as connection:
        for schema in SCHEMAS:
            connection.execute(
                sql.SQL("drop schema if exists {} cascade").format(_schema(schema + NEXT_SUFFIX))
            )
    try:
        return _build_then_go_live(
            settings,
            env,
            dbt_args,
            echo,
            before_dbt,
            before_live,
            stages,
            go_live=swap_postgres_schemas if go_live else None,
        )
    finally:
        with postgres_connect(autocommit=True) as connection:
            for schema in SCHEMAS:
                connection.execute(
                    sql.SQL("drop schema if exists {} cascade").format(
                        _schema(schema + NEXT_SUFFIX)
                    )
                )


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
