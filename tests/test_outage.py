"""PostgreSQL outages while the API is under load (about a minute).

The test starts its own PostgreSQL 15 (initdb and pg_ctl in a temporary folder, on a free
port below the ephemeral range, so it is still free when the server starts again), builds the
sample marts there with `interactions build`, and serves the API on it with Granian
(`interactions serve`), with a bounded load from a second process (tests/load.py):

- the database stopped: every request gets the 503 JSON within 2 seconds, none hangs or 500s;
- started again: correct answers again within 5 seconds, with the same Granian workers;
- its connections killed server-side (pg_terminate_backend): no request fails, and the pool
  opens new connections;
- every process of it stopped (SIGSTOP: a server that hangs): every request gets the 503 JSON
  within 2 seconds; continued (SIGCONT): correct answers again within 5 seconds.
"""

import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from unittest import mock

import psycopg
import pytest

from tests.load import ApiServer, Load, port_below_ephemeral_range
from tests.warehouses import build_warehouse, copy_project, opted_out, unavailable

pytestmark = pytest.mark.stress  # outages: make test-fast leaves these out

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
UNAVAILABLE = {
    "error": {"status": 503, "message": "the warehouse is unavailable; try again shortly"}
}
# Correct answers on the sample seeds (the README's); /ready's built_at is the build's.
EXPECTED = {
    "/api/v1/interactions/4": {
        "data": {"customer_id": 4, "interactions": {"Email": 0, "Call": 1, "Bird": 1}}
    },
    "/api/v1/interactions/by-customer-type": {
        "data": {
            "customer_types": {
                "Blue": {"Email": 1, "Call": 0, "Bird": 0},
                "Orange": {"Email": 0, "Call": 0, "Bird": 0},
                "Red": {"Email": 1, "Call": 0, "Bird": 0},
                "Unknown": {"Email": 0, "Call": 1, "Bird": 1},
            }
        }
    },
    "/api/v1/stats/interactions": {"message": "Number of Rows", "rows": 4},
}


class PostgresInstance:
    """A throw-away PostgreSQL server: its own data folder, port and socket folder, trust
    authentication on 127.0.0.1. As root, the server runs as the `postgres` system user."""

    def __init__(self):
        if opted_out("SKIP_POSTGRES"):
            unavailable("SKIP_POSTGRES", "the PostgreSQL tests are skipped")
        for tool in ("initdb", "pg_ctl"):
            if not (PG_BIN / tool).exists():
                unavailable(
                    "SKIP_POSTGRES", f"{PG_BIN / tool} not found (apt-get install postgresql-15)"
                )
        self.folder = Path(tempfile.mkdtemp(prefix="interactions-outage-"))
        self.data = self.folder / "data"
        self.port = port_below_ephemeral_range()
        self.user = None
        if os.geteuid() == 0:  # initdb refuses to run as root
            self.user = pwd.getpwnam("postgres")
            os.chown(self.folder, self.user.pw_uid, self.user.pw_gid)
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()

    def _run(self, tool, *args, check=True):
        return subprocess.run(  # noqa: S603
            [str(PG_BIN / tool), *map(str, args)],
            check=check,
            capture_output=True,
            text=True,
            user=self.user.pw_uid if self.user else None,
            group=self.user.pw_gid if self.user else None,
            cwd=self.folder,
            timeout=60,
        )

    @property
    def environ(self) -> dict[str, str]:
        return {
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.port),
            "PGUSER": "postgres",
            "PGDATABASE": "interactions",
        }

    def start(self):
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
            " -c max_connections=50"
        )
        self._run(
            "pg_ctl", "-D", self.data, "-o", options, "-l", self.folder / "log", "-w", "start"
        )

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def processes(self) -> list[int]:
        """The server's processes: the postmaster (postmaster.pid) and its children."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                children.append(int(stat.parent.name))
        return [postmaster, *children]

    def signal_all(self, number: int) -> None:
        """SIGSTOP: the server hangs (accepts nothing, answers nothing, cancels nothing);
        SIGCONT: it goes on."""
        for pid in self.processes():
            os.kill(pid, number)

    def connect(self, **kwargs):
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", autocommit=True, **kwargs
        )

    def remove(self):
        self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    """The own server, with the sample marts built and the API's role."""
    instance = PostgresInstance()
    try:
        with instance.connect(dbname="postgres") as connection:
            connection.execute("create database interactions")
        home = copy_project(tmp_path_factory.mktemp("outage"))
        subprocess.run(  # noqa: S603
            ["psql", "-v", "ON_ERROR_STOP=1", "-q", "-d", "postgres", "-f"]
            + [str(home / "postgres" / "create_api_role.sql")],
            env={**os.environ, **instance.environ},
            check=True,
            capture_output=True,
        )
        with mock.patch.dict(os.environ, instance.environ):
            build_warehouse("postgres", home)
        yield instance
    finally:
        instance.remove()


