"""A build on a Spark cluster, served by PostgreSQL: the cluster's side of NewClusterBuild
(interactions/build.py).

0. Check: the cluster reads one row from PostgreSQL through the publish's JDBC options
   (check_reaches_postgres), so that a cluster that cannot reach it fails in seconds.
1. Land: the workbook's seed CSVs and the version tables' are copied into the cluster's
   landing area (SPARK_CLUSTER_DIR/landing/build-<pid>-<n>/, a local folder standing in for
   object storage the cluster reads); dbt on the cluster reads them there (var landed_seeds:
   the seeds in macros/spark_seeds.sql, the version tables in create_import_sources.sql), and
   `dbt build --target spark_cluster` builds and tests every model on the cluster into
   raw__next, staging__next and marts__next.
2. Publish: PostgreSQL gets the marts' definitions from the same dbt project (`dbt build
   --empty` on the postgres target into its own __next schemas: the contracts' types, the
   indexes, the grants, the views), then the cluster fills each mart table itself, from its
   executors, through PostgreSQL's JDBC driver (publish_marts), and PostgreSQL analyses them.
3. Go live: the same one-transaction swap as any PostgreSQL build (swap_postgres_schemas).

The cluster's __next databases and the landing folder are dropped once the build ends, live
or not; a build killed midway leaves them to the next build, which drops them first.
"""

import getpass
import os
import shutil
import time
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from core.settings import Settings
from interactions.landing import csv_header
from interactions.pause_points import pause_point
from interactions.seed_files import write_seed

SCHEMAS = ("raw", "staging", "marts")
JDBC_DRIVER = "org.postgresql.Driver"
# Rows per JDBC batch; the driver rewrites a batch into multi-row inserts.
JDBC_BATCH_ROWS = 10000


class ClusterError(RuntimeError):
    """The cluster could not be reached or could not publish; the message says which."""


def thrift_address() -> tuple[str, int]:
    """The Thrift server of the spark_cluster target (profiles.yml reads the same variables)."""
    return os.environ.get("SPARK_THRIFT_HOST", "127.0.0.1"), int(
        os.environ.get("SPARK_THRIFT_PORT", "10000")
    )


def connect():
    """A session on the cluster's Thrift server (HiveServer2's protocol, as dbt-spark's)."""
    from pyhive import hive  # requirements-spark.txt

    host, port = thrift_address()
    try:
        return hive.connect(
            host=host,
            port=port,
            # A Thrift server applies a session setting given as set:hiveconf:<key> only.
            configuration={"set:hiveconf:spark.sql.session.timeZone": "UTC"},
        )
    except Exception as error:  # thrift raises its own transport errors
        raise ClusterError(
            f"the Spark cluster's Thrift server at {host}:{port} cannot be reached ({error}); "
            "start one with `make spark-up` or set SPARK_THRIFT_HOST and SPARK_THRIFT_PORT"
        ) from error


@contextmanager
def statements(doing: str):
    """A cursor on the cluster; a statement's failure is a ClusterError saying what failed."""
    from pyhive import exc

    with closing(connect()) as connection, closing(connection.cursor()) as cursor:
        try:
            yield cursor
        except exc.Error as error:
            raise ClusterError(
                f"{doing} failed on the Spark cluster: {_first_line(error)}"
            ) from error


def _first_line(error: Exception) -> str:
    """The cause a Thrift error's status gives, without the Java stack."""
    response = error.args[0] if error.args else None
    message = getattr(getattr(response, "status", None), "errorMessage", None) or str(error)
    return (message.strip().splitlines() or [type(error).__name__])[0][:500]


def drop_databases(suffix: str) -> None:
    """Drop the cluster's raw<suffix>, staging<suffix> and marts<suffix>, if there."""
    with statements(f"dropping the cluster's *{suffix} databases") as cursor:
        for schema in SCHEMAS:
            cursor.execute(f"drop database if exists {schema}{suffix} cascade")


# --- the landing area ------------------------------------------------------------------------


def landing_root(settings: Settings) -> Path:
    return settings.spark_cluster_dir / "landing"


def new_landing_folder(settings: Settings) -> Path:
    """An empty folder for this build's files; those of builds no longer running are removed
    (a killed build's), never a running one's (another checkout's, sharing the cluster)."""
    root = landing_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    for folder in root.glob("build-*"):
        pid = folder.name.split("-")[1]
        if not pid.isdigit() or not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)
    folder = root / f"build-{os.getpid()}-{time.time_ns()}"
    folder.mkdir()
    return folder


def land_files(folder: Path, files: dict[str, Path]) -> dict[str, str]:
    """Copy each seed's CSV into the landing folder; seed -> the absolute path the cluster
    reads (the dbt var landed_seeds)."""
    landed = {}
    for seed, path in files.items():
        target = folder / f"{seed}.csv"
        shutil.copyfile(path, target)
        landed[seed] = str(target.resolve())
    return landed


def header_only_files(folder: Path, files: dict[str, Path]) -> dict[str, Path]:
    """The same seeds with their header row only: PostgreSQL's raw__next for the definitions
    build (`dbt build --empty` reads no rows, but its models select from the seed tables)."""
    folder.mkdir(parents=True, exist_ok=True)
    empty = {}
    for seed, path in files.items():
        empty[seed] = folder / f"{seed}.csv"
        write_seed(empty[seed], csv_header(path), [])
    return empty


