"""What `make test` needs beyond Python, checked before anything else runs (a few seconds).

    python scripts/check_test_needs.py postgres spark browser

Each need that is missing fails at once, naming what is missing and how to provide it, unless
its opt-out variable is set: then the tests that need it are skipped, and pytest's summary
(`-rs`) lists them with the reason. A green `make test` therefore ran every test, or says
which it did not.
"""

import importlib.util
import os
import shutil
import sys
from pathlib import Path

NEEDS = {
    "postgres": (
        "SKIP_POSTGRES",
        "PostgreSQL is not answering on PGHOST/PGPORT as PGUSER",
        "start it (README, PostgreSQL: `pg_ctlcluster 15 main start`, trust auth for PGUSER)",
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


def spark_ready() -> bool:
    has_java = shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))
    jdbc_jar = Path(os.environ.get("SPARK_JDBC_JAR", "/usr/share/java/postgresql.jar"))
    return importlib.util.find_spec("pyspark") is not None and has_java and jdbc_jar.is_file()


def browser_ready() -> bool:
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    return shutil.which(chromium) is not None or Path(chromium).exists()


CHECKS = {"postgres": postgres_answers, "spark": spark_ready, "browser": browser_ready}


def opted_out(variable: str) -> bool:
    return os.environ.get(variable, "").lower() in ("1", "true", "yes")


def main(needs: list[str]) -> int:
    missing = []
    for need in needs:
        variable, what, how = NEEDS[need]
        if opted_out(variable):
            print(f"make test: {variable} is set: the tests that need it are skipped")
        elif not CHECKS[need]():
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
