"""A standalone Spark cluster on this machine, from the locked pyspark package (no download).

    make spark-up      # python scripts/spark_cluster.py up
    make spark-down    # python scripts/spark_cluster.py down
    python scripts/spark_cluster.py status

`up` starts a master, SPARK_CLUSTER_WORKERS workers (2; one core and 2 GB each) and the Spark
Thrift Server on the cluster (HiveServer2's protocol, as a production Thrift server speaks
it), every process on 127.0.0.1 only, and returns once the master lists every worker alive
and the Thrift port accepts connections. Its state is under SPARK_CLUSTER_DIR
(warehouse/spark-cluster/): pids/ (one file per process it started, with the process's start
time, so `down` never signals a process that merely reused the number), logs/, work/ (the
workers' folders), tables/ (the Thrift server's warehouse, standing in for object storage)
and metastore/ (its Derby catalogue). `down` stops exactly the processes recorded in pids/
(SIGTERM, then SIGKILL after 20 s) and removes their files; it leaves the tables.

An `up` killed half-way leaves pid files of what it had started: the next `up` or `down` reads
them (a recorded process still running is reused by `up`, stopped by `down`; a file whose
process is gone is removed). Ports, all overridable: SPARK_MASTER_PORT (7077),
SPARK_MASTER_WEBUI_PORT (8090; `make docs` serves on 8080), SPARK_THRIFT_PORT (10000),
SPARK_THRIFT_UI_PORT (4040; the Thrift application's status API: executors and their tasks).

The Thrift server and its executors have PostgreSQL's JDBC driver on their class path
(SPARK_JDBC_JAR, default Debian's /usr/share/java/postgresql.jar from libpostgresql-jdbc-java),
so the cluster itself writes tables into PostgreSQL, from the executors in parallel:
`create temporary view v using org.apache.spark.sql.jdbc options (url ..., dbtable ...,
driver 'org.postgresql.Driver')` then `insert into table v select ...` (tests/
test_spark_cluster.py). A missing driver stops `up` with what to install. Such a statement's
password option is redacted wherever Spark shows a statement (its log, its UI), and every JVM
runs in UTC, the session's time zone, so a timestamp written over JDBC is the one Spark holds.
`WAREHOUSE=spark_cluster interactions import` publishes its marts this way
(interactions/cluster_publish.py).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_SECONDS = 180  # a loaded 2-core machine starts the JVMs slowly
STOP_SECONDS = 20
MARKER = "interactions-spark-cluster"  # in every process's environment: ours, not another's
# What the Thrift server's log and UI show of a statement: a password option's value redacted.
REDACTED_STATEMENT_PARTS = r"(?i)password\s+'(?:[^'\\]|\\.)*'"


@dataclass(frozen=True)
class Cluster:
    folder: Path
    workers: int
    master_port: int
    master_ui_port: int
    thrift_port: int
    thrift_ui_port: int
    jdbc_jar: Path  # PostgreSQL's JDBC driver, on the Thrift server's and executors' class path

    @classmethod
    def from_environment(cls, environ=os.environ) -> "Cluster":
        def port(name, default):
            return int(environ.get(name, default))

        folder = Path(environ.get("SPARK_CLUSTER_DIR", ROOT / "warehouse" / "spark-cluster"))
        return cls(
            folder=folder.resolve(),
            workers=int(environ.get("SPARK_CLUSTER_WORKERS", "2")),
            master_port=port("SPARK_MASTER_PORT", 7077),
            master_ui_port=port("SPARK_MASTER_WEBUI_PORT", 8090),
            thrift_port=port("SPARK_THRIFT_PORT", 10000),
            thrift_ui_port=port("SPARK_THRIFT_UI_PORT", 4040),
            jdbc_jar=Path(environ.get("SPARK_JDBC_JAR", "/usr/share/java/postgresql.jar")),
        )

    @property
    def master_url(self) -> str:
        return f"spark://127.0.0.1:{self.master_port}"

    @property
    def master_status_url(self) -> str:
        return f"http://127.0.0.1:{self.master_ui_port}/json/"

    @property
    def thrift_status_url(self) -> str:
        return f"http://127.0.0.1:{self.thrift_ui_port}/api/v1/applications"

    @property
    def tables(self) -> Path:
        return self.folder / "tables"


# The Thrift server's and the executors' JVMs run as profiles.yml's in-process Spark: C1 only
# (with the 256 MB code cache C1 alone needs for Spark's generated code: with its default 48 MB
# a long-running server's cache fills, and the JIT stops) and the serial collector. A build is
# many small statements, for which C2's compiling costs more CPU than its code saves. The first
# import through a new cluster (idle, 2 cores), with the JVMs' defaults and with these: 2,000
# interactions 119 s (199 s of JVM CPU) and 85 s (120 s); 100,000 interactions 135 s (231 s)
# and 87 s (115 s).
JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=256m -XX:+UseSerialGC"


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def base_environment(cluster: Cluster) -> dict[str, str]:
    return {
        **os.environ,
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOCAL_IP": "127.0.0.1",  # every port on loopback: closed by default
        "SPARK_LOG_DIR": str(cluster.folder / "logs"),
        "SPARK_NO_DAEMONIZE": "1",
        MARKER: str(cluster.folder),
    }


def commands(cluster: Cluster) -> dict[str, list[str]]:
    """name -> the command line of each process, in start order."""
    home = spark_home()
    spark_class = str(home / "bin" / "spark-class")
    deploy = "org.apache.spark.deploy"
    started = {
        "master": [
            spark_class, f"{deploy}.master.Master", "--host", "127.0.0.1",
            "--port", str(cluster.master_port), "--webui-port", str(cluster.master_ui_port),
        ],
    }  # fmt: skip
    for number in range(1, cluster.workers + 1):
        started[f"worker-{number}"] = [
            spark_class, f"{deploy}.worker.Worker", "--host", "127.0.0.1",
            "--cores", "1", "--memory", "2g", "--webui-port", "0",
            "--work-dir", str(cluster.folder / "work" / f"worker-{number}"), cluster.master_url,
        ]  # fmt: skip
    metastore = cluster.folder / "metastore"
    started["thrift"] = [
        str(home / "bin" / "spark-submit"),
        "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
        "--name", "interactions-thrift", "--master", cluster.master_url,
        "--executor-memory", "1g", "--total-executor-cores", str(cluster.workers),
        "--jars", str(cluster.jdbc_jar), "--driver-class-path", str(cluster.jdbc_jar),
        "--conf", f"spark.executor.extraClassPath={cluster.jdbc_jar}",
        "--conf", f"spark.ui.port={cluster.thrift_ui_port}",
        "--conf", "spark.driver.host=127.0.0.1",
        "--conf", f"spark.sql.warehouse.dir={cluster.tables}",
        "--conf", "spark.sql.session.timeZone=UTC",
        "--conf", "spark.sql.shuffle.partitions=4",
        "--conf", f"spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName={metastore};create=true",  # noqa: E501
        "--conf", f"spark.driver.extraJavaOptions={JVM_OPTIONS} -Dderby.system.home={cluster.folder} -Duser.timezone=UTC",  # noqa: E501
        # JDBC writes turn timestamps into the JVM's local time: UTC, as the session's.
        "--conf", f"spark.executor.extraJavaOptions={JVM_OPTIONS} -Duser.timezone=UTC",
        # A statement's password option (publishing into PostgreSQL) never reaches a log.
        "--conf", f"spark.sql.redaction.string.regex={REDACTED_STATEMENT_PARTS}",
        "--hiveconf", f"hive.server2.thrift.port={cluster.thrift_port}",
        "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1",
        "spark-internal",
    ]  # fmt: skip
    return started


# --- the pid files: what this cluster started ---------------------------------------------


def start_time(pid: int) -> str | None:
    """The process's start time (field 22 of /proc/PID/stat), None when there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def recorded(cluster: Cluster) -> dict[str, int]:
    """name -> pid of the recorded processes still running (stale files are removed)."""
    running = {}
    folder = cluster.folder / "pids"
    for path in sorted(folder.glob("*.pid")) if folder.is_dir() else []:
        try:
            pid_text, started = path.read_text().split()
            pid = int(pid_text)
        except ValueError:
            path.unlink(missing_ok=True)
            continue
        if start_time(pid) == started:
            running[path.stem] = pid
        else:
            path.unlink(missing_ok=True)
    return running


