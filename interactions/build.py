"""Build the marts with dbt so that a build goes live whole or not at all.

DuckDB: dbt builds a new warehouse file beside the live one; when every model and test has
passed, the new file replaces the live one with one rename (readers keep the file they have
open and see the new one on their next open). PostgreSQL: dbt builds into raw__next,
staging__next and marts__next (DBT_SCHEMA_SUFFIX); when every model and test has passed, one
transaction swaps those schemas in and drops the old ones, so a query sees all old or all new
marts. On any failure the live warehouse is untouched.
"""

import fcntl
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from interactions.settings import Settings

SCHEMAS = ("raw", "staging", "marts")
NEXT_SUFFIX = "__next"
OLD_SUFFIX = "__old"


class BuildError(RuntimeError):
    """dbt failed: the live warehouse was left as it was. `output` holds dbt's log."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


@dataclass(frozen=True)
class BuildResult:
    seconds: float
    dbt_output: str


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
    ]
    full_env = {**os.environ, **env, "WAREHOUSE": settings.warehouse}
    process = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        command, env=full_env, capture_output=True, text=True, check=False
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
    settings: Settings, dbt_args: list[str] | None = None, echo=True, before_dbt=None
) -> BuildResult:
    """Run `dbt build` and make the result live atomically.

    `before_dbt(env)`, when given, runs first against the new (not yet live) warehouse, e.g.
    to load large seeds in bulk; `dbt_args` are extra arguments for `dbt build`.
    """
    started = time.monotonic()
    with build_lock(settings):
        if settings.warehouse == "duckdb":
            output = _build_duckdb(settings, dbt_args or [], echo, before_dbt)
        else:
            output = _build_postgres(settings, dbt_args or [], echo, before_dbt)
    return BuildResult(seconds=time.monotonic() - started, dbt_output=output)


def _build_duckdb(settings, dbt_args, echo, before_dbt):
    live = settings.duckdb_path
    live.parent.mkdir(parents=True, exist_ok=True)
    building = live.with_name(f"{live.name}.building-{os.getpid()}")
    building.unlink(missing_ok=True)
    env = {"DUCKDB_PATH": str(building)}
    try:
        if before_dbt is not None:
            before_dbt(env)
        output = run_dbt(settings, ["build", *dbt_args], env, echo=echo)
        os.replace(building, live)
        return output
    finally:
        building.unlink(missing_ok=True)
        Path(f"{building}.wal").unlink(missing_ok=True)


def postgres_connect(**kwargs):
    """A connection from the standard PG* variables."""
    return psycopg.connect(connect_timeout=5, **kwargs)


def _schema(name: str) -> sql.Identifier:
    return sql.Identifier(name)


def _build_postgres(settings, dbt_args, echo, before_dbt):
    env = {"DBT_SCHEMA_SUFFIX": NEXT_SUFFIX}
    with postgres_connect(autocommit=True) as connection:
        for schema in SCHEMAS:
            connection.execute(
                sql.SQL("drop schema if exists {} cascade").format(_schema(schema + NEXT_SUFFIX))
            )
    try:
        if before_dbt is not None:
            before_dbt(env)
        output = run_dbt(settings, ["build", *dbt_args], env, echo=echo)
        swap_postgres_schemas()
        return output
    finally:
        with postgres_connect(autocommit=True) as connection:
            for schema in SCHEMAS:
                connection.execute(
                    sql.SQL("drop schema if exists {} cascade").format(
                        _schema(schema + NEXT_SUFFIX)
                    )
                )


def swap_postgres_schemas():
    """In one transaction: the __next schemas become the live ones; the old ones are dropped."""
    with postgres_connect() as connection:
        with connection.transaction():
            connection.execute("set local lock_timeout = '30s'")
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