@pytest.fixture(scope="module")
def server(postgres, tmp_path_factory):
    running = ApiServer(
        {**postgres.environ, "WAREHOUSE": "postgres"},
        tmp_path_factory.mktemp("outage-api") / "server.log",
    )
    yield running
    running.stop()


OUTAGE_SECONDS = 20  # long enough that a pool backing off 1, 2, 4, 8, 16 s would be late


def load_on(server, tmp_path):
    return Load(server.url, [*EXPECTED, "/ready"], tmp_path, clients=2, seconds=60)


def ready_built_at(server) -> str:
    with urllib.request.urlopen(f"{server.url}/ready", timeout=5) as response:  # noqa: S310
        return json.load(response)["built_at"]


def is_correct(answer, built_at) -> bool:
    if answer.status != 200:
        return False
    if answer.path == "/ready":
        return answer.json() == {
            "status": "ready",
            "warehouse": "postgres",
            "built_at": built_at,
            "version": 1,
        }
    return answer.json() == EXPECTED[answer.path]


def assert_correct_or_503_within_2_seconds(answers, built_at):
    """Every request got an HTTP answer: 200 with the correct body, or the 503 JSON; none
    took 2 s or more, before, during or after the outage."""
    assert [a for a in answers if a.error is not None] == []
    assert {a.status for a in answers} <= {200, 503}
    assert [a for a in answers if a.status == 503 and a.json() != UNAVAILABLE] == []
    assert [a for a in answers if a.status == 200 and not is_correct(a, built_at)] == []
    assert show(a for a in answers if a.elapsed >= 2.0) == []


def assert_healed_within_5_seconds(answers, back: float, built_at):
    """Up again at `back`: a correct answer within 5 s, and only correct answers after."""
    healed = min(
        (a.finished for a in answers if a.started >= back and a.status == 200),
        default=float("inf"),
    )
    assert healed - back < 5.0, show(a for a in answers if a.started >= back - 1)
    after = [a for a in answers if a.started >= back + 5]
    assert len(after) >= 10
    assert show(a for a in after if not is_correct(a, built_at)) == []


def show(answers):
    """Answers as (start, path, status, seconds, error), for assertion messages."""
    return [(round(a.started, 2), a.path, a.status, round(a.elapsed, 2), a.error) for a in answers]


