"""Commands of the README that must work in a fresh clone, where git-ignored folders such as
.bench/ do not exist yet."""

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_script(name: str):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "scripts"))


def test_make_bench_makes_its_folders_in_a_fresh_clone(tmp_path):
    """`make bench` stopped with FileNotFoundError where .bench/ did not exist."""
    bench = tmp_path / "clone" / ".bench"
    scripts, logs = load_script("bench_api").bench_folders(bench)
    assert scripts.is_dir() and scripts.parent == bench
    assert logs == bench / "logs" and logs.is_dir()


def test_the_ignored_folders_are_not_in_the_repository():
    """The folders the benchmarks and builds write are git-ignored, so a fresh clone has none
    of them and the check above is the case every new user meets."""
    ignored = (ROOT / ".gitignore").read_text().split()
    assert ".bench/" in ignored or "/.bench/" in ignored or ".bench" in ignored


MAKE_VARIABLES = {"MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"}


def test_make_test_checks_its_needs_before_anything_else():
    """`make test`, `make test-scale` and `make test-fast` first run
    scripts/check_test_needs.py (dry run: nothing is executed), before lint and pytest, each
    with the marks that pick its tests."""
    for target, needs, marks in (
        ("test", "postgres spark browser", '-m "not scale"'),
        ("test-scale", "postgres spark", "-m scale"),
        (
            "test-fast",
            "postgres",
            '-m "not spark and not scale and not stress and not browser and not long"',
        ),
    ):
        # Under `make test` itself, MAKELEVEL and MAKEFLAGS would make this make print its
        # directory first: it runs as a top-level make.
        environ = {k: v for k, v in os.environ.items() if k not in MAKE_VARIABLES}
        planned = subprocess.run(  # noqa: S603
            ["make", "-n", "-o", "install-dev", "-o", "install-spark", target],  # noqa: S607
            cwd=ROOT,
            env=environ,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        assert planned[0].endswith(f"scripts/check_test_needs.py {needs}")
        later = "\n".join(planned[1:])
        assert ("sqlfluff" in later) == (target != "test-scale")
        [pytest_line] = [line for line in planned if "bin/pytest" in line]
        assert f"bin/pytest {marks} " in pytest_line


def test_ci_runs_the_readme_test_command_then_the_scale_proofs():
    """.ci/run is the README's command and nothing else of its own: the set-up (apt, the
    PostgreSQL cluster) is make test's own (scripts/check_test_needs.py)."""
    commands = [
        line
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd ", "export "))
    ]
    assert commands == ["make test", "make test-scale"]


def test_without_postgres_the_check_fails_at_once_unless_skipped():
    """PostgreSQL refusing connections and no SKIP_POSTGRES: exit 2 within seconds, naming
    what is missing, how to provide it and how to opt out; with SKIP_POSTGRES=1, exit 0."""
    script = [sys.executable, str(ROOT / "scripts" / "check_test_needs.py"), "postgres"]
    with socket_refusing() as port:
        environ = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(port)}
        environ.pop("SKIP_POSTGRES", None)
        started = time.monotonic()
        result = subprocess.run(script, env=environ, capture_output=True, text=True, check=False)  # noqa: S603
        assert time.monotonic() - started < 60
        assert result.returncode == 2
        assert "PostgreSQL is not answering on PGHOST/PGPORT" in result.stderr
        assert "pg_ctlcluster" in result.stderr and "SKIP_POSTGRES=1" in result.stderr
        environ["SKIP_POSTGRES"] = "1"
        skipped = subprocess.run(script, env=environ, capture_output=True, text=True, check=False)  # noqa: S603
        assert skipped.returncode == 0
        assert "SKIP_POSTGRES is set" in skipped.stdout


class socket_refusing:
    """A port on 127.0.0.1 that refuses connections (bound, not listening)."""

    def __enter__(self):
        import socket

        self.holder = socket.socket()
        self.holder.bind(("127.0.0.1", 0))
        return self.holder.getsockname()[1]

    def __exit__(self, *exc):
        self.holder.close()
