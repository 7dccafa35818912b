"""SIGKILL `interactions import` and `interactions rollback` at every stage, on DuckDB and
PostgreSQL: the live version stays served and whole, the dbt child dies with its parent, and
the next command works at once and cleans what the killed one left. The kills of one test
follow each other, each command meeting what the previous kills left; one import at the end
must go live and leave nothing behind.

The command is stopped at a stage by the test-only variable INTERACTIONS_PAUSE_AT
(interactions/pause_points.py: it prints "paused at <stage>" and waits), then killed.
Before "go live" has run, the previous version must still be served; from "live" on, the new
one (the warehouse changed in one rename or one transaction, and the next command keeps the
version whose folder the kill left pending).
"""

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_versions import (
    CUSTOMERS_A,
    CUSTOMERS_B,
    INTERACTIONS_A,
    INTERACTIONS_B,
    PRODUCTS,
    Warehouse,
    workbook,
)
from tests.warehouses import copy_project, fresh_sample

pytestmark = pytest.mark.stress  # kills: make test-fast leaves these out

# Stages of an import, in order; the first four are before the new warehouse is live.
BEFORE_LIVE = ["read", "load", "dbt", "go live"]
AFTER_LIVE = ["live", "commit", "retain"]
# Stages that touch only the workbook or the version store, the same code on every warehouse,
# are killed on DuckDB only; the others on both.
STORE_ONLY = ["read", "commit", "retain"]


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def project(request, tmp_path_factory):
    """A project with workbook A imported as version 2 and B as version 3 (live), so that any
    test of this module can run first or alone; the tests alternate A and B."""
    folder = tmp_path_factory.mktemp(f"kill-{request.param}")
    home = copy_project(folder / "project")
    books = {
        "A.xlsx": workbook(folder / "A.xlsx", CUSTOMERS_A, INTERACTIONS_A, PRODUCTS),
        "B.xlsx": workbook(folder / "B.xlsx", CUSTOMERS_B, INTERACTIONS_B, PRODUCTS),
    }
    with fresh_sample(request.param, home) as dbname:
        yield imported_a_and_b(Warehouse(request.param, home, dbname), books)


def imported_a_and_b(warehouse, books):
    """`warehouse` after importing A then B; the books with each one's answers (without
    their version), which every later import or rollback of that book must serve."""
    answers = {}
    for name in ("A.xlsx", "B.xlsx"):
        warehouse.ok("import", "--allow-shrink", str(books[name]))
        answers[name] = without_version(warehouse.answers())
    assert answers["A.xlsx"] != answers["B.xlsx"]
    return warehouse, {**books, "answers": answers}


def live_entry(warehouse) -> dict:
    [live] = [entry for entry in warehouse.history() if entry["is_live"]]
    return live


def start_paused(warehouse, stage: str, *args) -> tuple[subprocess.Popen, str]:
    """Start `interactions <args>` paused at `stage`; return it and its "paused at" line."""
    interactions = Path(sys.executable).with_name("interactions")
    process = subprocess.Popen(  # noqa: S603
        [str(interactions), *args],
        env={**os.environ, **warehouse.environ, "INTERACTIONS_PAUSE_AT": stage},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 1.0)
        if ready:
            line = process.stdout.readline()
            if line.startswith(f"paused at {stage}"):
                return process, line
            if not line and process.poll() is not None:
                break
    process.kill()
    raise AssertionError(f"never paused at {stage}: {process.communicate()}")


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


SIGKILL_BIT = 1 << (signal.SIGKILL - 1)


