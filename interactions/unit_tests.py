"""Whether a build runs the dbt project's unit tests.

A unit test checks a model's SQL against fixed rows, never the workbook's data: its answer
depends on the project (models, macros, tests, dbt_project.yml), the dbt version and the
engine, and on nothing an import or a rollback changes. So a build runs them when the project
has changed since they last passed on this warehouse, and otherwise leaves them out (`dbt build
--exclude-resource-type unit_test`, as dbt Labs recommends for production runs). Their last
pass is recorded per warehouse in dbt's target folder (`target/unit_tests_passed.json`): a
fresh checkout, an edited model, `dbt clean` or a dbt upgrade runs them again, and a failing
one fails the build, so the live data stays as it was. Data tests run on every build.
"""

import hashlib
import json
from importlib import metadata

from core.settings import Settings

EXCLUDE = ["--exclude-resource-type", "unit_test"]
# The record of their last pass per warehouse, in dbt's target folder.
RECORD = "unit_tests_passed.json"
# Folders of the project that dbt writes, not the project's own files.
GENERATED = ("target", "logs", "dbt_packages")
ADAPTERS = {
    "duckdb": "dbt-duckdb",
    "postgres": "dbt-postgres",
    "spark": "dbt-spark",
    "spark_cluster": "dbt-spark",
}


def fingerprint(settings: Settings) -> str:
    """A hash of the project's files and the dbt packages that build it on this warehouse."""
    digest = hashlib.sha256()
    for package in ("dbt-core", ADAPTERS[settings.warehouse]):
        digest.update(f"{package}=={metadata.version(package)}\n".encode())
    project = settings.dbt_project_dir
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if relative.parts[0] in GENERATED or not path.is_file():
            continue
        digest.update(f"{relative.as_posix()}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class UnitTests:
    """The unit-test decision of one build: `args` for `dbt build`, `record()` once it passed."""

    def __init__(self, settings: Settings):
        self.warehouse = settings.warehouse
        self.record_path = settings.dbt_project_dir / "target" / RECORD
        self.fingerprint = fingerprint(settings)
        self.passed_before = self._recorded().get(self.warehouse) == self.fingerprint

    @property
    def args(self) -> list[str]:
        return EXCLUDE if self.passed_before else []

    @property
    def note(self) -> str:
        """A line for the build's output when they are left out."""
        if not self.passed_before:
            return ""
        return (
            "dbt unit tests: left out, they passed on this warehouse for this project "
            f"(dbt_project unchanged since; {RECORD} in dbt's target folder)\n"
        )

    def record(self) -> None:
        """The build ran them and passed: later builds of the same project leave them out."""
        if self.passed_before:
            return
        recorded = self._recorded()
        recorded[self.warehouse] = self.fingerprint
        self.record_path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.record_path.with_name(f"{self.record_path.name}.partial")
        partial.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
        partial.replace(self.record_path)

    def _recorded(self) -> dict[str, str]:
        try:
            recorded = json.loads(self.record_path.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return recorded if isinstance(recorded, dict) else {}
