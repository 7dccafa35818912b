"""The live build's per-customer answers, for GET /api/v1/interactions/{customer_id} (and its
?topic= and /topics) and /api/v1/customers: answered from memory, no warehouse round trip.

One statement (CUSTOMER_ANSWERS) streams every customer's answer from the mart that holds it
(answers_by_customer: every channel in display order, zeros included) into the build's answer
file (api/answer_store.py), the live build (data_version and built_at) read before and after
it: once per machine and build, by the first worker to need it, while the others wait for it;
every worker then maps that file, so the answers are in memory once, whatever the number of
workers. Two more files are written the same way: every customer's topics
(answers_by_customer_topic: GET /interactions/{id}/topics, and ?topic=) and every customer's
row of /api/v1/customers (dim_customers); api/fast_answers.py answers from them.
A worker loads the live build's answers in a background thread after the first request that
finds none; until they are in, requests are answered by the warehouse as before. A copy is
tagged with the identity of the build it came from, and is used only while that build is
still the live one. Invalidation comes from the build, never from a timer:

- DuckDB: the identity is the live file's (os.stat: device, inode, mtime, size), compared on
  every request (as the reader does); a build renames a new file over the live one, so the
  next request sees another identity and is answered by the warehouse until the new copy is in.
- PostgreSQL: `interactions build` sends NOTIFY on core.notify.NOTIFY_CHANNEL inside the transaction
  that swaps the schemas in (interactions/build.py), so it is delivered when the swap commits.
  Each worker keeps one LISTEN connection in a daemon thread; a notification drops the copy.
  The guarantee: a worker stops answering from the old copy as soon as its listener has
  received the notification, normally within a millisecond or two of the swap's commit (the
  listener thread wakes as soon as the worker's request thread waits for I/O); a request that
  starts in that moment may still get the previous build's answer, as it would had it started
  just before the swap. tests/test_cache.py checks every worker answers from the new build
  within NOTIFY_SECONDS_TESTED of `interactions build` returning. While the listener's
  connection is down no copy is used at all; once it listens again it re-reads
  build_info.built_at and keeps the copy only if that is still the copy's build. As a safety
  net for builds that send no notification (a plain `dbt build`), the listener also compares
  built_at every RECHECK_SECONDS.

The same build identity keeps the answers that name no customer (the channels, the topics,
data quality, per customer type), each read once per build and worker on its first request
(kept_answer and keep_answer; api/data_version.kept_per_build decorates their views).

A copy also knows its build (data version, built_at: read by the same statement), which the
answers from it name in X-Data-Version and ETag (api/data_version.py). On PostgreSQL the cache
also keeps the live build for the answers the warehouse gives (build_before_query): read once
per listener token, so once per build, and always before the answer's own query.
"""

import itertools
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, replace
from operator import itemgetter
from pathlib import Path

import psycopg
from flask import current_app

from api import answer_store, config, queries
from api.builds import Build, file_identity
from api.warehouse import DuckDBReader, PostgresReader, before_close, get_reader
from core.notify import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

EXTENSION = "interactions_cache"
# Seconds between the listener's built_at checks (for builds that send no notification).
RECHECK_SECONDS = 5.0
# Seconds before a failed load (warehouse down, no marts yet) is tried again.
RETRY_SECONDS = 1.0
# The listener's reconnection back-off: from the first to the last value, doubling.
LISTEN_BACKOFF = (0.2, 5.0)
# Seconds close() waits for a load to stop at its next row.
LOAD_STOP_SECONDS = 10.0
NOTIFY_SECONDS_TESTED = 1.0  # documented above; asserted by tests/test_cache.py
# Answers kept per build and worker (kept_answer): the answers that name no customer, a few
# per topic at most; past this many, the rest are read from the warehouse each time.
MAX_KEPT = 1024

