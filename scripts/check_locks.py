"""Fail when requirements.txt, requirements-dev.txt or requirements-spark.txt is stale against
pyproject.toml.

Each lock is re-compiled into a temporary folder, starting from the committed pins (so
pip-compile keeps them), and compared with the committed file, ignoring comment lines. The
Spark lock is installed beside the development one (make test), so it is compiled within the
development pins (-c requirements-dev.txt).
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCKS = {
    "requirements.txt": [],
    "requirements-dev.txt": ["--extra", "dev"],
    "requirements-spark.txt": ["--extra", "spark", "-c", "requirements-dev.txt"],
}


def pins(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.lstrip().startswith("#")]


def main() -> int:
    pip_compile = Path(sys.executable).with_name("pip-compile")
    stale = []
    with tempfile.TemporaryDirectory() as folder:
        compiling = {}
        for lock, extra in LOCKS.items():  # the three at once: each waits on its resolver
            candidate = Path(folder) / lock
            shutil.copy(ROOT / lock, candidate)
            compiling[lock] = subprocess.Popen(  # noqa: S603 - fixed argument list
                [
                    str(pip_compile),
                    "--quiet",
                    "--no-emit-index-url",
                    "--no-emit-find-links",
                    "--strip-extras",
                    *extra,
                    "-o",
                    str(candidate),
                    "pyproject.toml",
                ],
                cwd=ROOT,
            )
        for lock, process in compiling.items():
            if process.wait() != 0:
                raise subprocess.CalledProcessError(process.returncode, process.args)
            if pins((Path(folder) / lock).read_text()) != pins((ROOT / lock).read_text()):
                stale.append(lock)
    if stale:
        print(f"stale lock files: {', '.join(stale)}; run `make lock` and commit", file=sys.stderr)
        return 1
    print("lock files are up to date with pyproject.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
