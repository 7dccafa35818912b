"""Benchmark the read API against what Flask itself can serve.

    make bench                                # both warehouses, both sizes
    BENCH_WAREHOUSES=duckdb make bench        # one warehouse
    BENCH_SECONDS=20 make bench               # longer measured runs (default 10 s each)

Data: the import benchmark's generator (scripts/bench_import.py), at 1,000,000 interactions and
100,000 customers (its cached .bench/interactions-1m.xlsx) and at 10,000 interactions and 1,000
customers, each imported with `interactions import` into a project copy under .bench/
(PostgreSQL: databases of their own, dropped at the end). Servers: the API itself
(`interactions serve`, its production settings: Granian, WEB_CONCURRENCY=2 workers of 2
threads, access log on); the ceiling, a Flask app returning a constant JSON body, under the
faster of Granian with the same settings and Granian with one thread per worker (access log
on: each measured three times in turn first); and the baseline, a Flask app opening a new
PostgreSQL connection per request (what the API did before its pool), under Granian.
Load: wrk with one thread (leaving the cores to the servers) and 8 connections, a Lua script
picking a random customer id of the sheet (and a random topic) per request, after a warm-up in
which every API worker loads its answer cache. The ceiling runs just before each measured
server, and that server's ratio is to that run (the machine's load then changes little between
the two). Measured: GET /api/v1/interactions/{id} (the answer cache) at both sizes, and every
other read endpoint at 1M. A benchmark, not a test: the goals are, at 1M on both warehouses, a
ratio of at least 0.85 and a p99 of at most 5 ms for the cached endpoint (and a 1M latency at
most 1.2 times the 10k latency), and a ratio of at least 0.6 and a p99 of at most 5 ms for
every other endpoint; each line says met or not, and the exit status whether all were.

Memory (issue 15, goal 2): once every worker has loaded the answers, the API's memory, all its
processes together (the sum of their proportional set sizes: the answer file the workers map
counts once; the summed resident sets are printed too), at each size, the third with the
Customers sheet at Excel's row limit (1,048,575 customers, 1M interactions); the goal: at most
1.5 times the memory at 10k interactions plus the size of the answer file.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_import  # noqa: E402 - the workbook generator, beside this script

ROOT = bench_import.ROOT
sys.path.insert(0, str(ROOT))
from core import serving  # noqa: E402 - how `interactions serve` runs Granian

BENCH = bench_import.BENCH
SIZES = {  # name: (customers, interactions, workbook)
    "10k": (1_000, 10_000, BENCH / "interactions-10k.xlsx"),
    "1M": (bench_import.CUSTOMERS, bench_import.INTERACTIONS, bench_import.WORKBOOK),
    # The Customers sheet at Excel's row limit: the memory goal (and the cached endpoint).
    "1M-cust": (1_048_575, bench_import.INTERACTIONS, BENCH / "interactions-1m-customers.xlsx"),
}
MEMORY_BASE_SIZE = "10k"
MEMORY_SIZE = "1M-cust"
TARGET_MEMORY_GROWTH = 1.5  # the API's memory at MEMORY_SIZE <= 1.5 x at 10k + the answer file
WORKERS = str(serving.WORKERS)
CONNECTIONS = 8
THREADS = 1  # the load generator leaves the cores to the servers
WARMUP_SECONDS = 3
WARMUP_LIMIT = 300
TARGET_RATIO = 0.85
TARGET_P99_MS = 5.0
TARGET_FLATNESS = 1.2
CONSTANT_BODY = {"data": {"customer_id": 1, "interactions": {"Email": 1, "Call": 0, "Bird": 0}}}
TARGET_OTHER_RATIO = 0.6  # every other read endpoint (issue 31)
TARGET_OTHER_P99_MS = 5.0
# Each read endpoint at 1M, as a Lua expression of its path: `id` is a random customer id of
# the sheet, `topic` a random topic of /api/v1/topics (URL-encoded).
CACHED = "interactions/{id}"
ENDPOINTS = {
    CACHED: '"/api/v1/interactions/" .. id',
    "interactions/{id}/topics": '"/api/v1/interactions/" .. id .. "/topics"',
    "interactions/{id}?topic=": '"/api/v1/interactions/" .. id .. "?topic=" .. topic',
    "by-customer-type": '"/api/v1/interactions/by-customer-type"',
    "by-customer-type?topic=": '"/api/v1/interactions/by-customer-type?topic=" .. topic',
    "customers?cursor=": '"/api/v1/customers?cursor=" .. id',
    "data-quality": '"/api/v1/data-quality"',
    "channels": '"/api/v1/channels"',
    "topics": '"/api/v1/topics"',
}
LUA = """
math.randomseed(os.time())
local topics = {%(topics)s}
request = function()
  local id = math.random(1, %(customers)d)
  local topic = topics[math.random(1, #topics)]
  return wrk.format("GET", %(path)s)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT {\\"requests\\":%%d,\\"duration_us\\":%%d,\\"socket_errors\\":%%d,"
    .. "\\"non_2xx\\":%%d,\\"p50_us\\":%%d,\\"p99_us\\":%%d,\\"mean_us\\":%%.1f}\\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout,
    e.status, latency:percentile(50), latency:percentile(99), latency.mean))
end
"""


# --- the two comparison apps, served by Granian as `bench_api:ceiling_app` etc. -------------


def ceiling_app():
    """A Flask handler returning a constant JSON body: what this stack can serve at best."""
    from flask import Flask

    app = Flask(__name__)
    app.json.sort_keys = False
    app.json.compact = True

    @app.get("/api/v1/interactions/<customer_id>")
    def constant(customer_id):
        return CONSTANT_BODY

    return app


def new_connection_app():
    """The API's answer from PostgreSQL with a new connection per request (no pool)."""
    from flask import Flask

    from api import queries
    from api.warehouse import placeholders

    app = Flask(__name__)
    app.json.sort_keys = False
    app.json.compact = True
    text = placeholders(queries.CUSTOMER_INTERACTIONS, "pyformat")

    @app.get("/api/v1/interactions/<int:customer_id>")
    def for_customer(customer_id):
        with psycopg.connect(user="interactions_api", autocommit=True) as connection:
            rows = connection.execute(text, {"customer_id": customer_id})
            counts = dict(rows.fetchall())
        return {"data": {"customer_id": customer_id, "interactions": counts}}

    return app


# --- data ---------------------------------------------------------------------------------


def pg_database(warehouse_size: str) -> str:
    return f"interactions_bench_api_{warehouse_size.lower().replace('-', '_')}"


def prepare(warehouse: str, size: str) -> dict[str, str]:
    """Import the size's workbook into a project copy; the environment that serves it."""
    customers, interactions, workbook = SIZES[size]
    if not workbook.exists():
        bench_import.generate_workbook(workbook, customers, interactions)
    home = bench_import.copy_project(BENCH / f"api-{warehouse}-{size}")
    env = {
        **os.environ,
        "WAREHOUSE": warehouse,
        "INTERACTIONS_HOME": str(home),
        "DUCKDB_PATH": str(home / "warehouse" / "interactions.duckdb"),
    }
    env.pop("API_KEY_HASHES", None)
    answers = BENCH / f"answers-{warehouse}-{size}"
    shutil.rmtree(answers, ignore_errors=True)
    answers.mkdir(mode=0o700)
    env["API_ANSWER_DIR"] = str(answers)
    if warehouse == "postgres":
        env["PGDATABASE"] = pg_database(size)
        with psycopg.connect(dbname="postgres", autocommit=True) as connection:
            name = sql.Identifier(env["PGDATABASE"])
            connection.execute(sql.SQL("drop database if exists {} with (force)").format(name))
            connection.execute(sql.SQL("create database {}").format(name))
        role_sql = str(home / "postgres" / "create_api_role.sql")  # as `make pg-setup` does
        subprocess.run(  # noqa: S603
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-f", role_sql],  # noqa: S607
            check=True,
            capture_output=True,
        )
    started = time.monotonic()
    interactions_cli = str(Path(sys.executable).with_name("interactions"))
    imported = subprocess.run(  # noqa: S603
        [interactions_cli, "import", str(workbook)], env=env, capture_output=True, text=True
    )
    if imported.returncode != 0:
        raise RuntimeError(f"import failed:\n{imported.stdout[-3000:]}{imported.stderr[-3000:]}")
    print(f"  {warehouse} {size}: imported in {time.monotonic() - started:.0f} s", flush=True)
    return env


def drop_databases():
    with psycopg.connect(dbname="postgres", autocommit=True) as connection:
        for size in SIZES:
            name = sql.Identifier(pg_database(size))
            connection.execute(sql.SQL("drop database if exists {} with (force)").format(name))


# --- serving and load ---------------------------------------------------------------------


class Server:
    """A server (`interactions serve`, or an app of this script under Granian) on a free
    port."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path):
        sys.path.insert(0, str(ROOT))
        from tests.load import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**env, "HOST": "127.0.0.1", "PORT": str(self.port), "WEB_CONCURRENCY": WORKERS}
        self._out = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(  # noqa: S603
            [part.replace("{port}", str(self.port)) for part in command],
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/interactions/1", timeout=2):  # noqa: S310
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not start; see {log}")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._out.close()


def granian_command(app: str, threads: int = serving.BLOCKING_THREADS) -> list[str]:
    """The app from scripts/ under Granian as `interactions serve` runs it (core/serving.py:
    its workers, threads and buffer), with Granian's own access log on (the API writes its
    own)."""
    granian = str(Path(sys.executable).with_name("granian"))
    return [granian, "--interface", "wsgi", "--host", "127.0.0.1", "--port", "{port}",
            "--workers", WORKERS, "--blocking-threads", str(threads),
            "--backpressure", str(serving.BACKPRESSURE), "--runtime-threads", "1",
            "--http", "1", "--no-ws", "--access-log", "--factory",
            "--working-dir", str(ROOT / "scripts"), f"bench_api:{app}"]  # fmt: skip


# The constant-body app under Granian with the API's threads per worker and with one: the
# faster is the ceiling (a measure of what the threads cost, too).
CEILING_SERVERS = {
    f"granian-{serving.BLOCKING_THREADS}-threads": granian_command,
    "granian-1-thread": lambda app: granian_command(app, threads=1),
}
SERVER_ROUNDS = 3


@dataclass
class Result:
    name: str
    warehouse: str
    size: str
    endpoint: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    requests: int
    failures: int
    ceiling: float = 0.0  # requests/s of the ceiling run just before this one


def wrk(
    url: str,
    seconds: float,
    customers: int,
    script_dir: Path,
    endpoint: str = CACHED,
    topics: tuple[str, ...] = ("Unknown",),
) -> dict:
    script = script_dir / f"random-{customers}-{list(ENDPOINTS).index(endpoint)}.lua"
    lua_topics = ", ".join(json.dumps(quote(topic, safe="")) for topic in topics)
    script.write_text(
        LUA % {"customers": customers, "path": ENDPOINTS[endpoint], "topics": lua_topics}
    )
    output = subprocess.run(  # noqa: S603
        ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{round(seconds)}s", "-s", str(script), url],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"^RESULT (\{.*\})$", output, re.M)
    if match is None:
        raise RuntimeError(f"no result from wrk:\n{output}")
    return json.loads(match.group(1))


def measure(
    name, warehouse, size, server, customers, seconds, script_dir, endpoint=CACHED, topics=()
) -> Result:
    figures = wrk(server.url, seconds, customers, script_dir, endpoint, topics or ("Unknown",))
    result = Result(
        name=name,
        warehouse=warehouse,
        size=size,
        endpoint=endpoint,
        requests_per_second=figures["requests"] / (figures["duration_us"] / 1e6),
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        mean_ms=figures["mean_us"] / 1000,
        requests=figures["requests"],
        failures=figures["socket_errors"] + figures["non_2xx"],
    )
    print(
        f"  {name:<10} {warehouse:<9} {size:<4} {endpoint:<26} "
        f"{result.requests_per_second:8.0f} req/s "
        f"p50 {result.p50_ms:.2f} ms p99 {result.p99_ms:.2f} ms ({result.failures} failed; "
        f"load average {os.getloadavg()[0]:.1f})",
        flush=True,
    )
    return result


def warm_up(server: Server, customers: int, script_dir: Path):
    """Load until every worker has logged its loaded answer cache (at most WARMUP_LIMIT s:
    at a million customers, under this load, PostgreSQL streams the three answer files in
    about a minute and a half)."""
    deadline = time.monotonic() + WARMUP_LIMIT
    while time.monotonic() < deadline:
        wrk(server.url, WARMUP_SECONDS, customers, script_dir)
        if server.log.read_text(errors="replace").count("answer cache:") >= int(WORKERS):
            return
    raise RuntimeError(f"the API workers did not load their answer cache; see {server.log}")


def server_memory_kb(pid: int) -> tuple[int, int]:
    """The API's memory, all its processes (the master and every worker) together, in kB:
    the sum of their proportional set sizes (a page shared by n processes counts 1/n in each:
    the answer file every worker maps counts once) and the sum of their resident sets."""
    pids = list(bench_import.process_tree(pid))
    pss = sum(bench_import.proc_kb(current, "smaps_rollup", "Pss") for current in pids)
    rss = sum(bench_import.proc_kb(current, "smaps_rollup", "Rss") for current in pids)
    return pss, rss


@dataclass
class Memory:
    warehouse: str
    size: str
    customers: int
    pss_mb: float
    rss_mb: float
    answer_file_mb: float


def measure_memory(server: Server, warehouse: str, size: str, env: dict[str, str]) -> Memory:
    pss, rss = server_memory_kb(server.process.pid)
    files = list(Path(env["API_ANSWER_DIR"]).glob("*.answers"))
    memory = Memory(
        warehouse,
        size,
        SIZES[size][0],
        pss / 1024,
        rss / 1024,
        sum(path.stat().st_size for path in files) / 2**20,
    )
    print(
        f"  memory    {warehouse:<9} {size:<7} {memory.customers:>9,} customers: "
        f"{memory.pss_mb:,.0f} MB (proportional, all processes), {memory.rss_mb:,.0f} MB "
        f"(resident, summed), answer files {memory.answer_file_mb:,.1f} MB ({len(files)} files)",
        flush=True,
    )
    return memory


def table(results: list[Result], ceilings: list[float]) -> str:
    """One row per measured server; each ratio is to the ceiling run just before it."""
    lines = [
        "| server | warehouse | data | endpoint | requests/s | p50 ms | p99 ms | ratio |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: |",
        f"| Flask constant body (ceiling, mean of {len(ceilings)}) | - | - | - | "
        f"{sum(ceilings) / len(ceilings):,.0f} | | | 1.00 |",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.warehouse} | {r.size} | `{r.endpoint}` | "
            f"{r.requests_per_second:,.0f} | "
            f"{r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.requests_per_second / r.ceiling:.2f} |"
        )
    return "\n".join(lines)


def memory_table(memories: list[Memory]) -> str:
    lines = [
        "| warehouse | data | customers | memory, all processes (PSS) | resident, summed (RSS) "
        "| answer file |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for m in memories:
        lines.append(
            f"| {m.warehouse} | {m.size} | {m.customers:,} | {m.pss_mb:,.0f} MB | "
            f"{m.rss_mb:,.0f} MB | {m.answer_file_mb:,.1f} MB |"
        )
    return "\n".join(lines)


def bench_folders(bench: Path) -> tuple[Path, Path]:
    """A new folder for this run's scripts and the logs folder, under `bench` (.bench/, which
    a fresh clone does not have)."""
    logs = bench / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="bench-api-", dir=bench)), logs


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk (make bench installs it)", file=sys.stderr)
        return 2
    seconds = float(os.environ.get("BENCH_SECONDS", "10"))
    warehouses = os.environ.get("BENCH_WAREHOUSES", "duckdb postgres").replace(",", " ").split()
    started = time.monotonic()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    script_dir, logs = bench_folders(BENCH)
    print("data (interactions import):", flush=True)
    environments = {}
    try:
        for warehouse in warehouses:
            for size in SIZES:
                environments[warehouse, size] = prepare(warehouse, size)
        print(f"load: wrk -t{THREADS} -c{CONNECTIONS}, {seconds:.0f} s per run:", flush=True)
        base_env = {**os.environ}
        base_env.pop("API_KEY_HASHES", None)
        big = SIZES["1M"][0]

        results = []
        memories = []
        ceiling_server = fastest_ceiling(base_env, logs, big, seconds, script_dir, results)

        def measure_paired(name, warehouse, size, server, customers, endpoint=CACHED, topics=()):
            """The ceiling, then `server`: the ratio is to the ceiling run just before."""
            ceiling = measure("ceiling", "-", "-", ceiling_server, big, seconds, script_dir)
            result = measure(
                name, warehouse, size, server, customers, seconds, script_dir, endpoint, topics
            )
            result.ceiling = ceiling.requests_per_second
            results.extend([ceiling, result])

        interactions_cli = str(Path(sys.executable).with_name("interactions"))
        try:
            for (warehouse, size), env in environments.items():
                customers = SIZES[size][0]
                log = logs / f"api-{warehouse}-{size}.log"
                server = Server([interactions_cli, "serve"], env, log)
                try:
                    warm_up(server, customers, script_dir)
                    memories.append(measure_memory(server, warehouse, size, env))
                    measure_paired("api", warehouse, size, server, customers)
                    if size == "1M":  # every other read endpoint, at the large size
                        topics = served_topics(server)
                        for endpoint in list(ENDPOINTS)[1:]:
                            measure_paired(
                                "api", warehouse, size, server, customers, endpoint, topics
                            )
                finally:
                    server.stop()
            if "postgres" in warehouses:
                env = environments["postgres", "1M"]
                server = Server(granian_command("new_connection_app"), env, logs / "baseline.log")
                try:
                    wrk(server.url, WARMUP_SECONDS, big, script_dir)
                    measure_paired("new conn.", "postgres", "1M", server, big)
                finally:
                    server.stop()
        finally:
            ceiling_server.stop()
    finally:
        shutil.rmtree(script_dir, ignore_errors=True)
        if "postgres" in warehouses:
            drop_databases()
    ceilings = [r.requests_per_second for r in results if r.name == "ceiling"]
    print()
    print(table([r for r in results if not r.name.startswith("ceiling")], ceilings))
    print(
        f"\nceiling runs: {', '.join(f'{c:,.0f}' for c in ceilings)} req/s; "
        f"load average now {os.getloadavg()[0]:.1f}; {time.monotonic() - started:.0f} s in all"
    )
    print()
    print(memory_table(memories))
    met = True
    for warehouse in warehouses:
        memory = {m.size: m for m in memories if m.warehouse == warehouse}
        base, large = memory[MEMORY_BASE_SIZE], memory[MEMORY_SIZE]
        limit = TARGET_MEMORY_GROWTH * base.pss_mb + large.answer_file_mb
        ok = large.pss_mb <= limit
        met &= ok
        print(
            f"{warehouse}: memory at {large.customers:,} customers {large.pss_mb:,.0f} MB "
            f"(<= {TARGET_MEMORY_GROWTH} x {base.pss_mb:,.0f} MB at {base.customers:,} + the "
            f"answer file {large.answer_file_mb:,.0f} MB = {limit:,.0f}): "
            f"{'met' if ok else 'NOT met'}"
        )
        cached = [r for r in results if r.name == "api" and r.endpoint == CACHED]
        api = {r.size: r for r in cached if r.warehouse == warehouse}
        ratio = api["1M"].requests_per_second / api["1M"].ceiling
        flat_p50 = api["1M"].p50_ms / api["10k"].p50_ms
        flat_mean = api["1M"].mean_ms / api["10k"].mean_ms
        ok = (
            ratio >= TARGET_RATIO
            and api["1M"].p99_ms <= TARGET_P99_MS
            and flat_mean <= TARGET_FLATNESS
            and api["1M"].failures == 0
        )
        met &= ok
        print(
            f"{warehouse}: 1M ratio {ratio:.2f} (>= {TARGET_RATIO}), p99 {api['1M'].p99_ms:.2f} ms "
            f"(<= {TARGET_P99_MS:.0f}), latency 1M/10k mean {flat_mean:.2f} p50 {flat_p50:.2f} "
            f"(<= {TARGET_FLATNESS}), failed {api['1M'].failures}: "
            f"{'goals met' if ok else 'goals NOT met'}"
        )
        for r in results:
            if r.name == "api" and r.warehouse == warehouse and r.endpoint != CACHED:
                ratio = r.requests_per_second / r.ceiling
                ok = ratio >= TARGET_OTHER_RATIO and r.p99_ms <= TARGET_OTHER_P99_MS
                ok = ok and r.failures == 0
                met &= ok
                print(
                    f"{warehouse}: {r.endpoint} at 1M ratio {ratio:.2f} (>= {TARGET_OTHER_RATIO}), "
                    f"p99 {r.p99_ms:.2f} ms (<= {TARGET_OTHER_P99_MS:.0f}), failed {r.failures}: "
                    f"{'met' if ok else 'NOT met'}"
                )
    return 0 if met else 1


def fastest_ceiling(base_env, logs, customers, seconds, script_dir, results) -> Server:
    """The constant-body app under each server of CEILING_SERVERS, measured in turn
    SERVER_ROUNDS times; the fastest on average stays up as the ceiling, the others stop."""
    print("ceiling servers (constant body, same workers, access log on), in turn:", flush=True)
    servers = {}
    try:
        for name, command in CEILING_SERVERS.items():
            servers[name] = Server(command("ceiling_app"), base_env, logs / f"ceiling-{name}.log")
            wrk(servers[name].url, WARMUP_SECONDS, customers, script_dir)
        rates = {name: [] for name in servers}
        for _ in range(SERVER_ROUNDS):
            for name, server in servers.items():
                run = measure(f"ceiling {name}", "-", "-", server, customers, seconds, script_dir)
                results.append(run)
                rates[name].append(run.requests_per_second)
        means = {name: sum(values) / len(values) for name, values in rates.items()}
        fastest = max(means, key=means.get)
        print(
            "  fastest: "
            + ", ".join(f"{name} {mean:,.0f} req/s" for name, mean in means.items())
            + f": the ceiling is {fastest}'s",
            flush=True,
        )
        return servers.pop(fastest)
    finally:
        for server in servers.values():
            server.stop()


def served_topics(server: Server) -> tuple[str, ...]:
    with urllib.request.urlopen(f"{server.url}/api/v1/topics", timeout=5) as response:  # noqa: S310
        return tuple(item["topic"] for item in json.load(response)["data"])


if __name__ == "__main__":
    sys.exit(main())