# Every customer's answer (answers_by_customer: every channel in display order, zeros
# included), in lookup order: by customer, then display order. PostgreSQL reads the mart in
# that order through its index; DuckDB returns it in the order it is stored, which is that
# order (macro lookup_order; DuckDB keeps insertion order, preserve_insertion_order), which
# spares a sort of every row (at a million customers the sort took 330 MB, which the worker
# then kept). rendered_answers checks the order either way: out of order, nothing is written.
CUSTOMER_ANSWERS = """
select
    customer_id,
    display_order,
    channel,
    interaction_count
from marts.answers_by_customer
"""
CUSTOMER_ANSWERS_IN_ORDER = {
    "postgres": CUSTOMER_ANSWERS + "order by customer_id, display_order\n",
    "duckdb": CUSTOMER_ANSWERS,
}


# Every customer's topics (answers_by_customer_topic), by customer, in the answer's order; and
# every customer's row of /api/v1/customers, by id: the build's other two answer files.
CUSTOMER_TOPIC_ANSWERS = """
select
    customer_id,
    topic,
    channel,
    interaction_count
from marts.answers_by_customer_topic
"""
CUSTOMER_TOPIC_ANSWERS_IN_ORDER = {
    "postgres": CUSTOMER_TOPIC_ANSWERS
    + "order by customer_id, is_unknown_topic, topic, display_order\n",
    "duckdb": CUSTOMER_TOPIC_ANSWERS,  # stored in that order (macro lookup_order)
}
TOPIC_NAMES = "select topic from marts.dim_topics\n"


@dataclass(frozen=True)
class Kept:
    """An answer kept for the build it was read from: the body sent, and that build."""

    body: bytes
    build: Build | None


@dataclass(frozen=True)
class Snapshot:
    """One build's answers: customer id -> the JSON body of its answer, rendered once per
    build and machine into the answer file every worker maps (api/answer_store.py)."""

    token: object  # the build identity it is valid for (see the module docstring)
    build: Build  # the build it was read from: data version and built_at
    bodies: answer_store.AnswerFile
    # GET /interactions/{id}/topics's bodies, and /customers's rows (each followed by ",")
    topics: answer_store.AnswerFile
    customers: answer_store.AnswerFile
    topic_names: frozenset  # the topics that exist (dim_topics)

    @property
    def built_at(self):
        return self.build.built_at


class LoadStopped(Exception):
    """The app closed while the answers were being read."""


class BuildChanged(Exception):
    """Another build went live while the answers were being read: read them again."""


def rendered_answers(rows, render):
    """(customer id, body) for the rows of CUSTOMER_ANSWERS (customer_id, display_order,
    channel, interaction_count), which must come in lookup order (by customer, then display
    order): a row out of it is a ValueError. Every customer has the same channels, so a body
    is put together from the channels' keys rendered once, after checking that this gives
    render()'s bytes; if it does not, render() makes every body. It earns its place: 0.49 s
    against 2.30 s rendering each body, for 200,000 customers (2026-12-07, 2 cores,
    `.venv/bin/python scripts/bench_answer_file.py`): about 9 s less per build at 1M."""
    last = (0, 0)
    keys_of = {}  # channels -> their rendered '"Email":' keys, or None: render() each body
    for customer_id, group in itertools.groupby(rows, key=itemgetter(0)):
        channels, counts = [], []
        for _customer_id, display_order, channel, count in group:
            if (customer_id, display_order) <= last:
                raise ValueError(
                    f"the answers are not in lookup order at {(customer_id, display_order)} "
                    f"(after {last})"
                )
            last = (customer_id, display_order)
            channels.append(channel)
            counts.append(count)
        channels = tuple(channels)
        if channels not in keys_of:
            keys = [json.dumps(channel) + ":" for channel in channels]
            rendered = render(_answer(customer_id, channels, counts))
            keys_of[channels] = keys if _body(customer_id, keys, counts) == rendered else None
        keys = keys_of[channels]
        if keys is None:
            yield customer_id, render(_answer(customer_id, channels, counts))
        else:
            yield customer_id, _body(customer_id, keys, counts)


