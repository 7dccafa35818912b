"""Where a request's time goes: py-spy samples one worker of `interactions serve` while wrk
loads GET /api/v1/interactions/{id} (the answer cache), and the samples are summed by what
runs: Granian (its WSGI glue; accepting, parsing and writing are in Rust, outside Python's
frames), the access log, Flask and Werkzeug, and api/.

    make bench                                   # once: the data under .bench/
    .venv/bin/pip install py-spy                 # not a dependency of the project
    .venv/bin/python scripts/profile_api.py      # BENCH_DATA=api-postgres-1M for PostgreSQL

Run it on an idle machine; it prints the share of samples per part and the busiest frames.
"""

import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_api  # noqa: E402 - the servers and load of make bench, beside this script

SECONDS = 10
PARTS = [  # (what a frame's file path contains, the part it belongs to), first match wins
    ("api/access_log", "access log (api/access_log.py)"),
    ("granian", "Granian: WSGI glue, worker loop"),
    ("/api/", "api/ (this project)"),
    ("werkzeug", "Werkzeug: request, response, routing"),
    ("flask", "Flask: dispatch, context, hooks"),
]
ROOT_SHARE = 0.9  # frames in more samples than this are the worker's own loop: not listed


def part_of(frames: list[str]) -> str:
    """The part a sample belongs to: its innermost frame of a known package (the standard
    library's work, socket writes or logging, counts for the package that asked for it)."""
    for frame in reversed(frames):
        match = re.search(r"\((.*?):\d+\)", frame)
        path = match.group(1) if match else frame
        for key, name in PARTS:
            if key in f"/{path}":  # py-spy names this project's files relative to it
                return name
    return "other"


def main() -> int:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        print("py-spy is missing: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    data = bench_api.BENCH / os.environ.get("BENCH_DATA", "api-duckdb-1M")
    warehouse, size = data.name.split("-", 2)[1:]
    env = {
        **os.environ,
        "WAREHOUSE": warehouse,
        "INTERACTIONS_HOME": str(data),
        "DUCKDB_PATH": str(data / "warehouse" / "interactions.duckdb"),
        "PGDATABASE": bench_api.pg_database(size),
        "API_ANSWER_DIR": tempfile.mkdtemp(prefix="profile-answers-"),
    }
    env.pop("API_KEY_HASHES", None)
    customers = bench_api.SIZES[size][0]
    script_dir, logs = bench_api.bench_folders(bench_api.BENCH)
    interactions = str(Path(sys.executable).with_name("interactions"))
    server = bench_api.Server([interactions, "serve"], env, logs / "profile-api.log")
    samples = script_dir / "samples.txt"
    try:
        bench_api.warm_up(server, customers, script_dir)
        worker = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
        pid = worker.read_text().split()[0]
        load = subprocess.Popen(  # noqa: S603 - fixed argument list
            [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import bench_api;"
             " print(bench_api.wrk(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]),"
             " bench_api.Path(sys.argv[5])))",
             str(Path(__file__).parent), server.url, str(SECONDS + 4), str(customers),
             str(script_dir)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        subprocess.run(  # noqa: S603
            [py_spy, "record", "--pid", pid, "--duration", str(SECONDS), "--rate", "500",
             "--format", "raw", "--output", str(samples), "--nonblocking"],
            check=True, capture_output=True,
        )  # fmt: skip
        figures = load.communicate()[0]
        stacks = samples.read_text().splitlines()
    finally:
        server.stop()
        shutil.rmtree(env["API_ANSWER_DIR"], ignore_errors=True)
    total = 0
    by_part = collections.Counter()
    inclusive = collections.Counter()
    for line in stacks:
        stack, count = line.rsplit(" ", 1)
        frames = stack.split(";")
        total += int(count)
        by_part[part_of(frames)] += int(count)
        for name in {re.sub(r" \((?:.*/)?([^/]+?):\d+\)", r" \1", f) for f in frames}:
            inclusive[name] += int(count)
    print(f"{data.name}: {total} samples of worker {pid} under wrk -t1 -c8 ({figures.strip()})")
    print("where the worker's time goes (by the innermost frame of a known package):")
    for name, count in by_part.most_common():
        print(f"  {count / total * 100:5.1f}%  {name}")
    print("busiest frames, with what they call (below the worker's loop):")
    busiest = [(n, c) for n, c in inclusive.most_common() if c <= ROOT_SHARE * total]
    for name, count in busiest[:25]:
        print(f"  {count / total * 100:5.1f}%  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
