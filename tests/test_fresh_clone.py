"""Commands of the README that must work in a fresh clone, where git-ignored folders such as
.bench/ do not exist yet."""

import importlib.util
import sys
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
