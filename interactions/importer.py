"""`interactions import WORKBOOK.xlsx`: a new workbook goes live whole, or nothing changes.

Steps, each timed, all inside one atomic build (interactions/build.py):
1. read the workbook (interactions/workbook.py) into new seed CSVs in a temporary folder
   beside seeds/ (never inside it: dbt reads every CSV under seeds/), while a dbt process
   starts and parses the project;
2. load those seeds in bulk into a new warehouse (interactions/landing.py) and run
   `dbt build` on it (models, data tests, unit tests);
3. read this summary from the new marts, then make the new warehouse live;
4. once live, move the new seed CSVs over seeds/ (one rename each), still under the build lock.

Any error before the warehouse goes live (an unreadable workbook, a missing sheet, a failing
dbt test) leaves the previous seeds and marts exactly as they were.
"""

import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psycopg
import yaml

from interactions.build import BuildError, build
from interactions.seed_files import WORKBOOK_SEEDS, replace_seeds, seed_path, write_seed
from interactions.settings import Settings
from interactions.workbook import (
    SHEETS,
    DateFormats,
    Workbook,
    check_date_format,
    check_file,
    open_workbook,
)

# sheet_name in the marts -> the workbook's sheet
MART_SHEETS = {"customers": SHEETS[0], "interactions": SHEETS[1], "products": SHEETS[2]}


class ImportFailed(RuntimeError):
    """The import stopped, and the message says why. Nothing changed, unless the message says
    otherwise (the one case: the seed files could not be replaced once the marts were live)."""


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


def date_formats(settings: Settings) -> DateFormats:
    """The pipeline's date formats: the dbt vars, so the rule lives in one place."""
    project = yaml.safe_load((settings.dbt_project_dir / "dbt_project.yml").read_text())
    variables = project.get("vars", {})
    return DateFormats(
        datetime=check_date_format(variables["interaction_datetime_format"]),
        month=check_date_format(variables["product_month_format"]),
    )


def import_workbook(settings: Settings, workbook_path, echo=False) -> ImportResult:
    """Import the workbook at `workbook_path`; raise ImportFailed (nothing changed) on error."""
    if settings.warehouse not in ("duckdb", "postgres"):
        raise ImportFailed(
            f"import works on WAREHOUSE=duckdb or postgres, not {settings.warehouse}"
        )
    started = time.monotonic()
    workbook_path = Path(workbook_path)
    staging_parent = settings.root / "warehouse"
    staging_parent.mkdir(parents=True, exist_ok=True)
    new_seeds = Path(tempfile.mkdtemp(prefix=".import-", dir=staging_parent))
    read: list[ImportResult] = []
    try:
        formats = date_formats(settings)
        try:
            check_file(workbook_path)  # not a workbook at all: fail before any build starts
        except ValueError as error:
            raise ImportFailed(f"{error}; nothing changed") from error

        def read_workbook(env):
            read_started = time.monotonic()
            read.append(_read_into(settings, _open(workbook_path, formats), new_seeds))
            read[0].stages["read workbook"] = time.monotonic() - read_started

        def summarize(env):
            result = read[0]
            summary_started = time.monotonic()
            _read_summary(settings.warehouse, env, result)
            result.stages["summary"] = time.monotonic() - summary_started

        def replace_live_seeds():
            result = read[0]
            replace_started = time.monotonic()
            try:
                replace_seeds(new_seeds, settings.seeds_dir, WORKBOOK_SEEDS)
            except OSError as error:  # rare: the seeds folder is not writable
                raise ImportFailed(
                    f"the new marts are live, but the seed files could not be replaced "
                    f"({error}); fix that and import the workbook again"
                ) from error
            result.stages["replace seeds"] = time.monotonic() - replace_started

        try:
            built = build(
                settings,
                echo=echo,
                before_dbt=read_workbook,
                seeds_dir=new_seeds,
                before_live=summarize,
                after_live=replace_live_seeds,
            )
        except BuildError as error:
            raise ImportFailed(_build_failure(error)) from error
        except (ValueError, OSError, psycopg.Error, duckdb.Error) as error:
            raise ImportFailed(
                f"{error}; nothing changed: the previous data is still live"
            ) from error
        result = read[0]
        result.dbt_output = built.dbt_output
        result.stages = {
            "read workbook": result.stages["read workbook"],
            "load": built.stages["load"],
            "dbt build": built.stages["dbt build"],
            "summary": result.stages["summary"],
            "go live": built.stages["go live"],
            "replace seeds": result.stages["replace seeds"],
            "total": time.monotonic() - started,
        }
        return result
    finally:
        shutil.rmtree(new_seeds, ignore_errors=True)


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
            if reader.spec.seed == "raw_external_interactions" and reader.rows_read == 0:
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


def _build_failure(error: BuildError) -> str:
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
    "select sheet_name, quarantine_reason, count(*) from quarantined_rows"
    " group by sheet_name, quarantine_reason"
)
# The first three rows of each reason, which the summary lists.
QUARANTINE_EXAMPLES = (
    "select sheet_name, quarantine_reason, source_row_number, row_values from ("
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


def _connect_to_marts(warehouse: str, env: dict[str, str]):
    """A connection whose search path is the new marts (marts__next on PostgreSQL)."""
    if warehouse == "duckdb":
        connection = duckdb.connect(env["DUCKDB_PATH"], read_only=True)
        connection.execute("set search_path = 'marts'")
        return connection
    connection = psycopg.connect(connect_timeout=5)
    marts = "marts" + env.get("DBT_SCHEMA_SUFFIX", "")
    connection.execute("select set_config('search_path', %s, false)", [marts])
    return connection


def _read_summary(warehouse: str, env: dict[str, str], result: ImportResult) -> None:
    """The summary's figures, read from the new marts before they go live."""
    sheets = dict(zip(MART_SHEETS, result.sheets, strict=True))
    with _connect_to_marts(warehouse, env) as connection:

        def rows(query: str) -> list[tuple]:
            return connection.execute(query).fetchall()

        for sheet, counted, quarantined in rows(SHEET_FIGURES):
            sheets[sheet].rows_counted, sheets[sheet].rows_quarantined = counted, quarantined
        reasons = {
            (sheet, reason): QuarantineReason(sheets[sheet].name, reason, count, [])
            for sheet, reason, count in rows(QUARANTINE_REASONS)
        }
        for sheet, reason, row_number, values in rows(QUARANTINE_EXAMPLES):
            sheet_row = sheets[sheet].header_row + row_number
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
    lines = [
        f"Imported {result.workbook.name} into the {result.warehouse} warehouse: the new seeds "
        "and marts are live.",
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
    stages = ", ".join(
        f"{name} {seconds:.1f} s" for name, seconds in result.stages.items() if name != "total"
    )
    lines.append(f"Time per stage: {stages}; total {result.stages.get('total', 0.0):.1f} s")
    return "\n".join(lines)