def record(cluster: Cluster, name: str, pid: int) -> None:
    folder = cluster.folder / "pids"
    partial = folder / f"{name}.pid.partial"
    partial.write_text(f"{pid} {start_time(pid)}\n")
    os.replace(partial, folder / f"{name}.pid")


# --- up, down, status ---------------------------------------------------------------------


def master_status(cluster: Cluster) -> dict | None:
    try:
        with urllib.request.urlopen(cluster.master_status_url, timeout=2) as answer:  # noqa: S310
            return json.load(answer)
    except (OSError, ValueError):
        return None


def alive_workers(cluster: Cluster) -> list[dict]:
    status = master_status(cluster) or {}
    return [worker for worker in status.get("workers", []) if worker.get("state") == "ALIVE"]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_for(what: str, ready, cluster: Cluster, deadline: float) -> None:
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"spark-up: {what} not ready within {START_SECONDS} s; the logs are in "
                f"{cluster.folder / 'logs'}"
            )
        dead = [name for name, pid in started_here.items() if start_time(pid) is None]
        if dead:
            raise RuntimeError(
                f"spark-up: {', '.join(dead)} exited at start; see {cluster.folder / 'logs'}"
            )
        time.sleep(0.5)


started_here: dict[str, int] = {}


def up(cluster: Cluster) -> int:
    if not cluster.jdbc_jar.is_file():
        raise RuntimeError(
            f"spark-up: PostgreSQL's JDBC driver is not at {cluster.jdbc_jar}: apt-get install "
            "libpostgresql-jdbc-java, or set SPARK_JDBC_JAR to its jar (the cluster writes "
            "into PostgreSQL with it); nothing was started"
        )
    for sub in ("pids", "logs", "work", "tables"):
        (cluster.folder / sub).mkdir(parents=True, exist_ok=True)
    running = recorded(cluster)
    env = base_environment(cluster)
    deadline = time.monotonic() + START_SECONDS
    for name, argv in commands(cluster).items():
        if name in running:
            print(f"spark-up: {name} already running (pid {running[name]})")
        else:
            with open(cluster.folder / "logs" / f"{name}.log", "ab") as log:
                process = subprocess.Popen(  # noqa: S603 - fixed command lines
                    argv, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                    start_new_session=True, cwd=cluster.folder,
                )  # fmt: skip
            record(cluster, name, process.pid)
            started_here[name] = process.pid
            print(f"spark-up: started {name} (pid {process.pid})", flush=True)
        if name == "master":
            wait_for("the master", lambda: master_status(cluster) is not None, cluster, deadline)
        elif name == f"worker-{cluster.workers}":
            wait_for(
                f"{cluster.workers} workers",
                lambda: len(alive_workers(cluster)) >= cluster.workers,
                cluster,
                deadline,
            )
        elif name == "thrift":
            wait_for("the Thrift server", lambda: port_open(cluster.thrift_port), cluster, deadline)
    print(
        f"spark-up: master {cluster.master_url} (status {cluster.master_status_url}), "
        f"{cluster.workers} workers alive, Thrift server on 127.0.0.1:{cluster.thrift_port}; "
        f"state and logs under {cluster.folder}"
    )
    return 0


