"""`make spark-up` and `make spark-down` (scripts/spark_cluster.py): a standalone Spark cluster
from the locked pyspark package, on this machine (issue 17, item 1).

One test, about two minutes: `make spark-up` on ports of its own and a folder of its own
starts a master, two workers of one core and 2 GB, and the Thrift server on them, each
listening on 127.0.0.1 only; a query sent through the Thrift server (beeline, HiveServer2's
protocol) runs on both workers' executors (Spark's status API: tasks per executor); `dbt
build --target spark_cluster` (dbt-spark's thrift method, item 2) builds the sample seeds over
the network with every model, data test and unit test passing, and the marts read back through
the Thrift server give the sample's answers; `make spark-down` stops exactly the processes `up`
recorded (a pid file whose number another process reuses is not signalled) and leaves the
tables.
"""

import getpass
import ipaddress
import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import psycopg
import pytest

from tests.load import port_below_ephemeral_range
from tests.test_cache import SAMPLE
from tests.test_serve import listening_addresses
from tests.test_spark import require_spark
from tests.warehouses import copy_project, postgres_database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import spark_cluster  # noqa: E402 - the script under test, beside the others

pytestmark = pytest.mark.spark


def fetch_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310
        return json.load(answer)


PG_HOST_PORT = f"{os.environ.get('PGHOST', '127.0.0.1')}:{os.environ.get('PGPORT', '5432')}"
PG_USER = os.environ.get("PGUSER") or getpass.getuser()


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
    while len(ports) < 4:
        ports.add(port_below_ephemeral_range())
    master, master_ui, thrift, thrift_ui = sorted(ports)
    return {
        "SPARK_CLUSTER_DIR": str(folder),
        "SPARK_MASTER_PORT": str(master),
        "SPARK_MASTER_WEBUI_PORT": str(master_ui),
        "SPARK_THRIFT_PORT": str(thrift),
        "SPARK_THRIFT_UI_PORT": str(thrift_ui),
    }


