"""Land the workbook's seed CSVs in a new (not yet live) warehouse in bulk.

`dbt seed` inserts rows in batches: about 45 s per 100,000 rows on PostgreSQL. These loaders
create exactly the tables `dbt seed` would (schema raw, or raw__next while a PostgreSQL build
is pending; one text column per CSV column, named as in the CSV header; rows in file order)
holding each cell's text exactly as written (an empty field is null), on every engine alike
(COPY ... FROM the file; Spark's seed loader, macros/spark_seeds.sql, reads the same way).
What a cell means (blank, 'null', stray spaces) is decided by the pipeline only (macro
clean_text), never by a loader. A million rows land in about a second. `interactions build`
and `interactions import` then run `dbt build` without these seeds (see build.py).
"""

import csv
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql

from interactions.seed_files import WORKBOOK_SEEDS, seed_path

RAW_SCHEMA = "raw"


class LandingError(ValueError):
    """A seed CSV could not be loaded; the message names the file."""


def csv_header(path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), None)
    except FileNotFoundError as error:
        raise LandingError(f"{path}: no such seed file") from error
    except (UnicodeDecodeError, csv.Error) as error:
        raise LandingError(f"{path}: not a readable UTF-8 CSV file ({error})") from error
    if not header or any(not column.strip() for column in header):
        raise LandingError(f"{path}: the first line must name every column")
    return header


def load_seeds(warehouse: str, env: dict[str, str], seeds_dir: Path) -> dict[str, int]:
    """Load every workbook seed from `seeds_dir` into the warehouse that `env` points at."""
    files = {seed: seed_path(seeds_dir, seed) for seed in WORKBOOK_SEEDS}
    return load_seed_files(warehouse, env, files)


def load_seed_files(warehouse: str, env: dict[str, str], files: dict[str, Path]) -> dict[str, int]:
    """Load each seed's CSV file (seed name -> path) into the warehouse that `env` points at.

    `env` is the new warehouse's environment from build.py: DUCKDB_PATH (the file being built)
    or DBT_SCHEMA_SUFFIX (PostgreSQL, with the PG* variables). Returns rows landed per seed.
    """
    headers = {seed: csv_header(path) for seed, path in files.items()}
    if warehouse == "duckdb":
        return _load_duckdb(Path(env["DUCKDB_PATH"]), files, headers)
    if warehouse == "postgres":
        schema = RAW_SCHEMA + env.get("DBT_SCHEMA_SUFFIX", "")
        return _load_postgres(schema, files, headers)
    raise ValueError(f"no bulk loader for the {warehouse} warehouse")


def _duckdb_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _duckdb_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _load_duckdb(database: Path, files, headers) -> dict[str, int]:
    """dbt-duckdb's own seed loader: a text table, then COPY ... FROM the CSV file."""
    counts = {}
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"create schema if not exists {RAW_SCHEMA}")
        for seed, path in files.items():
            table = f"{RAW_SCHEMA}.{_duckdb_identifier(seed)}"
            columns = ", ".join(f"{_duckdb_identifier(name)} text" for name in headers[seed])
            connection.execute(f"create table {table} ({columns})")
            try:
                connection.execute(
                    f"copy {table} from {_duckdb_literal(str(path))}"
                    " (format csv, header true, delimiter ',')"
                )
            except duckdb.Error as error:
                raise LandingError(f"{path}: cannot be loaded: {error}") from error
            counts[seed] = connection.execute(
                f"select count(*) from {table}"  # noqa: S608 - an escaped identifier
            ).fetchone()[0]
    return counts


def _load_postgres(schema: str, files, headers) -> dict[str, int]:
    counts = {}
    with psycopg.connect(connect_timeout=5) as connection:
        with connection.transaction():
            connection.execute(
                sql.SQL("create schema if not exists {}").format(sql.Identifier(schema))
            )
            for seed, path in files.items():
                table = sql.Identifier(schema, seed)
                columns = [sql.Identifier(name) for name in headers[seed]]
                connection.execute(
                    sql.SQL("create table {} ({})").format(
                        table, sql.SQL(", ").join(sql.SQL("{} text").format(c) for c in columns)
                    )
                )
                try:
                    with connection.cursor() as cursor:
                        # force_null: a quoted empty field ("") is null too, as in DuckDB.
                        copy_sql = sql.SQL(
                            "copy {} from stdin (format csv, header true, force_null ({}))"
                        )
                        with cursor.copy(
                            copy_sql.format(table, sql.SQL(", ").join(columns))
                        ) as copy:
                            with open(path, "rb") as handle:
                                while chunk := handle.read(1 << 20):
                                    copy.write(chunk)
                        counts[seed] = cursor.rowcount
                except Exception as error:
                    raise LandingError(f"{path}: cannot be loaded: {error}") from error
    return counts
