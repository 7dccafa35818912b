"""The packages' layers point down: `core` (the shared contracts) imports neither `api` nor
`interactions`, and those two never import each other (docs/ARCHITECTURE.md: Layers)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Package -> the packages of this project it must never import.
NEVER = {
    "core": {"api", "interactions"},
    "api": {"interactions"},
    "interactions": {"api"},
}


def imported_packages(path: Path) -> set[str]:
    """The top-level packages `path` imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(NEVER))
def test_a_package_never_imports_one_beside_or_above_it(package):
    modules = sorted((ROOT / package).rglob("*.py"))
    assert modules, f"{package}/ has no modules"
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & NEVER[package])
        for path in modules
    }
    assert {path: names for path, names in wrong.items() if names} == {}


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("import os\n\n\ndef f():\n    from api.auth import digest\n")
    assert imported_packages(module) == {"os", "api"}
