"""Benchmark `interactions import` on a workbook of 1,000,000 interactions and 100,000 customers.

    make bench-import                          # both warehouses
    BENCH_WAREHOUSES=duckdb make bench-import  # one of them
    make spark-up && BENCH_WAREHOUSES=spark_cluster make bench-import  # through the cluster

The workbook is generated once (about a minute, openpyxl) into .bench/ (git-ignored) and
reused. For each warehouse: a copy of the project under .bench/ whose sample data is built
and live (PostgreSQL: a database of its own, BENCH_PGDATABASE, dropped at the end), then
`interactions import` of the big workbook, then the API's first answer from the new marts.
Printed: the time of each stage (the import's own report), the time from .xlsx to a served
answer, and the peak memory of the import's processes (it and its dbt child, summed, sampled
every 20 ms; the database server's own memory is not included). A benchmark, not a test:
the targets (issue 15) are at most 12 s on DuckDB and 15 s on PostgreSQL, under 1.5 GB, on
this 2-core machine. Then the floor, in the same run (floor()): python-calamine reading the
sheets, a bulk load of them, one SQL statement computing the answers; the import's ratio to it
is printed. Then the rollback: back to the sample (version 1), and `interactions rollback 2`
timed, the 1M version live again: the target is at most 20 s.

spark_cluster (issue 17; a cluster started by `make spark-up`, SPARK_* variables as for it):
for 100,000 and then 1,000,000 interactions (the smaller workbook generated once too), the
sample goes live on PostgreSQL, then `WAREHOUSE=spark_cluster interactions import` builds on
the cluster and publishes into PostgreSQL; printed: each stage (the cluster's dbt build, the
publish), the time to the API's first answer and the tasks per executor. No target: these are
the figures the issue asks for.
"""

import csv
import datetime
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import openpyxl
import psycopg
import python_calamine
from psycopg import sql

from core.sheets import INTERACTIONS as INTERACTIONS_SHEET
from core.sheets import SHEETS

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / ".bench"
WORKBOOK = BENCH / "interactions-1m.xlsx"
CUSTOMERS = 100_000
INTERACTIONS = 1_000_000
TARGET_SECONDS = {"duckdb": 12.0, "postgres": 15.0}  # .xlsx to served answers (issue 15)
TARGET_MEMORY_MB = 1536
TARGET_ROLLBACK_SECONDS = 20.0
# What a real export holds besides clean rows: aliases, case and spaces, a channel nobody
# knows, ids as text, customers missing from the Customers sheet.
CHANNELS = ["Email", "Call", "Bird", "e-mail", " phone ", "EMAIL", "Phone call", "mail"]
OCCUPATIONS = ["Jedi", "Batman", "Santa Claus", "Doctor", "Plummer", "Teacher", ""]
TYPES = ["Red", "Orange", "Blue", "Green"]
PRODUCTS = ["Sand", "Orange", "Water", "Salt"]