def rendered_topics(customer_ids, rows, dumps):
    """(customer id, body of GET /interactions/{id}/topics) for every customer of
    customer_ids (ascending), from the rows of CUSTOMER_TOPIC_ANSWERS (customer_id, topic,
    channel, interaction_count) in the answer's order: a row of a customer not in
    customer_ids, or out of customer order, is a ValueError."""
    rows = iter(rows)
    pending = next(rows, None)
    for customer_id in customer_ids:
        topics = {}
        while pending is not None and pending[0] == customer_id:
            topics.setdefault(pending[1], {})[pending[2]] = pending[3]
            pending = next(rows, None)
        yield customer_id, dumps({"data": {"customer_id": customer_id, "topics": topics}})
    if pending is not None:
        raise ValueError(f"a topic row of customer {pending[0]} is out of customer order")


def rendered_customers(rows, dumps):
    """(customer id, its object in /api/v1/customers's data, then ",") for the rows of
    queries.ALL_CUSTOMERS."""
    for row in rows:
        yield row[0], dumps(dict(zip(queries.CUSTOMER_KEYS, row, strict=True)), end=",")


def _answer(customer_id, channels, counts) -> dict:
    interactions = dict(zip(channels, counts, strict=True))
    return {"data": {"customer_id": customer_id, "interactions": interactions}}


def _body(customer_id, keys, counts) -> bytes:
    """The compact JSON of _answer(), from the channels' rendered keys."""
    counted = ",".join([key + str(count) for key, count in zip(keys, counts, strict=True)])
    return f'{{"data":{{"customer_id":{customer_id},"interactions":{{{counted}}}}}}}\n'.encode()


def renderer(app):
    """render(answer) -> the body Flask sends for `answer` (app.json.response): the reference
    every body of the answer file is checked against (rendered_answers)."""
    provider = app.json

    def flask_body(answer):
        return provider.response(answer).get_data()

    return flask_body


def dumper(app):
    """dumps(value, end="\\n") -> value's JSON as the app's responses render it (compact),
    then `end`: a body without making a response (Flask's own JSON provider, the separators
    of its compact responses; tests/test_fast_answers.py compares the bodies with Flask's)."""
    provider = app.json

    def dumps(value, end="\n"):
        return (provider.dumps(value, separators=(",", ":")) + end).encode()

    return dumps


def existing_cache(app) -> "AnswerCache | None":
    """This process's cache for `app` if a request has made it, else None."""
    cache = app.extensions.get(EXTENSION)
    return cache if cache is not None and cache.pid == os.getpid() else None


def get_cache() -> "AnswerCache":
    """This process's cache for the app (made on first use, after any fork)."""
    extensions = current_app.extensions
    cache = existing_cache(current_app)
    if cache is None:
        with _CREATING:
            cache = extensions.get(EXTENSION)
            if cache is None or cache.pid != os.getpid():
                reader = get_reader()
                cache = AnswerCache(
                    reader, renderer(current_app), dumper(current_app), answer_store_of(reader)
                )
                extensions[EXTENSION] = cache
                before_close(current_app, close_cache)
    return cache


def answer_store_of(reader) -> answer_store.AnswerStore:
    """The answer files of the reader's warehouse, in API_ANSWER_DIR (api/config.py)."""
    if isinstance(reader, DuckDBReader):
        warehouse = f"duckdb:{Path(reader.path).resolve()}"
    else:  # PostgreSQL: the server and database libpq connects to
        names = ("PGHOST", "PGPORT", "PGDATABASE")
        warehouse = ":".join(["postgres", *(os.environ.get(name, "") for name in names)])
    return answer_store.AnswerStore(config.load(current_app.config).answer_dir, warehouse)


