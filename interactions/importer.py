"""What an import adds to a release (interactions/release.py, which holds the path top to
bottom): the workbook read into the new version's seed CSVs (interactions/workbook.py), the
summary read from the new marts before they go live, the changes against the live version and
the shrink guard (interactions/changes.py), and the report `interactions import` prints.
"""

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from core import fixit
from core.settings import Settings
from core.sheets import INTERACTIONS, SHEETS
from interactions.build import BuildError, BuildResult
from interactions.changes import (
    Changes,
    compare,
    connect_to_marts,
    format_changes,
)
from interactions.pause_points import pause_point
from interactions.seed_files import seed_path, write_seed
from interactions.workbook import (
    DateFormats,
    Workbook,
    check_date_format,
    open_workbook,
)

# sheet_name in the marts -> the workbook's sheet
MART_SHEETS = {sheet.mart_name: sheet for sheet in SHEETS}


class ImportFailed(RuntimeError):
    """The import stopped, and the message says why. Nothing changed."""


class LiveChanged(ImportFailed):
    """The live version is not the one the caller expected (a preview published after
    another import or a rollback). Nothing changed."""


ANY_LIVE = object()  # import_workbook's expect_live default: whatever is live


@dataclass
class SheetFigures:
    name: str  # as spelled in the workbook (without surrounding spaces)
    rows_read: int
    header_row: int  # 1-based row of the header: data row k is sheet row header_row + k
    rows_counted: int = 0
    rows_quarantined: int = 0


@dataclass
class QuarantineReason:
    sheet: str
    reason: str
    rows: int
    examples: list[tuple[int, str]]  # (sheet row, the row's values)


@dataclass
class ImportResult:
    workbook: Path
    warehouse: str
    sheets: list[SheetFigures]
    warnings: list[str]
    quarantined: list[QuarantineReason] = field(default_factory=list)
    interactions_counted: int = 0
    customers_not_in_sheet: int = 0
    interactions_without_topic: int = 0
    stages: dict[str, float] = field(default_factory=dict)
    dbt_output: str = ""
    version: int = 0
    preview: bool = False
    changes: Changes | None = None
    refusal: str | None = None  # why the guard refuses it (a preview reports it)
    removed_versions: list[int] = field(default_factory=list)


def date_formats(settings: Settings) -> DateFormats:
    """The pipeline's date formats: the dbt vars, so the rule lives in one place."""
    project = yaml.safe_load((settings.dbt_project_dir / "dbt_project.yml").read_text())
    variables = project.get("vars", {})
    return DateFormats(
        datetime=check_date_format(variables["interaction_datetime_format"]),
        month=check_date_format(variables["product_month_format"]),
    )