def test_spark_up_runs_a_cluster_on_loopback_and_spark_down_stops_exactly_it(tmp_path):
    require_spark()
    environ = cluster_environment(tmp_path / "cluster")
    master, master_ui, thrift, thrift_ui = (
        int(environ[name])
        for name in (
            "SPARK_MASTER_PORT",
            "SPARK_MASTER_WEBUI_PORT",
            "SPARK_THRIFT_PORT",
            "SPARK_THRIFT_UI_PORT",
        )
    )
    cluster = spark_cluster.Cluster.from_environment(environ)
    # Without PostgreSQL's JDBC driver nothing starts, and the message says what to install.
    refused = make("spark-up", {**environ, "SPARK_JDBC_JAR": str(tmp_path / "absent.jar")})
    assert refused.returncode != 0
    assert (
        f"spark-up: PostgreSQL's JDBC driver is not at {tmp_path / 'absent.jar'}: apt-get "
        "install libpostgresql-jdbc-java"
    ) in refused.stderr, refused.stderr
    assert not (cluster.folder / "pids").exists()
    # Not ours: a process whose pid a stale file of the cluster names, with another start.
    bystander = subprocess.Popen(["sleep", "300"], start_new_session=True)  # noqa: S603, S607
    try:
        started = make("spark-up", environ)
        assert started.returncode == 0, started.stdout + started.stderr
        pids = spark_cluster.recorded(cluster)
        assert sorted(pids) == ["master", "thrift", "worker-1", "worker-2"]

        workers = fetch_json(cluster.master_status_url)["workers"]
        assert [(w["state"], w["cores"], w["memory"]) for w in workers] == [
            ("ALIVE", 1, 2048),
            ("ALIVE", 1, 2048),
        ]
        for port in (master, master_ui, thrift, thrift_ui):  # Java's IPv6 socket: ::ffff:
            addresses = {ipaddress.ip_address(a) for a in listening_addresses(port)}
            addresses = {getattr(a, "ipv4_mapped", None) or a for a in addresses}
            assert addresses == {ipaddress.ip_address("127.0.0.1")}, port

        # A query through the Thrift server runs on both workers' executors.
        beeline = spark_cluster.spark_home() / "bin" / "beeline"
        query = "select count(*) as n from (select id from range(0, 100000, 1, 4)) t"
        answer = subprocess.run(  # noqa: S603
            [
                str(beeline),
                "-u",
                f"jdbc:hive2://127.0.0.1:{thrift}",
                "--outputformat=csv2",
                "--silent=true",
            ]
            + ["-e", query],
            env=spark_cluster.base_environment(cluster),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert answer.returncode == 0, answer.stderr[-3000:]
        # The header follows beeline's prompt on its line: "0: jdbc:hive2://...> n".
        assert answer.stdout.endswith("> n\n100000\n"), answer.stdout
        [application] = fetch_json(cluster.thrift_status_url)
        executors = fetch_json(f"{cluster.thrift_status_url}/{application['id']}/executors")
        working = [e for e in executors if e["id"] != "driver" and e["totalTasks"] > 0]
        assert len(working) == 2, executors

        # dbt over the network: the sample seeds, every model, data test and unit test.
        home = copy_project(tmp_path / "project")
        dbt = Path(sys.executable).with_name("dbt")
        built = subprocess.run(  # noqa: S603
            [str(dbt), "build", "--target", "spark_cluster"]
            + ["--project-dir", str(home / "dbt_project"), "--profiles-dir", str(home)],
            env={**os.environ, **environ},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert built.returncode == 0, built.stdout[-5000:]
        summary = re.search(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)", built.stdout)
        assert summary and summary.group(3, 4) == ("0", "0"), built.stdout[-3000:]
        unit_tests = re.findall(r"PASS \S+::(test_\w+)", built.stdout)
        assert len(unit_tests) == int(re.search(r"(\d+) unit tests", built.stdout).group(1))
        from pyhive import hive

        with hive.connect(host="127.0.0.1", port=thrift) as connection:
            cursor = connection.cursor()
            cursor.execute(
                "select customer_id, channel, interaction_count from marts.answers_by_customer"
                " order by customer_id, display_order"
            )
            answers = {}
            for customer_id, channel, count in cursor.fetchall():
                answers.setdefault(customer_id, {})[channel] = count
        assert answers == SAMPLE

        # The cluster writes into PostgreSQL itself (JDBC, from the executors): the mart's
        # rows arrive whole in a table PostgreSQL defined.
        with postgres_database() as dbname:
            with psycopg.connect(dbname=dbname, autocommit=True) as connection:
                connection.execute(
                    "create table answers (customer_id bigint, channel text, "
                    "interaction_count bigint)"
                )
            with hive.connect(host="127.0.0.1", port=thrift) as connection:
                cursor = connection.cursor()
                cursor.execute(
                    "create temporary view published using org.apache.spark.sql.jdbc options "
                    f"(url 'jdbc:postgresql://{PG_HOST_PORT}/{dbname}', dbtable 'answers', "
                    f"user '{PG_USER}', driver 'org.postgresql.Driver')"
                )
                cursor.execute(
                    "insert into table published select customer_id, channel, interaction_count"
                    " from marts.answers_by_customer"
                )
            with psycopg.connect(dbname=dbname) as connection:
                rows = connection.execute(
                    "select customer_id, channel, interaction_count from answers"
                ).fetchall()
        published = {}
        for customer_id, channel, count in rows:
            published.setdefault(customer_id, {})[channel] = count
        assert published == SAMPLE
        # The build's work ran on both workers' executors: `status` shows tasks per executor.
        shown = subprocess.run(  # noqa: S603
            [sys.executable, str(ROOT / "scripts" / "spark_cluster.py"), "status"],
            env={**os.environ, **environ},
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        assert "application interactions-thrift: 2 executors" in shown, shown
        tasks = [int(n) for n in re.findall(r"executor .+: (\d+) tasks", shown)]
        assert len(tasks) == 2 and min(tasks) > 100, shown  # the build's hundreds of queries

        # A stale pid file naming the bystander's pid (another start time) is not ours.
        (cluster.folder / "pids" / "stale.pid").write_text(f"{bystander.pid} 1\n")
        stopped = make("spark-down", environ)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert all(spark_cluster.start_time(pid) is None for pid in pids.values())
        assert bystander.poll() is None  # still running
        assert list((cluster.folder / "pids").iterdir()) == []
        for port in (master, thrift):
            assert listening_addresses(port) == set()
        again = make("spark-down", environ)
        assert "nothing of this cluster is running" in again.stdout
    finally:
        bystander.kill()
        bystander.wait()
        spark_cluster.down(cluster)