def close_cache(app) -> None:
    cache = app.extensions.pop(EXTENSION, None)
    if cache is not None and cache.pid == os.getpid():
        cache.close()


_CREATING = threading.Lock()


class AnswerCache:
    def __init__(self, reader, render, dumps, store: answer_store.AnswerStore):
        self.pid = os.getpid()
        self._reader = reader
        self._render = render
        self.dumps = dumps  # a value's JSON as the app renders it (dumper)
        self._store = store
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._loading = False
        self._failed_at = -RETRY_SECONDS
        self._closed = False
        self._loader: threading.Thread | None = None
        self._build: tuple[object, Build | None] | None = None  # PostgreSQL: (token, build)
        # (token, {key: Kept}, {(path, query string): key})
        self._kept: tuple[object, dict, dict] = (None, {}, {})
        if isinstance(reader, PostgresReader):
            self._watch = BuildNotifications(reader.config, self._listening_again)
        elif isinstance(reader, DuckDBReader):
            self._watch = FileIdentity(reader.path)
        else:  # a reader with no build identity (a test's fake): nothing is cached
            self._watch = NoIdentity()

    def live_snapshot(self) -> Snapshot | None:
        """The live build's counts, or None: then ask the warehouse (a load may start)."""
        token = self._watch.token()
        if token is None:
            return None
        snapshot = self._snapshot
        if snapshot is not None and snapshot.token == token:
            return snapshot
        self._start_load(token)
        return None

    def build_before_query(self) -> Build | None:
        """PostgreSQL: the live build, to be read before the answer's own query, so that the
        answer never names a newer build than the data it gives (a build that goes live
        between the two makes the name older than the data, which is harmless). Kept per
        listener token, so the warehouse is asked once per build and worker: the token changes
        with every notification, every reconnection and every build the RECHECK_SECONDS check
        notices; while not listening, it is asked every time. DuckDB: None (every query's rows
        carry their file's build, warehouse.Rows), as for a reader with no build identity."""
        if not isinstance(self._watch, BuildNotifications):
            return None
        token = self._watch.token()
        if token is None:
            return self._read_build()
        snapshot = self._snapshot
        if snapshot is not None and snapshot.token == token:
            return snapshot.build
        known = self._build
        if known is not None and known[0] == token:
            return known[1]
        # The token is taken before the read: a build that goes live after the read changes
        # it (its NOTIFY), so this build is never named for a later build's data; one that
        # went live just before the read is the one read, and every later query sees it too.
        build = self._read_build()
        self._build = (token, build)
        return build

    def kept_answer(self, key) -> tuple[object, Kept | None]:
        """The live build's token (None: no answer may be kept now) and the answer kept for
        `key` under it, if any (see keep_answer)."""
        token = self._watch.token()
        if token is None:
            return None, None
        kept_token, answers, _targets = self._kept
        return token, (answers.get(key) if kept_token == token else None)

    def keep_answer(self, token, key, answer: Kept, target=None) -> None:
        """Keep `answer` for the requests that come while `token` is the live build's. The
        token was taken before the answer was read: a build that went live in between has
        already changed it (the file's identity, or the NOTIFY sent before its answers can be
        read), so an answer is never kept for a build later than its data. `target`: the
        request's (path, query string), when the answer is sent for it as it is: the same
        target then gets it before Flask (kept_for_target, api/fast_answers.py)."""
        with self._lock:
            kept_token, answers, targets = self._kept
            if kept_token != token:
                answers, targets = {}, {}
                self._kept = (token, answers, targets)
            if key not in answers and len(answers) < MAX_KEPT:
                answers[key] = answer
            if target is not None and key in answers and len(targets) < MAX_KEPT:
                targets[target] = key

    def kept_for_target(self, target) -> Kept | None:
        """The answer kept for a request to `target` ((path, query string)) under the live
        build, if one was sent for that target as it is (keep_answer)."""
        token = self._watch.token()
        kept_token, answers, targets = self._kept
        if token is None or kept_token != token:
            return None
        key = targets.get(target)
        return None if key is None else answers.get(key)

    def _read_build(self) -> Build | None:
        rows = self._reader.fetch_all(queries.BUILD_INFO)
        return Build.from_row(rows[0] if rows else None)

    def _start_load(self, token):
        with self._lock:
            if self._loading or time.monotonic() - self._failed_at < RETRY_SECONDS:
                return
            self._loading = True
        self._loader = threading.Thread(
            target=self._load, args=(token,), name="interactions-cache-load", daemon=True
        )
        self._loader.start()

    def _read_snapshot(self, token) -> Snapshot | None:
        """The live build's answers: its answer files, mapped (each written first by
        whichever worker gets there first); None when nothing is built."""
        build = self._read_build()
        if build is None:
            return None
        warehouse = self._reader.warehouse
        bodies = self._answer_file(
            build,
            "",
            CUSTOMER_ANSWERS_IN_ORDER[warehouse],
            lambda rows: rendered_answers(rows, self._render),
        )
        topics = self._answer_file(
            build,
            "topics",
            CUSTOMER_TOPIC_ANSWERS_IN_ORDER[warehouse],
            lambda rows: rendered_topics(bodies, rows, self.dumps),
        )
        customers = self._answer_file(
            build,
            "customers",
            queries.ALL_CUSTOMERS,
            lambda rows: rendered_customers(rows, self.dumps),
        )
        names = frozenset(row["topic"] for row in self._reader.fetch_all(TOPIC_NAMES))
        if self._read_build() != build:  # the topics read were another build's
            raise BuildChanged(f"another build than {build} went live while it was read")
        return Snapshot(token, build, bodies, topics, customers, names)

    def _answer_file(self, build, kind, query, rendered) -> answer_store.AnswerFile:
        """The answer file of `build` and `kind`: the rows of `query`, rendered(rows)."""
        if self._closed:  # the app closed: not another file
            raise LoadStopped("the app closed while the answers were read")

        def write_answers(path):
            started = time.monotonic()
            rows = self._reader.stream(query)
            try:
                written = answer_store.write(path, rendered(self._until_closed(rows)))
            finally:
                rows.close()  # its cursor closed while its connection is still open
            # Builds only go forward (built_at grows, a rollback included): the same build
            # before and after the read means none went live in between, so every row read
            # is this build's.
            after = self._read_build()
            if after != build:
                path.unlink(missing_ok=True)
                raise BuildChanged(f"build {after} went live while {build} was read")
            log.info(
                "answer file %s written: %d customers in %.2f s",
                path.name,
                written,
                time.monotonic() - started,
            )

        return self._store.open_or_write(build, write_answers, kind)

    def _until_closed(self, rows):
        """The rows, until the app closes (close(): the load stops at the next row)."""
        for row in rows:
            if self._closed:
                raise LoadStopped("the app closed while the answers were read")
            yield row

    def _load(self, token):
        started = time.monotonic()
        try:
            snapshot = self._read_snapshot(token)
        except Exception as error:  # the warehouse answers the requests meanwhile
            if self._closed:  # the app closed its reader under the load: nothing is wrong
                log.debug("answer cache load stopped by close (%s)", error)
                return
            log.warning("could not load the answer cache (%s); the warehouse answers", error)
            snapshot = None
        with self._lock:
            self._loading = False
            if snapshot is None:
                self._failed_at = time.monotonic()
            elif self._watch.token() == token and not self._closed:  # else a newer build: again
                self._snapshot = snapshot
                if isinstance(self._reader, DuckDBReader):
                    # The lookups that answered while the answers were loading have left the
                    # blocks of answers_by_customer in this worker's DuckDB memory; they are
                    # no longer needed (at a million customers, about 65 MB a worker).
                    self._reader.drop_cached_blocks()
                log.info(
                    "answer cache: %d customers of the build of %s loaded in %.2f s",
                    len(snapshot.bodies),
                    snapshot.built_at,
                    time.monotonic() - started,
                )

    def _listening_again(self, token, built_at):
        """PostgreSQL: the listener listens again (token); keep the copy if it is still of the
        live build (built_at just read by the listener)."""
        with self._lock:
            snapshot = self._snapshot
            if snapshot is not None and built_at is not None and snapshot.built_at == built_at:
                self._snapshot = replace(snapshot, token=token)
            else:
                self._snapshot = None

    def close(self):
        """Before the reader closes (close_reader): a load running stops at its next row
        (within LOAD_STOP_SECONDS), before its connection goes."""
        self._closed = True
        self._watch.close()
        loader = self._loader
        if loader is not None and loader is not threading.current_thread():
            loader.join(LOAD_STOP_SECONDS)
        self._snapshot = None
        self._kept = (None, {}, {})


