"""Child processes: the dbt child of a build, and the `interactions` command an admin endpoint
runs, die with the process that started them."""

import ctypes
import os
import signal


def die_with_parent():  # pragma: no cover - runs in the child between fork and exec
    """The child gets SIGKILL when the process that started it dies (Linux)."""
    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (AttributeError, OSError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
