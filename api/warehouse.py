"""The one place that reads the warehouse: a small reader interface, two implementations.

Both readers run the same SQL text (api/queries.py, named parameters written `:name`) and
return rows as dicts. Every query only SELECTs from schema `marts`.

- DuckDBReader: the warehouse file opened read-only. A build replaces that file (os.replace),
  so each query first compares the file's identity (os.stat) with the one opened, and opens
  the new file when it changed. The file is attached to a private in-memory database, so a
  reopen never gets DuckDB's cached instance of the old file. A file holds one build: its
  build_info (data version, built_at) is read once when it is opened, and every query's rows
  carry it (Rows.build), exactly the build they were read from, at no cost per query.
- PostgresReader: one psycopg_pool.ConnectionPool per process, opened on first use, as the
  API's role (SELECT on marts only), with a statement timeout; a warehouse that cannot be
  reached gives WarehouseUnavailable within the pool timeout, never a hang. A connection the
  server has closed (a restart, pg_terminate_backend) costs no request: the query runs once
  more on a connection made for it (not one from the pool, which may be closing too), and the
  pool drops the other dead ones (a query PostgreSQL cancelled to break a deadlock runs once
  more too). While the server is down the pool gives
  up reconnecting after RECONNECT_TIMEOUT and starts again at the next request, so it is back
  within about a second of the server, however long the outage was. A server that hangs
  (stopped, its host frozen) answers nothing, not even a cancel: a lookup with no answer
  HANG_GRACE seconds after the pool's timeout has its connection broken by the Watchdog and
  is a 503, so every lookup ends within about 2 s.
"""

import atexit
import contextlib
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from functools import lru_cache
from typing import Protocol

import duckdb
import psycopg
from flask import current_app
from psycopg import errors
from psycopg.rows import dict_row, tuple_row
from psycopg_pool import ConnectionPool, PoolTimeout

from api import config as config_module
from api import queries
from api.builds import Build, file_identity

log = logging.getLogger(__name__)

EXTENSION = "warehouse_reader"
ON_CLOSE = "warehouse_reader_on_close"
# Seconds the pool retries a lost connection in the background (backing off 1 s, 2 s, ...)
# before it gives up; the next request then starts a new attempt at once. Short, so that a
# long outage never leaves the pool waiting out a long back-off once the server is back.
RECONNECT_TIMEOUT = 2.0
# Seconds after API_POOL_TIMEOUT (from the lookup's start) that a statement may still wait
# for the server's answer before its connection is broken: 1.5 + 0.4 s, within the 2 s promise.
HANG_GRACE = 0.4
_CREATING = threading.Lock()
_PARAMETER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


class WarehouseUnavailable(Exception):
    """The warehouse cannot be reached (or answered too slowly): 503."""


class MartsMissing(Exception):
    """The warehouse answers but the marts are not there (no build yet): 503."""


class Rows(list):
    """A query's rows (dicts), and the build they were read from when the reader knows it
    without asking (DuckDB: the open file's), else None."""

    def __init__(self, rows=(), build: Build | None = None):
        super().__init__(rows)
        self.build = build


class Reader(Protocol):
    warehouse: str

    def fetch_all(self, query: str, **params) -> list[dict]: ...

    def stream(self, query: str) -> Iterator[tuple]: ...

    def close(self) -> None: ...


def get_reader() -> Reader:
    """The app's reader, created on first use from the settings of that moment."""
    extensions = current_app.extensions
    with _CREATING:
        reader = extensions.get(EXTENSION)
        # A reader made before a fork (a server that loads the app first) is not used in the
        # child.
        if reader is None or getattr(reader, "pid", os.getpid()) != os.getpid():
            reader = create_reader(config_module.load(current_app.config))
            extensions[EXTENSION] = reader
    return reader


def before_close(app, callback) -> None:
    """Have close_reader call callback(app) before it closes the reader (the answer cache,
    which reads through it, stops first)."""
    app.extensions.setdefault(ON_CLOSE, []).append(callback)