class WorkbookImport:
    """An import's own steps in a release: read the workbook (land), read the summary and
    the changes and apply the guard (inspect), then the report's figures."""

    def __init__(self, path: Path, formats: DateFormats, *, allowed_shrink, preview, fixit):
        self.path = path
        self.formats = formats
        self.allowed_shrink = allowed_shrink  # None: no guard (--allow-shrink)
        self.preview = preview  # a preview reports the guard's refusal
        self.fixit = fixit  # where the fix-it workbook goes (None: nowhere)
        self.result: ImportResult | None = None

    def read_into(self, settings: Settings, folder: Path) -> dict[str, int]:
        """The workbook's sheets as seed CSVs in `folder`; the header row of each sheet, by
        its name in the marts (the dbt var sheet_header_rows)."""
        pause_point("read")
        started = time.monotonic()
        workbook = _open(self.path, self.formats)
        self.result = _read_into(settings, workbook, folder)
        self.result.stages["read workbook"] = time.monotonic() - started
        return {
            mart_name: figures.header_row
            for mart_name, figures in zip(MART_SHEETS, self.result.sheets, strict=True)
        }

    def inspect(self, settings: Settings, env: dict[str, str], live: int | None) -> None:
        """dbt has passed: the summary and the changes from the new marts; ImportFailed when
        the guard refuses it (a preview reports the refusal instead)."""
        result = self.result
        started = time.monotonic()
        _read_summary(settings.served_warehouse, env, result, self.fixit)
        result.changes = compare(settings.served_warehouse, env, settings.duckdb_path, live)
        result.stages["summary"] = time.monotonic() - started
        if self.allowed_shrink is not None:
            result.refusal = result.changes.shrink_refusal(self.allowed_shrink)
        if result.refusal and not self.preview:
            raise ImportFailed(f"{result.refusal}; nothing changed")

    def kept(self, removed_versions: list[int], seconds: float) -> None:
        self.result.removed_versions = removed_versions
        self.result.stages["keep version"] = seconds

    def finish(self, built: BuildResult, number: int, total: float) -> ImportResult:
        """The report's figures once the release is over."""
        result = self.result
        result.dbt_output = built.dbt_output
        result.version = number
        result.preview = self.preview
        result.stages = {
            "read workbook": result.stages["read workbook"],
            "load": built.stages["load"],
            "dbt build": built.stages["dbt build"],
            **({"publish": built.stages["publish"]} if "publish" in built.stages else {}),
            "summary": result.stages["summary"],
            **({} if self.preview else {"go live": built.stages["go live"]}),
            **({} if self.preview else {"keep version": result.stages["keep version"]}),
            "total": total,
        }
        return result


def _open(workbook_path: Path, formats: DateFormats) -> Workbook:
    try:
        return open_workbook(workbook_path, formats)
    except ValueError as error:
        raise ImportFailed(f"{error}; nothing changed") from error


def _read_into(settings: Settings, workbook: Workbook, folder: Path) -> ImportResult:
    try:
        warnings = list(workbook.warnings)
        figures = []
        for reader in workbook.sheets:
            write_seed(seed_path(folder, reader.spec.seed), reader.spec.seed_columns, reader.rows())
            warnings.extend(reader.warnings)
            figures.append(
                SheetFigures(reader.sheet_name.strip(), reader.rows_read, reader.header_row + 1)
            )
            if reader.spec == INTERACTIONS and reader.rows_read == 0:
                raise ValueError(
                    f"sheet {reader.sheet_name.strip()!r} has no data rows: an export without "
                    "interactions would replace the served data with nothing"
                )
    except ValueError as error:
        raise ImportFailed(f"{error}; nothing changed") from error
    return ImportResult(
        workbook=workbook.path,
        warehouse=settings.warehouse,
        sheets=figures,
        warnings=warnings,
    )


def build_failure(error: BuildError) -> str:
    """dbt's own account of what failed: its summary after 'Completed with ...'."""
    lines = [line.rstrip() for line in re.sub(r"\x1b\[[0-9;]*m", "", error.output).splitlines()]
    lines = [re.sub(r"^\d\d:\d\d:\d\d {0,2}", "", line) for line in lines]
    start = next((i for i, line in enumerate(lines) if line.startswith("Completed with")), None)
    if start is None:
        detail = [line for line in lines if line.strip()][-12:]
    else:
        detail = [
            line
            for line in lines[start + 1 :]
            if line.strip() and "compiled code at" not in line and not line.startswith("Done.")
        ]
    return "\n  ".join([str(error), *detail])


SHEET_FIGURES = "select sheet_name, rows_counted, rows_quarantined from sheet_reconciliation"
QUARANTINE_REASONS = (
    "select sheet_name, quarantine_reason, rows_quarantined from quarantine_summary"
)
# The first three rows of each reason, which the summary lists.
QUARANTINE_EXAMPLES = (
    "select sheet_name, quarantine_reason, sheet_row_number, row_values from ("
    " select *, row_number() over ("
    "  partition by sheet_name, quarantine_reason order by source_row_number"
    " ) as example from quarantined_rows"
    ") as numbered where example <= 3"
    " order by sheet_name, quarantine_reason, source_row_number"
)
BUILD_FIGURES = (
    "select interactions_counted, customers_not_in_sheet, interactions_without_topic"
    " from build_info"
)