class NoIdentity:
    def token(self):
        return None

    def close(self):
        pass


class FileIdentity:
    """DuckDB: the live warehouse file's identity (a build renames a new file over it)."""

    def __init__(self, path):
        self.path = path

    def token(self):
        try:
            return file_identity(self.path)
        except OSError:
            return None  # the reader says what is wrong

    def close(self):
        pass


class BuildNotifications:
    """PostgreSQL: a LISTEN connection in a daemon thread. token() is a number that changes
    with every notification (and every reconnection), or None while not listening."""

    def __init__(self, config, listening_again):
        self._config = config
        self._listening_again = listening_again
        self._token = None
        self._generation = 0
        self.backend_pid = None  # the listening connection's server process
        self._closed = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="interactions-build-listener", daemon=True
        )
        self._thread.start()

    def token(self):
        return self._token

    def close(self):
        self._closed.set()

    def _next_token(self):
        self._generation += 1
        return self._generation

    def _connect(self):
        config = self._config
        kwargs = {
            "user": config.db_role,
            "connect_timeout": config.connect_timeout,
            "application_name": "interactions-api-listener",
            "options": f"-c statement_timeout={config.statement_timeout_ms}",
            "autocommit": True,
        }
        if config.db_password:
            kwargs["password"] = config.db_password
        return psycopg.connect("", **kwargs)

    def _run(self):
        backoff = LISTEN_BACKOFF[0]
        while not self._closed.is_set():
            try:
                with self._connect() as connection:
                    connection.execute(f"listen {NOTIFY_CHANNEL}")
                    self.backend_pid = connection.info.backend_pid
                    built_at = _built_at(connection)  # after LISTEN: no build is missed
                    token = self._next_token()
                    self._listening_again(token, built_at)
                    self._token = token
                    backoff = LISTEN_BACKOFF[0]
                    self._listen(connection, built_at)
            except Exception as error:  # any failure: stop trusting the copy
                if not self._closed.is_set():
                    log.warning("build listener: %s; the warehouse answers meanwhile", error)
            self._token = None
            self._closed.wait(backoff)
            backoff = min(backoff * 2, LISTEN_BACKOFF[1])

    def _listen(self, connection, built_at):
        checked = time.monotonic()
        while not self._closed.is_set():
            notified = False
            for _notify in connection.notifies(timeout=0.5):
                self._token = self._next_token()  # the request thread sees it at once
                notified = True
            if notified:
                built_at = _built_at(connection)
                checked = time.monotonic()
            elif time.monotonic() - checked >= RECHECK_SECONDS:
                now = _built_at(connection)
                checked = time.monotonic()
                if now != built_at:
                    log.info("build listener: a build without notification went live")
                    built_at = now
                    self._token = self._next_token()


def _built_at(connection):
    try:
        row = connection.execute("select built_at from marts.build_info").fetchone()
    except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
        return None
    return row[0] if row else None
