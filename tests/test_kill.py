"""SIGKILL `interactions import` and `interactions rollback` at every stage, on DuckDB and
PostgreSQL: the live version stays served and whole, the dbt child dies with its parent, and
the next import works at once and cleans what the killed one left.

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
WAREHOUSE_STAGES = [stage for stage in BEFORE_LIVE + AFTER_LIVE if stage not in STORE_ONLY]


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


@pytest.mark.parametrize("stage", WAREHOUSE_STAGES)
def test_a_killed_import_leaves_one_whole_version_served(project, stage):
    killed_import(project, stage)


@pytest.mark.parametrize("project", ["duckdb"], indirect=True)
@pytest.mark.parametrize("stage", STORE_ONLY)
def test_an_import_killed_reading_or_keeping_leaves_one_whole_version_served(project, stage):
    killed_import(project, stage)


def killed_import(project, stage):
    warehouse, books = project
    live = live_entry(warehouse)
    old_answers = warehouse.answers()
    other = books["B.xlsx" if live["file"] == "A.xlsx" else "A.xlsx"]
    number = max(entry["version"] for entry in warehouse.history()) + 1
    if stage in BEFORE_LIVE:
        kill_and_check(warehouse, stage, ["import", str(other)], old_answers, live["version"])
        # The next import works at once, and leaves nothing behind.
        out = warehouse.ok("import", "--allow-shrink", str(books["A.xlsx"]))
        assert "version" in out.splitlines()[0]
    else:
        # The new version is live; the kill left its folder pending, history shows it kept;
        # the next import (of the same workbook) works at once.
        kill_after_live(warehouse, other, number, stage)
        assert live_entry(warehouse)["file"] == other.name
    assert warehouse.leftovers() == []
    versions = [entry["version"] for entry in warehouse.history()]
    assert versions == sorted(versions, reverse=True)
    if stage in AFTER_LIVE:
        assert number in versions  # the killed import's version was kept


def kill_after_live(warehouse, other, number, stage):
    """Kill an import after it went live: the new version is served, whole."""
    process, _ = start_paused(warehouse, stage, "import", str(other))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()
    process.stderr.close()
    assert dbt_children(warehouse.home) == []
    served = warehouse.answers()
    assert live_entry(warehouse)["version"] == number
    assert all(body.split(b" ")[1] == b"v%d" % number for body in served.values())
    # The next import works at once: the same answers as an import of the same workbook
    # that was never killed (version number + 1).
    warehouse.ok("import", "--allow-shrink", str(other))
    again = warehouse.answers()
    assert all(body.split(b" ")[1] == b"v%d" % (number + 1) for body in again.values())
    assert without_version(again) == without_version(served)


def without_version(answers: dict[str, bytes]) -> dict[str, bytes]:
    """Answers (Warehouse.answers: status, version, body) without their X-Data-Version."""
    return {path: b" ".join(body.split(b" ", 2)[::2]) for path, body in answers.items()}


@pytest.mark.parametrize("stage", ["dbt", "go live", "live"])
def test_a_killed_rollback_leaves_one_whole_version_served(project, stage):
    warehouse, books = project
    history = warehouse.history()
    live = live_entry(warehouse)
    target = next(e for e in history if e["file"] != live["file"] and e["file"] != "seeds/")
    old_answers = warehouse.answers()
    if stage == "live":
        process, _ = start_paused(warehouse, stage, "rollback", str(target["version"]))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        process.stdout.close()
        process.stderr.close()
        assert live_entry(warehouse)["version"] == target["version"]
        # Served whole: the target version's own answers, under its own number.
        served = warehouse.answers()
        assert without_version(served) == books["answers"][target["file"]]
        assert {body.split(b" ")[1] for body in served.values()} == {b"v%d" % target["version"]}
    else:
        kill_and_check(
            warehouse, stage, ["rollback", str(target["version"])], old_answers, live["version"]
        )
    warehouse.ok("import", "--allow-shrink", str(books["B.xlsx"]))
    assert warehouse.leftovers() == []
    assert [e["version"] for e in warehouse.history()][1:] == [e["version"] for e in history]
