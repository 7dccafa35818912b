"""`make spark-up` and `make spark-down` (scripts/spark_cluster.py): a standalone Spark cluster
from the locked pyspark package, on this machine (issue 17, item 1).

The session's cluster (the `cluster` fixture, tests/spark_clusters.py, shared with
test_spark_cluster_import.py) is a master, two workers of one core and 2 GB, and the Thrift
server on them, each listening on 127.0.0.1 only; a query sent through the Thrift server
(beeline, HiveServer2's protocol) runs on both workers' executors (Spark's status API: tasks
per executor); the cluster writes rows into a table PostgreSQL defined (JDBC, from the
executors). `make spark-down` at the session's end stops exactly the processes `up` recorded
(a pid file whose number another process reuses is not signalled) and is checked there.
dbt over the network (`--target spark_cluster`, every model, data test and unit test) is
proven by the cluster import (test_spark_cluster_import.py).
"""

import ipaddress
import os
import subprocess
import sys

import psycopg
import pytest

from tests.spark_clusters import (
    PG_HOST_PORT,
    PG_USER,
    PORTS,
    ROOT,
    cluster_environment,
    fetch_json,
    make,
    spark_cluster,
    tasks_per_executor,
)
from tests.test_serve import listening_addresses
from tests.test_spark import require_spark
from tests.warehouses import postgres_database

pytestmark = pytest.mark.spark


def test_spark_up_without_the_jdbc_driver_starts_nothing_and_says_what_to_install(tmp_path):
    require_spark()
    environ = cluster_environment(tmp_path / "cluster")
    refused = make("spark-up", {**environ, "SPARK_JDBC_JAR": str(tmp_path / "absent.jar")})
    assert refused.returncode != 0
    assert (
        f"spark-up: PostgreSQL's JDBC driver is not at {tmp_path / 'absent.jar'}: apt-get "
        "install libpostgresql-jdbc-java"
    ) in refused.stderr, refused.stderr
    assert not (tmp_path / "cluster" / "pids").exists()


def test_the_cluster_is_two_workers_listening_on_loopback_only(cluster):
    status = spark_cluster.Cluster.from_environment(cluster)
    workers = fetch_json(status.master_status_url)["workers"]
    assert [(w["state"], w["cores"], w["memory"]) for w in workers] == [
        ("ALIVE", 1, 2048),
        ("ALIVE", 1, 2048),
    ]
    for port in (int(cluster[name]) for name in PORTS):  # Java's IPv6 socket: ::ffff:
        addresses = {ipaddress.ip_address(a) for a in listening_addresses(port)}
        addresses = {getattr(a, "ipv4_mapped", None) or a for a in addresses}
        assert addresses == {ipaddress.ip_address("127.0.0.1")}, port


def test_a_query_through_the_thrift_server_runs_on_both_workers(cluster):
    before = tasks_per_executor(cluster)
    beeline = spark_cluster.spark_home() / "bin" / "beeline"
    query = "select count(*) as n from (select id from range(0, 100000, 1, 4)) t"
    answer = subprocess.run(  # noqa: S603
        [
            str(beeline),
            "-u",
            f"jdbc:hive2://127.0.0.1:{cluster['SPARK_THRIFT_PORT']}",
            "--outputformat=csv2",
            "--silent=true",
        ]
        + ["-e", query],
        env=spark_cluster.base_environment(spark_cluster.Cluster.from_environment(cluster)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr[-3000:]
    # The header follows beeline's prompt on its line: "0: jdbc:hive2://...> n".
    assert answer.stdout.endswith("> n\n100000\n"), answer.stdout
    after = tasks_per_executor(cluster)
    assert len(after) == 2, after
    assert all(after[e] > before.get(e, 0) for e in after), (before, after)
    # `spark_cluster.py status` shows the same: two executors and their tasks.
    shown = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "scripts" / "spark_cluster.py"), "status"],
        env={**os.environ, **cluster},
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert "application interactions-thrift: 2 executors" in shown, shown


def test_the_cluster_writes_rows_into_a_table_postgresql_defined(cluster):
    """JDBC from the executors: the rows arrive whole, in PostgreSQL's types."""
    from pyhive import hive

    with postgres_database() as dbname:
        with psycopg.connect(dbname=dbname, autocommit=True) as connection:
            connection.execute(
                "create table answers (customer_id bigint primary key, channel text, "
                "interaction_count bigint)"
            )
        with hive.connect(host="127.0.0.1", port=int(cluster["SPARK_THRIFT_PORT"])) as connection:
            cursor = connection.cursor()
            cursor.execute(
                "create temporary view published using org.apache.spark.sql.jdbc options "
                f"(url 'jdbc:postgresql://{PG_HOST_PORT}/{dbname}', dbtable 'answers', "
                f"user '{PG_USER}', driver 'org.postgresql.Driver')"
            )
            cursor.execute(
                "insert into table published select id, case when id % 2 = 0 then 'Email'"
                " else 'Bird' end, id * 3 from range(1, 1001, 1, 4)"
            )
        with psycopg.connect(dbname=dbname) as connection:
            rows = connection.execute(
                "select count(*), sum(customer_id), count(*) filter (where channel = 'Email'),"
                " sum(interaction_count) from answers"
            ).fetchone()
    assert rows == (1000, 500500, 500, 1501500)