def generate_workbook(
    path: Path, customers_count: int = CUSTOMERS, interactions_count: int = INTERACTIONS
) -> None:
    """The big workbook (or one of another size), deterministic: same seed, same file."""
    started = time.monotonic()
    print(f"generating {path.relative_to(ROOT)} (once; about a minute) ...", flush=True)
    rng = random.Random(4)  # noqa: S311 - test data, not security
    book = openpyxl.Workbook(write_only=True)
    customers_sheet, interactions_sheet, products_sheet = SHEETS  # seeds/_seeds.yml
    customers = book.create_sheet(customers_sheet.name)
    customers.append(customers_sheet.headers)
    for customer_id in range(1, customers_count + 1):
        customers.append([customer_id, rng.choice(OCCUPATIONS), rng.choice(TYPES)])
    interactions = book.create_sheet(interactions_sheet.name)
    interactions.append(interactions_sheet.headers)
    first = datetime.datetime(2015, 1, 1)
    minutes = 10 * 365 * 24 * 60
    for row in range(interactions_count):
        started_at = first + datetime.timedelta(minutes=rng.randrange(minutes))
        # One in five dates typed as text (day-first), the rest real date cells.
        date_start = started_at.strftime("%d/%m/%Y %H:%M") if row % 5 == 0 else started_at
        channel = "Pigeon" if row % 100 == 7 else rng.choice(CHANNELS)
        # Ids up to 110% of the customers: about one in eleven is not in the Customers sheet.
        customer = rng.randrange(1, customers_count + customers_count // 10 + 1)
        interactions.append([date_start, channel, f"{customer}.0" if row % 50 == 3 else customer])
    products = book.create_sheet(products_sheet.name)
    products.append(products_sheet.headers)
    for year in range(2015, 2025):
        for month in range(1, 13):
            products.append([f"{month:02d}-{year}", rng.choice(PRODUCTS)])
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.xlsx")
    book.save(partial)
    os.replace(partial, path)
    print(f"generated in {time.monotonic() - started:.0f} s", flush=True)


def copy_project(home: Path) -> Path:
    """A project of its own for the benchmark, with the sample seeds."""
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    ignore = shutil.ignore_patterns("target", "logs")
    shutil.copytree(ROOT / "dbt_project", home / "dbt_project", ignore=ignore)
    shutil.copytree(ROOT / "seeds", home / "seeds")
    shutil.copytree(ROOT / "postgres", home / "postgres")
    shutil.copy(ROOT / "profiles.yml", home / "profiles.yml")
    (home / "warehouse").mkdir()
    return home


def process_tree(pid: int):
    """A process and all its descendants: the pids that are still there (from /proc)."""
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
        yield current


def proc_kb(pid: int, file: str, field: str) -> int:
    """A kB figure of /proc/<pid>/<file> (status: VmRSS; smaps_rollup: Pss, Rss); 0 once the
    process is gone."""
    try:
        text = Path(f"/proc/{pid}/{file}").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) if match else 0


