"""What `make test` needs beyond Python, provided where it can be and checked before anything
else runs (seconds, or the minute apt takes on a new machine).

    python scripts/check_test_needs.py postgres spark browser

A missing need is first provided where this machine allows it, as CI's machine does: as root
with apt-get, Debian's packages (Chromium, PostgreSQL's JDBC driver, Java 17); a local
PostgreSQL cluster on PGPORT that is down is started (pg_ctlcluster). A need still missing
fails at once, naming what is missing and how to provide it, unless its opt-out variable is
set: then the tests that need it are skipped, and pytest's summary (`-rs`) lists them with the
reason. A green `make test` therefore ran every test, or says which it did not.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

NEEDS = {
    "postgres": (
        "SKIP_POSTGRES",
        "PostgreSQL is not answering on PGHOST/PGPORT as PGUSER",
        "start it (docs/OPERATIONS.md, PostgreSQL: `pg_ctlcluster 15 main start`, trust auth"
        " for PGUSER)",
    ),
    "spark": (
        "SKIP_SPARK",
        "PySpark (make install-spark), Java 17 and PostgreSQL's JDBC driver (the cluster writes "
        "into PostgreSQL with it) are needed for the Spark tests",
        "run `make install-spark` and install Java 17 and the driver (`apt-get install -y "
        "openjdk-17-jre libpostgresql-jdbc-java`; SPARK_JDBC_JAR names another jar)",
    ),
    "browser": (
        "SKIP_BROWSER",
        "Chromium is needed for the website tests",
        "run `apt-get install -y chromium` (or set CHROMIUM_PATH to a Chromium binary)",
    ),
}


def postgres_answers() -> bool:
    import psycopg

    try:
        with psycopg.connect(dbname="postgres", connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def has_java() -> bool:
    return shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))


def jdbc_jar() -> Path:
    return Path(os.environ.get("SPARK_JDBC_JAR", "/usr/share/java/postgresql.jar"))


def spark_ready() -> bool:
    return importlib.util.find_spec("pyspark") is not None and has_java() and jdbc_jar().is_file()


def chromium() -> str:
    return os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def browser_ready() -> bool:
    return shutil.which(chromium()) is not None or Path(chromium()).exists()


CHECKS = {"postgres": postgres_answers, "spark": spark_ready, "browser": browser_ready}


def can_install() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def apt_install(packages: list[str]) -> None:
    print(f"make test: installing {' '.join(packages)} with apt-get", flush=True)
    environ = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        subprocess.run(command, env=environ, stdout=subprocess.DEVNULL, check=False)  # noqa: S603


def start_local_postgres() -> None:
    """Start the local cluster (pg_lsclusters) that listens on PGPORT and is down, if any."""
    if not (os.geteuid() == 0 and shutil.which("pg_lsclusters")):
        return
    if os.environ.get("PGHOST", "127.0.0.1") not in ("127.0.0.1", "localhost", "::1"):
        return
    listed = subprocess.run(
        ["pg_lsclusters", "--no-header"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    port = os.environ.get("PGPORT", "5432")
    for version, name, cluster_port, status, *_ in (line.split() for line in listed.splitlines()):
        if cluster_port == port and status == "down":
            print(f"make test: starting the local PostgreSQL cluster {version}/{name}", flush=True)
            started = subprocess.run(  # noqa: S603
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start"],  # noqa: S607
                check=False,
            )
            for _ in range(30):
                if started.returncode != 0 or postgres_answers():
                    return
                time.sleep(1)


def provide(need: str) -> None:
    """Provide a missing need where this machine allows it."""
    if need == "postgres":
        start_local_postgres()
    elif can_install() and need == "browser" and chromium() == "/usr/bin/chromium":
        apt_install(["chromium"])
    elif can_install() and need == "spark":
        packages = [] if has_java() else ["openjdk-17-jre-headless"]
        if not jdbc_jar().is_file() and "SPARK_JDBC_JAR" not in os.environ:
            packages.append("libpostgresql-jdbc-java")
        if packages:
            apt_install(packages)


def opted_out(variable: str) -> bool:
    return os.environ.get(variable, "").lower() in ("1", "true", "yes")


def main(needs: list[str]) -> int:
    missing = []
    for need in needs:
        variable, what, how = NEEDS[need]
        if opted_out(variable):
            print(f"make test: {variable} is set: the tests that need it are skipped")
            continue
        if not CHECKS[need]():
            provide(need)
        if not CHECKS[need]():
            missing.append(f"  {what}: {how}; or set {variable}=1 to skip those tests")
    if missing:
        print("make test: cannot run every test:\n" + "\n".join(missing), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    unknown = [need for need in sys.argv[1:] if need not in NEEDS]
    if unknown:
        sys.exit(f"check_test_needs: unknown need(s) {unknown}; known: {sorted(NEEDS)}")
    sys.exit(main(sys.argv[1:]))