def dying(pid: int) -> bool:
    """Gone, a zombie, or killed and not yet through its exit: SIGKILL pending, or its memory
    already released (on a busy machine the exit itself may wait for a core)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    if fields.get("State", "").startswith(("Z", "X")) or "VmRSS" not in fields:
        return True
    pending = int(fields.get("SigPnd", "0"), 16) | int(fields.get("ShdPnd", "0"), 16)
    return bool(pending & SIGKILL_BIT)


def dbt_children(home: Path) -> list[int]:
    """Live dbt processes (interactions/dbt_process.py) working on this project."""
    project_dir = str(home / "dbt_project")
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"interactions.dbt_process" in argv and project_dir.encode() in argv:
            if alive(int(proc.name)):
                found.append(int(proc.name))
    return found


def kill_and_check(warehouse, stage, args, served_after_kill, number_after_kill):
    process, line = start_paused(warehouse, stage, *args)
    child = re.search(r"dbt child (\d+)", line)
    children = dbt_children(warehouse.home)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()
    process.stderr.close()
    # The dbt child dies with its parent: the kernel sends it SIGKILL as the parent exits
    # (PR_SET_PDEATHSIG), so once the parent is reaped the child is gone or dying, long before
    # a dbt build could finish by itself. Its exit may then wait for a core: allow for it.
    if child:
        children.append(int(child.group(1)))
    assert [pid for pid in children if not dying(pid)] == []
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in children if alive(pid)] == []
    assert dbt_children(warehouse.home) == []
    # What is served is whole: all of one version.
    assert warehouse.answers() == served_after_kill
    assert live_entry(warehouse)["version"] == number_after_kill


def test_an_import_killed_at_each_stage_leaves_one_whole_version_served(project):
    """Killed at each stage in turn, each kill's leftovers meeting the next command: after
    every kill one whole version is served (the old one before "go live" has run, the new one
    from "live" on); then one import works at once, keeps every version a kill left live but
    not kept, and leaves nothing behind. The stages that touch only the workbook or the
    version store are killed on DuckDB only."""
    warehouse, books = project
    stages = [
        s for s in BEFORE_LIVE + AFTER_LIVE if warehouse.name == "duckdb" or s not in STORE_ONLY
    ]
    live_when_killed = []
    for stage in stages:
        live = live_entry(warehouse)
        other = books["B.xlsx" if live["file"] == "A.xlsx" else "A.xlsx"]
        if stage in BEFORE_LIVE:
            old_answers = warehouse.answers()
            kill_and_check(warehouse, stage, ["import", str(other)], old_answers, live["version"])
        else:
            number = max(entry["version"] for entry in warehouse.history()) + 1
            kill_after_live(warehouse, other, number, stage, books["answers"][other.name])
            live_when_killed.append(number)
    assert len(live_when_killed) == (3 if warehouse.name == "duckdb" else 1)
    # The next import works at once, keeps the versions the kills left live, cleans the rest.
    out = warehouse.ok("import", "--allow-shrink", str(books["A.xlsx"]))
    assert "version" in out.splitlines()[0]
    assert warehouse.leftovers() == []
    versions = [entry["version"] for entry in warehouse.history()]
    assert versions == sorted(versions, reverse=True)
    assert set(live_when_killed) <= set(versions)


def kill_after_live(warehouse, other, number, stage, answers):
    """Kill an import of `other` after it went live: version `number` is served, whole: the
    `answers` of that workbook's import that was never killed."""
    process, _ = start_paused(warehouse, stage, "import", str(other))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()
    process.stderr.close()
    assert dbt_children(warehouse.home) == []
    served = warehouse.answers()
    assert live_entry(warehouse)["version"] == number, stage
    assert {body.split(b" ")[1] for body in served.values()} == {b"v%d" % number}, stage
    assert without_version(served) == answers, stage


def without_version(answers: dict[str, bytes]) -> dict[str, bytes]:
    """Answers (Warehouse.answers: status, version, body) without their X-Data-Version."""
    return {path: b" ".join(body.split(b" ", 2)[::2]) for path, body in answers.items()}


def test_a_rollback_killed_at_each_stage_leaves_one_whole_version_served(project):
    """Killed in turn at "dbt" and "go live" (the live version still served, whole) and at
    "live" (the target version served, whole); then the next import works at once and
    leaves nothing behind; no version was deleted or made."""
    warehouse, books = project
    history = warehouse.history()
    live = live_entry(warehouse)
    target = next(e for e in history if e["file"] != live["file"] and e["file"] != "seeds/")
    rollback = ["rollback", str(target["version"])]
    old_answers = warehouse.answers()
    for stage in ("dbt", "go live"):
        kill_and_check(warehouse, stage, rollback, old_answers, live["version"])
    process, _ = start_paused(warehouse, "live", *rollback)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()
    process.stderr.close()
    assert live_entry(warehouse)["version"] == target["version"]
    # Served whole: the target version's own answers, under its own number.
    served = warehouse.answers()
    assert without_version(served) == books["answers"][target["file"]]
    assert {body.split(b" ")[1] for body in served.values()} == {b"v%d" % target["version"]}
    warehouse.ok("import", "--allow-shrink", str(books["B.xlsx"]))
    assert warehouse.leftovers() == []
    assert [e["version"] for e in warehouse.history()][1:] == [e["version"] for e in history]