def down(cluster: Cluster) -> int:
    running = recorded(cluster)
    if not running:
        print("spark-down: nothing of this cluster is running")
        return 0
    for name in reversed(list(running)):  # the Thrift server and workers before the master
        pid = running[name]
        try:
            os.killpg(pid, signal.SIGTERM)  # its own session: spark-class's java with it
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_SECONDS
    for name, pid in running.items():
        started = (cluster.folder / "pids" / f"{name}.pid").read_text().split()[1]
        while start_time(pid) == started and time.monotonic() < deadline:
            time.sleep(0.2)
        if start_time(pid) == started:
            print(f"spark-down: {name} (pid {pid}) ignored SIGTERM; killing it")
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        (cluster.folder / "pids" / f"{name}.pid").unlink(missing_ok=True)
        print(f"spark-down: stopped {name} (pid {pid})")
    return 0


def executors(cluster: Cluster) -> dict[str, dict[str, int]]:
    """Spark's own status API of the Thrift server's application(s): application name ->
    {executor id (and its host:port): tasks it has run}; the driver is not an executor."""
    found = {}
    try:
        with urllib.request.urlopen(cluster.thrift_status_url, timeout=5) as answer:  # noqa: S310
            applications = json.load(answer)
        for application in applications:
            url = f"{cluster.thrift_status_url}/{application['id']}/executors"
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310
                found[application["name"]] = {
                    f"{e['id']} ({e['hostPort']})": e["totalTasks"]
                    for e in json.load(answer)
                    if e["id"] != "driver"
                }
    except (OSError, ValueError):
        pass
    return found


def status(cluster: Cluster) -> int:
    """What runs, and where the work went: tasks per executor (proof of distribution)."""
    running = recorded(cluster)
    for name, pid in running.items():
        print(f"{name}: running (pid {pid})")
    print(f"workers alive at the master: {len(alive_workers(cluster))}")
    for application, tasks in executors(cluster).items():
        print(f"application {application}: {len(tasks)} executors")
        for executor, count in tasks.items():
            print(f"  executor {executor}: {count} tasks")
    return 0 if running else 1


def main(argv: list[str]) -> int:
    actions = {"up": up, "down": down, "status": status}
    if len(argv) != 1 or argv[0] not in actions:
        print(f"usage: spark_cluster.py {{{'|'.join(actions)}}}", file=sys.stderr)
        return 2
    cluster = Cluster.from_environment()
    try:
        return actions[argv[0]](cluster)
    except (RuntimeError, KeyboardInterrupt) as error:
        print(error or "spark-up: interrupted", file=sys.stderr)
        stop_started_here(cluster)
        return 1


def stop_started_here(cluster: Cluster) -> None:
    """A failed or interrupted `up` stops what it started itself (not what was running)."""
    for name, pid in started_here.items():
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        (cluster.folder / "pids" / f"{name}.pid").unlink(missing_ok=True)
        print(f"spark-up: stopped {name} (pid {pid}), which this start began", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
