"""The `interactions` commands the admin endpoints run: an import, its preview, a rollback.

Each runs as a child process (`python -m interactions.cli ... --json`), exactly as a data
engineer runs it at a terminal: the same build lock, the same atomic go-live, the same
report. The API process itself still only reads marts: the child builds with the server's
own warehouse settings (its PG* variables, not the API's read-only role), its memory is
returned when it ends, and it dies with the worker (PR_SET_PDEATHSIG): a worker killed
mid-import leaves what is served as it was, like any killed import.
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass

from flask import current_app

from api.config import KEYS
from core.processes import die_with_parent


@dataclass(frozen=True)
class Outcome:
    returncode: int
    answer: dict | None  # the command's JSON report; None when it printed none (it crashed)
    stderr: str


def run(*args: str) -> Outcome:
    """`interactions <args> --json` against the app's warehouse."""
    environ = dict(os.environ)
    # The app's own settings (create_app(test_config)) win, as in api/config.py.
    environ.update({key: str(current_app.config[key]) for key in KEYS if key in current_app.config})
    done = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [sys.executable, "-m", "interactions.cli", *args, "--json"],
        env=environ,
        capture_output=True,
        text=True,
        preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl, before exec
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else None
    except ValueError:
        answer = None
    if answer is None:
        current_app.logger.error(
            "interactions %s exited %d without a report: %s",
            args[0],
            done.returncode,
            done.stderr[-2000:],
        )
    return Outcome(done.returncode, answer, done.stderr)
