"""One standalone Spark cluster per test session (`make spark-up`, scripts/spark_cluster.py), on
ports and in a folder of its own: the `cluster` fixture (conftest.py) of test_spark_cluster.py
and test_spark_cluster_import.py, which make test runs on one worker (tests/scheduling.py).

At the session's end `make spark-down` must stop exactly it: every process `up` recorded gone,
a bystander process that a stale pid file of the cluster names still running, no pid file
left, the ports free, and a second `spark-down` saying nothing runs (a failure there is an
error of the last cluster test)."""

import getpass
import json
import os
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tests.load import port_below_ephemeral_range
from tests.test_serve import listening_addresses

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import spark_cluster  # noqa: E402 - the script under test, beside the others

PG_HOST_PORT = f"{os.environ.get('PGHOST', '127.0.0.1')}:{os.environ.get('PGPORT', '5432')}"
PG_USER = os.environ.get("PGUSER") or getpass.getuser()
PORTS = (
    "SPARK_MASTER_PORT",
    "SPARK_MASTER_WEBUI_PORT",
    "SPARK_THRIFT_PORT",
    "SPARK_THRIFT_UI_PORT",
)


def fetch_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310
        return json.load(answer)


def make(target: str, environ: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        ["make", "--no-print-directory", target],  # noqa: S607
        cwd=ROOT,
        env={**os.environ, **environ},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def cluster_environment(folder: Path) -> dict[str, str]:
    """The variables that give a cluster this folder and four free ports of its own."""
    ports = set()
    while len(ports) < len(PORTS):
        ports.add(port_below_ephemeral_range())
    numbers = [str(port) for port in sorted(ports)]
    return {"SPARK_CLUSTER_DIR": str(folder), **dict(zip(PORTS, numbers, strict=True))}


def tasks_per_executor(environ: dict[str, str]) -> dict[str, int]:
    """The Thrift server's executors (not the driver) and the tasks each has run."""
    applications = f"http://127.0.0.1:{environ['SPARK_THRIFT_UI_PORT']}/api/v1/applications"
    [application] = fetch_json(applications)
    executors = fetch_json(f"{applications}/{application['id']}/executors")
    return {e["id"]: e["totalTasks"] for e in executors if e["id"] != "driver"}


@contextmanager
def running_cluster(folder: Path):
    """`make spark-up` with `folder` and ports of its own; {variable: value} pointing a
    command at it; then `make spark-down`, checked to stop exactly this cluster."""
    environ = cluster_environment(folder)
    cluster = spark_cluster.Cluster.from_environment(environ)
    try:
        started = make("spark-up", environ)
        assert started.returncode == 0, started.stdout + started.stderr
        assert sorted(spark_cluster.recorded(cluster)) == [
            "master",
            "thrift",
            "worker-1",
            "worker-2",
        ]
        yield environ
    finally:
        # Not ours: a process whose pid a stale pid file of the cluster names (another start).
        pids = spark_cluster.recorded(cluster)
        bystander = subprocess.Popen(["sleep", "300"], start_new_session=True)  # noqa: S603, S607
        try:
            (cluster.folder / "pids").mkdir(parents=True, exist_ok=True)
            (cluster.folder / "pids" / "stale.pid").write_text(f"{bystander.pid} 1\n")
            stopped = make("spark-down", environ)
            assert stopped.returncode == 0, stopped.stdout + stopped.stderr
            assert all(spark_cluster.start_time(pid) is None for pid in pids.values())
            assert bystander.poll() is None  # still running
            assert list((cluster.folder / "pids").iterdir()) == []
            for port in ("SPARK_MASTER_PORT", "SPARK_THRIFT_PORT"):
                assert listening_addresses(int(environ[port])) == set(), port
            again = make("spark-down", environ)
            assert "nothing of this cluster is running" in again.stdout
        finally:
            bystander.kill()
            bystander.wait()
            spark_cluster.down(cluster)
