"""A test-only hook (tests/test_kill.py, tests/test_spark_cluster_import.py): with
INTERACTIONS_PAUSE_AT=<stage>, a command prints "paused at <stage>" when it reaches that
stage and waits there, so that a test can SIGKILL it at that moment. With
INTERACTIONS_PAUSE_NOTE=<file> the line is also appended to that file (for a command whose
output the test cannot read: one the API runs). With INTERACTIONS_PAUSE_UNTIL=<file> the
command goes on once that file exists (a test that sets something up at that moment first).
Unset, as everywhere but in those tests, a pause point does nothing.
"""

import os
import time
from pathlib import Path

PAUSE_VARIABLE = "INTERACTIONS_PAUSE_AT"
PAUSE_NOTE_VARIABLE = "INTERACTIONS_PAUSE_NOTE"
PAUSE_UNTIL_VARIABLE = "INTERACTIONS_PAUSE_UNTIL"
PAUSE_SECONDS = 3600


def pause_point(stage: str, detail: str = "") -> None:
    if os.environ.get(PAUSE_VARIABLE) != stage:
        return
    line = f"paused at {stage}{detail}"
    print(line, flush=True)
    note = os.environ.get(PAUSE_NOTE_VARIABLE)
    if note:
        with open(note, "a") as file:
            file.write(f"{line} (pid {os.getpid()})\n")
    until = os.environ.get(PAUSE_UNTIL_VARIABLE)
    deadline = time.monotonic() + PAUSE_SECONDS
    while time.monotonic() < deadline and not (until and Path(until).exists()):
        time.sleep(0.1)