def process_tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, in kB."""
    return sum(proc_kb(current, "status", "VmRSS") for current in process_tree(pid))


def run_measured(command: list[str], env: dict[str, str]) -> tuple[int, str, float, int]:
    """Run `command`; return its exit code, output, seconds and peak tree memory (kB)."""
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603 - fixed argument list
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak = 0
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process_tree_rss_kb(process.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.stdout.read()
    process.wait()
    seconds = time.monotonic() - started
    done.set()
    sampler.join()
    return process.returncode, output, seconds, peak


def first_answer(env: dict[str, str]) -> tuple[float, str]:
    """Seconds for the API's first answer from the live marts, and the answer."""
    code = (
        "import os, sys, time; from api import create_app; started = time.monotonic(); "
        "body = create_app({'TESTING': True}).test_client().get('/api/v1/interactions/1'); "
        "print(f'{time.monotonic() - started:.3f}', body.get_data(as_text=True).strip()); "
        "sys.stdout.flush(); os._exit(0)"  # the answer is all we need: no teardown
    )
    result = subprocess.run(  # noqa: S603 - fixed argument list
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0 or " " not in result.stdout:
        raise RuntimeError(f"the API gave no answer: {result.stderr.strip()[-2000:]}")
    seconds, body = result.stdout.strip().split(" ", 1)
    return float(seconds), body


def floor(warehouse: str, env: dict[str, str]) -> dict[str, float]:
    """What any import of the workbook must at least do, timed per stage: python-calamine
    reads every cell of the three sheets; the rows are written as CSV and bulk-loaded into
    tables of text (DuckDB's read_csv, PostgreSQL's COPY), as the import lands them; one SQL
    statement computes the answers per customer and channel (aliases folded by a CASE on
    lower(trim()), ids as whole numbers). No cleaning rules, quarantine, tests, versions or
    go-live: the import's ratio to this is the price of those."""
    stages = {}
    started = time.monotonic()
    book = python_calamine.CalamineWorkbook.from_path(str(WORKBOOK))
    sheets = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
    stages["read"] = time.monotonic() - started

    started = time.monotonic()
    folder = BENCH / f"floor-{warehouse}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = {}
    for number, rows in enumerate(sheets.values()):
        files[f"raw_{number}"] = path = folder / f"sheet-{number}.csv"
        with open(path, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow([f"c{i}" for i in range(len(rows[0]))])
            writer.writerows(rows[1:])
    interactions = f"raw_{list(sheets).index(INTERACTIONS_SHEET.name)}"
    answer = f"""
        create table answers as
        select
            cast(split_part(c2, '.', 1) as bigint) as customer_id,
            case lower(trim(c1))
                when 'email' then 'Email' when 'e-mail' then 'Email' when 'mail' then 'Email'
                when 'call' then 'Call' when 'phone' then 'Call' when 'phone call' then 'Call'
                when 'bird' then 'Bird'
            end as channel,
            count(*) as interaction_count
        from {interactions}
        group by 1, 2
    """  # noqa: S608 - the bench's own table name
    if warehouse == "duckdb":
        connection = duckdb.connect(str(folder / "floor.duckdb"))
        for table, path in files.items():
            connection.execute(
                f"create table {table} as select * from read_csv(?, header = true, "  # noqa: S608
                "all_varchar = true)",
                [str(path)],
            )
        stages["load"] = time.monotonic() - started
        started = time.monotonic()
        connection.execute(answer)
        connection.close()
    else:
        with psycopg.connect(dbname=env["PGDATABASE"], autocommit=True) as connection:
            for table, path in files.items():
                with open(path, encoding="utf-8") as source:
                    header = source.readline().strip().split(",")
                    columns = sql.SQL(", ").join(
                        sql.SQL("{} text").format(sql.Identifier(c)) for c in header
                    )
                    connection.execute(
                        sql.SQL("create unlogged table {} ({})").format(
                            sql.Identifier(table), columns
                        )
                    )
                    copy = sql.SQL("copy {} from stdin with (format csv)").format(
                        sql.Identifier(table)
                    )
                    with connection.cursor().copy(copy) as stream:
                        while chunk := source.read(1 << 20):
                            stream.write(chunk)
            stages["load"] = time.monotonic() - started
            started = time.monotonic()
            connection.execute(answer)
    stages["answers (one statement)"] = time.monotonic() - started
    shutil.rmtree(folder, ignore_errors=True)
    return stages


CLUSTER_SIZES = {100_000: BENCH / "interactions-100k.xlsx", INTERACTIONS: WORKBOOK}


def bench(warehouse: str) -> bool:
    if warehouse == "spark_cluster":
        return all(bench_cluster(rows, path) for rows, path in CLUSTER_SIZES.items())
    home = copy_project(BENCH / f"home-{warehouse}")
    env = {
        **os.environ,
        "WAREHOUSE": warehouse,
        "INTERACTIONS_HOME": str(home),
        "DUCKDB_PATH": str(home / "warehouse" / "interactions.duckdb"),
    }
    interactions = str(Path(sys.executable).with_name("interactions"))
    database = os.environ.get("BENCH_PGDATABASE", "interactions_bench")
    if warehouse == "postgres":
        env["PGDATABASE"] = database
        with psycopg.connect(dbname="postgres", autocommit=True) as connection:
            name = sql.Identifier(database)
            connection.execute(sql.SQL("drop database if exists {} with (force)").format(name))
            connection.execute(sql.SQL("create database {}").format(name))
        role_sql = str(home / "postgres" / "create_api_role.sql")  # as `make pg-setup` does
        subprocess.run(  # noqa: S603
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-f", role_sql],  # noqa: S607
            check=True,
            capture_output=True,
        )
    try:
        print(f"\n== {warehouse}: the sample data first (as live data to replace) ...", flush=True)
        subprocess.run([interactions, "build"], env=env, check=True, capture_output=True)  # noqa: S603
        print(f"== {warehouse}: interactions import {WORKBOOK.relative_to(ROOT)}", flush=True)
        code, output, seconds, peak_kb = run_measured([interactions, "import", str(WORKBOOK)], env)
        print(output.rstrip())
        if code != 0:
            print(f"{warehouse}: the import failed (exit {code})")
            return False
        answer_seconds, answer = first_answer(env)
        total = seconds + answer_seconds
        peak_mb = peak_kb / 1024
        print(f"first API answer: {answer_seconds:.2f} s: GET /api/v1/interactions/1 -> {answer}")
        print(
            f"{warehouse}: .xlsx to served answers {total:.1f} s "
            f"(target <= {TARGET_SECONDS[warehouse]:.0f} s), "
            f"peak memory {peak_mb:.0f} MB (target < {TARGET_MEMORY_MB} MB)"
        )
        stages = floor(warehouse, env)
        floor_seconds = sum(stages.values())
        print(
            f"{warehouse}: floor {floor_seconds:.1f} s ("
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in stages.items())
            + f"); the import takes {total / floor_seconds:.1f} times the floor"
        )
        subprocess.run([interactions, "rollback", "1"], env=env, check=True, capture_output=True)  # noqa: S603
        started = time.monotonic()
        subprocess.run([interactions, "rollback", "2"], env=env, check=True, capture_output=True)  # noqa: S603
        rollback_seconds = time.monotonic() - started
        print(
            f"{warehouse}: interactions rollback 2 (the 1M version live again) "
            f"{rollback_seconds:.1f} s (target <= {TARGET_ROLLBACK_SECONDS:.0f} s)"
        )
        return (
            total <= TARGET_SECONDS[warehouse]
            and peak_mb < TARGET_MEMORY_MB
            and rollback_seconds <= TARGET_ROLLBACK_SECONDS
        )
    finally:
        if warehouse == "postgres":
            with psycopg.connect(dbname="postgres", autocommit=True) as connection:
                connection.execute(
                    sql.SQL("drop database if exists {} with (force)").format(
                        sql.Identifier(database)
                    )
                )


def executor_tasks() -> str:
    """Tasks per executor of the cluster's Thrift application (Spark's status API)."""
    import json
    import urllib.request

    base = f"http://127.0.0.1:{os.environ.get('SPARK_THRIFT_UI_PORT', '4040')}/api/v1/applications"
    with urllib.request.urlopen(base, timeout=10) as answer:  # noqa: S310 - loopback
        [application] = json.load(answer)
    with urllib.request.urlopen(f"{base}/{application['id']}/executors", timeout=10) as answer:  # noqa: S310
        executors = json.load(answer)
    return ", ".join(
        f"executor {e['id']} ({e['hostPort']}) {e['totalTasks']} tasks"
        for e in executors
        if e["id"] != "driver"
    )


def bench_cluster(rows: int, workbook: Path) -> bool:
    if not workbook.exists():
        generate_workbook(workbook, rows // 10, rows)
    home = copy_project(BENCH / "home-spark_cluster")
    database = os.environ.get("BENCH_PGDATABASE", "interactions_bench")
    env = {**os.environ, "INTERACTIONS_HOME": str(home), "PGDATABASE": database}
    interactions = str(Path(sys.executable).with_name("interactions"))
    with psycopg.connect(dbname="postgres", autocommit=True) as connection:
        name = sql.Identifier(database)
        connection.execute(sql.SQL("drop database if exists {} with (force)").format(name))
        connection.execute(sql.SQL("create database {}").format(name))
    try:
        print(f"\n== spark_cluster, {rows:,} interactions: the sample live on PostgreSQL first")
        subprocess.run(  # noqa: S603
            [interactions, "build"], env={**env, "WAREHOUSE": "postgres"}, check=True,
            capture_output=True,
        )  # fmt: skip
        print(f"== WAREHOUSE=spark_cluster interactions import {workbook.relative_to(ROOT)}")
        code, output, seconds, _ = run_measured(
            [interactions, "import", str(workbook)], {**env, "WAREHOUSE": "spark_cluster"}
        )
        print(output.rstrip())
        if code != 0:
            print(f"spark_cluster: the import failed (exit {code})")
            return False
        answer_seconds, answer = first_answer({**env, "WAREHOUSE": "postgres"})
        stages = dict(re.findall(r"(dbt build|publish) ([\d.]+) s", output))
        print(f"first API answer: {answer_seconds:.2f} s: GET /api/v1/interactions/1 -> {answer}")
        print(
            f"spark_cluster, {rows:,} interactions: .xlsx to served answers "
            f"{seconds + answer_seconds:.1f} s (build on the cluster {stages['dbt build']} s, "
            f"publish into PostgreSQL {stages['publish']} s); {executor_tasks()}"
        )
        return True
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True) as connection:
            connection.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(database))
            )


def main() -> int:
    if not WORKBOOK.exists():
        generate_workbook(WORKBOOK)
    size_mb = WORKBOOK.stat().st_size / 1e6
    print(
        f"workbook: {WORKBOOK.relative_to(ROOT)} ({size_mb:.0f} MB), "
        f"{INTERACTIONS:,} interactions, {CUSTOMERS:,} customers"
    )
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    warehouses = os.environ.get("BENCH_WAREHOUSES", "duckdb postgres").replace(",", " ").split()
    results = {warehouse: bench(warehouse) for warehouse in warehouses}
    print()
    for warehouse, met in results.items():
        print(f"{warehouse}: {'within' if met else 'OUTSIDE'} the targets")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