# --- publishing into PostgreSQL -------------------------------------------------------------


def jdbc_url() -> str:
    """PostgreSQL as the cluster's executors reach it: SPARK_POSTGRES_URL, or the PG*
    variables (the same machine's address, as here)."""
    configured = os.environ.get("SPARK_POSTGRES_URL")
    if configured:
        return configured
    host = os.environ.get("PGHOST", "127.0.0.1")
    if host.startswith("/"):
        raise ClusterError(
            f"PGHOST is a socket folder ({host}), which the cluster cannot reach: set PGHOST "
            "to an address, or SPARK_POSTGRES_URL to the database's JDBC URL"
        )
    port = os.environ.get("PGPORT", "5432")
    database = os.environ.get("PGDATABASE", "interactions")
    return f"jdbc:postgresql://{host}:{port}/{database}?reWriteBatchedInserts=true"


def _identifier(*parts: str) -> str:
    """A Spark SQL name, quoted."""
    return ".".join("`" + part.replace("`", "``") + "`" for part in parts)


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def mart_tables(connection, schema: str) -> dict[str, list[str]]:
    """PostgreSQL's tables in `schema` (not views) -> their columns, in order."""
    tables: dict[str, list[str]] = {}
    for table, column in connection.execute(
        "select c.table_name, c.column_name from information_schema.columns as c"
        " inner join information_schema.tables as t"
        " on t.table_schema = c.table_schema and t.table_name = c.table_name"
        " where c.table_schema = %s and t.table_type = 'BASE TABLE'"
        " order by c.table_name, c.ordinal_position",
        [schema],
    ):
        tables.setdefault(table, []).append(column)
    return tables


def jdbc_options() -> dict[str, str]:
    """A JDBC view's options but its table or query: PostgreSQL as the cluster reaches it."""
    user = os.environ.get("PGUSER") or getpass.getuser()  # libpq's default, as psycopg's
    options = {
        "url": jdbc_url(),
        "user": user,
        "driver": JDBC_DRIVER,
        "batchsize": str(JDBC_BATCH_ROWS),
    }
    password = os.environ.get("PGPASSWORD")
    if password:  # the cluster's logs redact it (scripts/spark_cluster.py)
        options["password"] = password
    return options


def _jdbc_view(cursor, view: str, options: dict[str, str]) -> None:
    settings = ", ".join(f"{key} {_literal(value)}" for key, value in options.items())
    cursor.execute(
        f"create or replace temporary view {view} "
        f"using org.apache.spark.sql.jdbc options ({settings})"
    )


def check_reaches_postgres() -> None:
    """Before the build: the cluster reads one row from PostgreSQL through the publish's JDBC
    options (its driver reads the query's columns, an executor runs it), so that a cluster
    that cannot reach PostgreSQL is an error in seconds, not after its build."""
    with statements("reaching PostgreSQL to publish the marts") as cursor:
        _jdbc_view(cursor, "publish_probe", {**jdbc_options(), "query": "select 1 as reached"})
        cursor.execute("select reached from publish_probe")
        cursor.fetchall()
        cursor.execute("drop view if exists publish_probe")


def publish_marts(schema: str) -> dict[str, int]:
    """Fill PostgreSQL's tables in `schema` (defined, empty) from the cluster's tables of the
    same name in its database `schema`, through JDBC from the executors; analyse them. Returns
    rows published per table."""
    options = jdbc_options()
    with psycopg.connect(connect_timeout=5, autocommit=True) as postgres:
        tables = mart_tables(postgres, schema)
        if not tables:
            raise ClusterError(f"PostgreSQL's {schema} holds no tables to publish into")
        # `dbt build --empty` empties every ref, not a model's own literal rows (build_info's
        # one row, the sheets of sheet_reconciliation): the cluster's rows replace them.
        postgres.execute(
            sql.SQL("truncate {}").format(
                sql.SQL(", ").join(sql.Identifier(schema, table) for table in tables)
            )
        )
        pause_point("fill")
        built = {}
        with statements("publishing the marts into PostgreSQL") as cursor:
            for table, columns in tables.items():
                view = f"publish_{table}"
                _jdbc_view(cursor, view, {**options, "dbtable": f"{schema}.{table}"})
                selected = ", ".join(_identifier(column) for column in columns)
                source = _identifier(schema, table)
                cursor.execute(f"insert into table {view} select {selected} from {source}")  # noqa: S608 - quoted names
                cursor.execute(f"drop view if exists {view}")
                cursor.execute(f"select count(*) from {source}")  # noqa: S608 - a quoted name
                built[table] = cursor.fetchone()[0]
        published = {}
        for table in tables:
            identifier = sql.Identifier(schema, table)
            postgres.execute(sql.SQL("analyze {}").format(identifier))
            published[table] = postgres.execute(
                sql.SQL("select count(*) from {}").format(identifier)
            ).fetchone()[0]
    if published != built:  # every row arrives, or the build stops here
        differing = ", ".join(
            f"{table} ({built[table]} built, {published[table]} published)"
            for table in tables
            if built[table] != published[table]
        )
        raise ClusterError(f"the marts published into PostgreSQL differ: {differing}")
    return published