def test_database_stopped_is_503_within_2_seconds_and_heals_within_5(postgres, server, tmp_path):
    built_at = ready_built_at(server)
    workers = server.worker_pids()
    load = load_on(server, tmp_path)
    try:
        time.sleep(2)
        stopping = time.time()
        postgres.stop("fast")
        stopped = time.time()
        time.sleep(OUTAGE_SECONDS)
        starting = time.time()
        postgres.start()
        started = time.time()
        time.sleep(8.0)  # answers started 5 s after the start: a 3 s window
    finally:
        answers = load.stop()
        if not (postgres.data / "postmaster.pid").exists():
            postgres.start()

    assert_correct_or_503_within_2_seconds(answers, built_at)
    before = [a for a in answers if a.finished < stopping]
    down = [a for a in answers if a.started >= stopped and a.finished < starting]
    assert len(before) >= 10 and all(a.status == 200 for a in before)
    # Down: every request is the 503 JSON (each within 2 s, above).
    assert len(down) >= 10
    assert show(a for a in down if a.status != 503) == []
    assert_healed_within_5_seconds(answers, started, built_at)
    # No restart: the same Granian workers served throughout.
    assert server.worker_pids() == workers


HANG_SECONDS = 8


def test_database_that_hangs_is_503_within_2_seconds_and_heals_within_5(postgres, server, tmp_path):
    """Every process of the server stopped (SIGSTOP): nothing answers, not even a cancel; a
    lookup whose statement waits is a 503 by the API's own deadline (its connection broken),
    one that waits for a connection by the pool's timeout. Without the deadline a request
    waits for as long as the server hangs."""
    built_at = ready_built_at(server)
    workers = server.worker_pids()
    load = load_on(server, tmp_path)
    try:
        time.sleep(2)
        freezing = time.time()
        postgres.signal_all(signal.SIGSTOP)
        frozen = time.time()
        time.sleep(HANG_SECONDS)
        thawing = time.time()
        postgres.signal_all(signal.SIGCONT)
        thawed = time.time()
        time.sleep(8.0)
    finally:
        postgres.signal_all(signal.SIGCONT)
        answers = load.stop()

    assert_correct_or_503_within_2_seconds(answers, built_at)
    before = [a for a in answers if a.finished < freezing]
    hung = [a for a in answers if a.started >= frozen and a.finished < thawing]
    assert len(before) >= 10 and all(a.status == 200 for a in before)
    # Hung: a lookup is the 503 JSON (within 2 s, above); an answer the cache holds may
    # still be served (correct, above): no build can go live while the server hangs.
    assert len([a for a in hung if a.status == 503]) >= 6, show(hung)
    assert_healed_within_5_seconds(answers, thawed, built_at)
    assert server.worker_pids() == workers


def api_backends(postgres, application="interactions-api") -> set[int]:
    """The process ids of the server's connections for the API's role made by `application`:
    the pools' (and a retry's) are 'interactions-api', the answer cache's listeners
    'interactions-api-listener' (None: every one)."""
    query = "select pid from pg_stat_activity where usename = 'interactions_api'"
    params = ()
    if application is not None:
        query += " and application_name = %s"
        params = (application,)
    with postgres.connect(dbname="interactions") as connection:
        rows = connection.execute(query, params).fetchall()
    return {pid for (pid,) in rows}


def test_connections_killed_server_side_fail_no_request_and_the_pool_heals(
    postgres, server, tmp_path
):
    built_at = ready_built_at(server)
    load = load_on(server, tmp_path)
    killed = set()
    try:
        for _ in range(4):
            time.sleep(1.5)
            backends = api_backends(postgres, application=None)
            assert api_backends(postgres), "the API's pools hold no connection to kill"
            with postgres.connect(dbname="interactions") as connection:
                connection.execute(
                    "select pg_terminate_backend(pid) from pg_stat_activity"
                    " where usename = 'interactions_api'"
                )
            killed |= backends
        time.sleep(2)
    finally:
        answers = load.stop()

    # Each kill closes every connection of both workers' pools; a request that meets a dead
    # connection runs again on a new one: none fails, none hangs.
    assert len(answers) >= 100
    assert show(a for a in answers if not is_correct(a, built_at) or a.elapsed >= 2.0) == []
    # The pools healed: they hold new connections, none of the killed ones (the listeners'
    # connections, which reconnect by themselves, are not counted).
    healed = api_backends(postgres)
    assert healed and not healed & killed