def close_reader(app) -> None:
    for callback in app.extensions.pop(ON_CLOSE, []):
        callback(app)
    reader = app.extensions.pop(EXTENSION, None)
    if reader is not None:
        reader.close()


def create_reader(config: config_module.ApiConfig) -> Reader:
    readers = {"duckdb": DuckDBReader, "postgres": PostgresReader}
    if config.warehouse not in readers:
        raise ValueError(f"the API reads duckdb or postgres, not WAREHOUSE={config.warehouse!r}")
    return readers[config.warehouse](config)


@lru_cache(maxsize=64)
def placeholders(query: str, style: str) -> str:
    """`:name` parameters as psycopg's %(name)s or DuckDB's $name."""
    if style == "pyformat":
        return _PARAMETER.sub(r"%(\1)s", query.replace("%", "%%"))
    return _PARAMETER.sub(r"$\1", query)


# Rows a stream (Reader.stream) fetches at a time.
STREAM_ROWS = 10_000
# Idle DuckDB cursors kept per process: one per thread that queries (a request, a cache load).
MAX_IDLE_CURSORS = 8


class DuckDBReader:
    warehouse = "duckdb"

    def __init__(self, config: config_module.ApiConfig):
        self.path = config.duckdb_path
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._connection = None
        self._identity = None
        self._build = None  # the open file's build
        self._idle = []  # cursors of the open connection, between queries

    def fetch_all(self, query: str, **params) -> Rows:
        connection, cursor, build = self._cursor()
        try:
            cursor.execute(placeholders(query, "dollar"), params)
            names = [column[0] for column in cursor.description]
            rows = Rows((dict(zip(names, row, strict=True)) for row in cursor.fetchall()), build)
        except BaseException as error:
            cursor.close()  # a cursor whose query failed is not kept
            if isinstance(error, duckdb.CatalogException):
                raise MartsMissing(str(error)) from error
            if isinstance(error, duckdb.IOException):
                raise WarehouseUnavailable(str(error)) from error
            raise
        self._give_back(connection, cursor)
        return rows

    def stream(self, query: str) -> Iterator[tuple]:
        """The rows of a query with no parameters, as tuples, STREAM_ROWS at a time (a large
        answer never held whole in memory)."""
        _connection, cursor, _build = self._cursor()
        try:
            cursor.execute(query)
            while batch := cursor.fetchmany(STREAM_ROWS):
                yield from batch
        except duckdb.CatalogException as error:
            raise MartsMissing(str(error)) from error
        except duckdb.IOException as error:
            raise WarehouseUnavailable(str(error)) from error
        finally:
            cursor.close()

    def _cursor(self):
        """The connection to the current warehouse file (reopened when a build has replaced
        it), an idle cursor of it (or a new one), and that file's build."""
        try:
            identity = file_identity(self.path)
        except OSError as error:
            raise WarehouseUnavailable(f"{self.path}: {error.strerror}") from error
        with self._lock:
            if self._connection is None or identity != self._identity:
                # The old connection is not closed here: a query still running on it in
                # another thread keeps it until that query ends. Its idle cursors go with it.
                self._connection = self._open()
                self._identity = identity
                self._build = self._read_build(self._connection)
                self._idle = []
            connection = self._connection
            cursor = self._idle.pop() if self._idle else None
            build = self._build
        if cursor is None:
            cursor = connection.cursor()
            cursor.execute("use warehouse")
        return connection, cursor, build

    def drop_cached_blocks(self) -> None:
        """Let go of the connection, and with it the table blocks its queries have cached
        (DuckDB keeps every block it has read, up to its memory limit): the next query opens
        the file anew. A query running on it meanwhile keeps it until that query ends."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._connection = None
            self._identity = None
        for cursor in idle:
            cursor.close()

    def _give_back(self, connection, cursor) -> None:
        """A cursor whose query went well is kept for the next one (a new cursor and its
        `use` cost about as much as a small lookup), while its connection is the current."""
        with self._lock:
            if connection is self._connection and len(self._idle) < MAX_IDLE_CURSORS:
                self._idle.append(cursor)
                return
        cursor.close()

    def _open(self):
        # A private in-memory database with the file attached read-only; Python variables
        # are never taken for tables.
        connection = duckdb.connect(":memory:", config={"python_enable_replacements": False})
        # ATTACH takes no parameters: the path is the configured one, quoted as a literal.
        literal = "'" + str(self.path).replace("'", "''") + "'"
        try:
            connection.execute(f"attach {literal} as warehouse (read_only)")
        except duckdb.Error as error:
            connection.close()
            raise WarehouseUnavailable(f"cannot open {self.path}: {error}") from error
        log.info("opened the DuckDB warehouse %s read-only", self.path)
        return connection

    def _read_build(self, connection) -> Build | None:
        """The opened file's build_info (the file never changes while it is open: a build
        renames a new one over it); None when it has no marts yet."""
        cursor = connection.cursor()
        try:
            cursor.execute("use warehouse")
            cursor.execute(queries.BUILD_INFO)
            names = [column[0] for column in cursor.description]
            row = cursor.fetchone()
        except duckdb.Error as error:  # no marts yet: the answer's own query says so
            log.info("no build_info in %s (%s)", self.path, error)
            return None
        finally:
            cursor.close()
        return Build.from_row(dict(zip(names, row, strict=True)) if row else None)

    def close(self) -> None:
        with self._lock:
            for cursor in self._idle:
                cursor.close()
            self._idle = []
            if self._connection is not None:
                self._connection.close()
            self._connection = None
            self._identity = None


class _Watch:
    def __init__(self, connection, deadline: float):
        self.connection = connection
        self.deadline = deadline
        self.fired = False


class Watchdog:
    """Breaks the connection of a statement still waiting at its deadline: shutting its socket
    down makes the waiting call fail at once, as with a connection the server closed (the
    pool then replaces it). For a server that hangs, where neither the server's
    statement_timeout nor a cancel request can answer. One thread per process, asleep until
    the nearest deadline; a watch ends before its connection goes back to the pool, under the
    same lock, so only a statement still waiting is ever broken. The thread is woken only for
    a watch that ends before its next wake (it sleeps without one, or a lookup waited for its
    connection), not once per lookup."""

    def __init__(self):
        self._condition = threading.Condition()
        self._watches: set[_Watch] = set()
        self._thread: threading.Thread | None = None
        self._wakes_at: float | None = None  # the thread's next wake (None: no deadline)

    @contextlib.contextmanager
    def watching(self, connection, deadline: float) -> Iterator[_Watch]:
        watch = _Watch(connection, deadline)
        with self._condition:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="interactions-watchdog", daemon=True
                )
                self._thread.start()
            self._watches.add(watch)
            if self._wakes_at is None or deadline < self._wakes_at:
                self._condition.notify()
        try:
            yield watch
        finally:
            with self._condition:
                self._watches.discard(watch)

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                for watch in [w for w in self._watches if w.deadline <= now]:
                    self._watches.discard(watch)
                    watch.fired = True
                    _break(watch.connection)
                nearest = min((watch.deadline for watch in self._watches), default=None)
                self._wakes_at = nearest
                self._condition.wait(None if nearest is None else nearest - now)


def _break(connection) -> None:
    try:
        with socket.socket(fileno=os.dup(connection.fileno())) as connected:
            connected.shutdown(socket.SHUT_RDWR)
    except (OSError, psycopg.Error) as error:
        log.warning("could not break a connection that hangs: %s", error)


class PostgresReader:
    warehouse = "postgres"

    def __init__(self, config: config_module.ApiConfig):
        self.config = config
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._pool = None
        self._watchdog = Watchdog()

    def _get_pool(self):
        with self._lock:
            if self._pool is None:
                self._pool = self._make_pool()
                self._pool.open(wait=False)
                atexit.register(self.close)
            return self._pool

    def _connection_kwargs(self) -> dict:
        config = self.config
        kwargs = {
            # PGHOST, PGPORT and PGDATABASE are read by libpq itself.
            "user": config.db_role,
            "connect_timeout": config.connect_timeout,
            "application_name": "interactions-api",
            "options": (
                f"-c statement_timeout={config.statement_timeout_ms}"
                " -c default_transaction_read_only=on"
                # Every statement is a lookup of a few rows: compiling one costs far more
                # than it could save (docs/PERFORMANCE.md).
                " -c jit=off"
            ),
            "autocommit": True,
            "row_factory": dict_row,
            "prepare_threshold": None,
        }
        if config.db_password:
            kwargs["password"] = config.db_password
        return kwargs

    def _make_pool(self):
        config = self.config
        return ConnectionPool(
            "",
            kwargs=self._connection_kwargs(),
            min_size=config.pool_min_size,
            max_size=config.pool_max_size,
            timeout=config.pool_timeout,
            reconnect_timeout=RECONNECT_TIMEOUT,
            name="interactions-api",
            open=False,
        )

    def fetch_all(self, query: str, **params) -> list[dict]:
        text = placeholders(query, "pyformat")
        deadline = time.monotonic() + self.config.pool_timeout
        try:
            pool = self._get_pool()
            with (
                pool.connection(timeout=max(deadline - time.monotonic(), 0.05)) as connection,
                self._watchdog.watching(connection, deadline + HANG_GRACE) as watch,
            ):
                try:
                    return connection.execute(text, params).fetchall()
                except psycopg.OperationalError as error:
                    if watch.fired:
                        raise WarehouseUnavailable(
                            f"no answer from the warehouse within {HANG_GRACE} s after the"
                            f" pool's timeout ({error})"
                        ) from error
                    # The query only reads, so a second try is safe; it is worth it for a
                    # connection the server closed, or a deadlock PostgreSQL broke by
                    # cancelling it, not for a statement timeout.
                    lost = connection.broken
                    if not (lost or isinstance(error, errors.DeadlockDetected)):
                        raise
                    log.warning("a warehouse query failed (%s); retrying once", error)
            return self._once_more(text, params, deadline, pool if lost else None)
        except (errors.UndefinedTable, errors.InvalidSchemaName) as error:
            raise MartsMissing(str(error)) from error
        except errors.InsufficientPrivilege as error:
            raise MartsMissing(f"{error} (are the grants of the build applied?)") from error
        except (PoolTimeout, psycopg.OperationalError) as error:
            raise WarehouseUnavailable(str(error)) from error

    def stream(self, query: str) -> Iterator[tuple]:
        """The rows of a query with no parameters, as tuples, through a server-side cursor,
        STREAM_ROWS at a time (a large answer never held whole in memory; each fetch is one
        statement under statement_timeout)."""
        try:
            pool = self._get_pool()
            with pool.connection(timeout=self.config.pool_timeout) as connection:
                with (
                    connection.transaction(),
                    connection.cursor(name="interactions_stream", row_factory=tuple_row) as cursor,
                ):
                    cursor.itersize = STREAM_ROWS
                    cursor.execute(query)
                    yield from cursor
        except (errors.UndefinedTable, errors.InvalidSchemaName) as error:
            raise MartsMissing(str(error)) from error
        except (PoolTimeout, psycopg.OperationalError) as error:
            raise WarehouseUnavailable(str(error)) from error

    def _once_more(self, text: str, params: dict, deadline: float, dead_pool) -> list[dict]:
        """The retry, on a connection made for it: the pool's other connections may be closing
        too (the server terminates them one by one), so the pool could hand out another dead
        one. Then the pool's dead connections are replaced (`dead_pool`: the pool when the
        failed connection was lost)."""
        kwargs = self._connection_kwargs()
        seconds_left = max(deadline - time.monotonic(), 1.0)
        kwargs["connect_timeout"] = max(1, min(kwargs["connect_timeout"], round(seconds_left)))
        try:
            with (
                psycopg.connect(**kwargs) as connection,
                self._watchdog.watching(connection, deadline + HANG_GRACE),
            ):
                return connection.execute(text, params).fetchall()
        finally:
            if dead_pool is not None:
                dead_pool.check()  # drop the other dead connections, ask for new ones

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