def _read_summary(
    warehouse: str, env: dict[str, str], result: ImportResult, fixit_path: Path | None
) -> None:
    """The summary's figures, read from the new marts before they go live (and the fix-it
    workbook, when asked for)."""
    sheets = dict(zip(MART_SHEETS, result.sheets, strict=True))
    with connect_to_marts(warehouse, env) as connection:

        def rows(query: str) -> list[tuple]:
            return connection.execute(query).fetchall()

        if fixit_path is not None:
            fixit.write(fixit_path, rows(fixit.QUARANTINED_ROWS.format(schema="")))

        for sheet, counted, quarantined in rows(SHEET_FIGURES):
            sheets[sheet].rows_counted, sheets[sheet].rows_quarantined = counted, quarantined
        reasons = {
            (sheet, reason): QuarantineReason(sheets[sheet].name, reason, count, [])
            for sheet, reason, count in rows(QUARANTINE_REASONS)
        }
        for sheet, reason, sheet_row, values in rows(QUARANTINE_EXAMPLES):
            reasons[(sheet, reason)].examples.append((sheet_row, values))
        order = list(MART_SHEETS)
        result.quarantined = [
            reasons[key]
            for key in sorted(
                reasons, key=lambda key: (order.index(key[0]), -reasons[key].rows, key[1])
            )
        ]
        (
            result.interactions_counted,
            result.customers_not_in_sheet,
            result.interactions_without_topic,
        ) = rows(BUILD_FIGURES)[0]


def format_summary(result: ImportResult) -> str:
    """The report printed at the end of an import."""
    width = max(len(figures.name) for figures in result.sheets) + 2
    where = f"the {result.warehouse} warehouse"
    if result.warehouse == "spark_cluster":
        where += " (built on the Spark cluster, served by PostgreSQL)"
    if result.preview:
        outcome = (
            "would be refused by the shrink guard (IMPORT_MAX_SHRINK; see below)"
            if result.refusal
            else f"would go live as version {result.version}; nothing changed"
        )
        headline = f"Preview of {result.workbook.name} on {where}: it {outcome}."
    else:
        headline = (
            f"Imported {result.workbook.name} into {where}: version {result.version} is live."
        )
    lines = [
        headline,
        "",
        f"{'sheet':<{width}}{'rows read':>10}{'counted':>10}{'quarantined':>13}",
    ]
    for figures in result.sheets:
        lines.append(
            f"{figures.name:<{width}}{figures.rows_read:>10}{figures.rows_counted:>10}"
            f"{figures.rows_quarantined:>13}"
        )
    lines.append("")
    if result.quarantined:
        lines.append("Quarantined rows by reason (all of them are in marts.quarantined_rows):")
        for item in result.quarantined:
            shown = ", ".join(str(row) for row, _ in item.examples)
            more = ", ..." if item.rows > len(item.examples) else ""
            lines.append(f"  {item.sheet}: {item.reason}: {item.rows} (sheet rows {shown}{more})")
            for row, values in item.examples:
                lines.append(f"      row {row}: {values}")
    else:
        lines.append("Quarantined rows: none")
    lines += [
        f"Interactions counted: {result.interactions_counted}",
        f"Customers not in the customer sheet: {result.customers_not_in_sheet}",
        f"Interactions without a topic: {result.interactions_without_topic}",
    ]
    if result.warnings:
        lines.append(f"Warnings: {len(result.warnings)}")
        lines += [f"  {warning}" for warning in result.warnings]
    if result.changes is not None:
        lines += format_changes(result.changes)
    if result.removed_versions:
        removed = ", ".join(map(str, result.removed_versions))
        lines.append(f"Versions removed (IMPORT_KEEP_VERSIONS): {removed}")
    stages = ", ".join(
        f"{name} {seconds:.1f} s" for name, seconds in result.stages.items() if name != "total"
    )
    lines.append(f"Time per stage: {stages}; total {result.stages.get('total', 0.0):.1f} s")
    return "\n".join(lines)
