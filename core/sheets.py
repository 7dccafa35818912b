"""The workbook's shape as seeds/_seeds.yml declares it (its one declaration): its sheets, each
sheet's columns as the business spells them, the seed each lands as and the seed's columns, and
the name the marts give the sheet.

interactions/workbook.py reads workbooks by it, interactions/seed_files.py names the seed files
by it, core/fixit.py heads the fix-it workbook's sheets with it and the API's rows endpoint
labels a row's cells with it. The marts read the same YAML through dbt (macros/workbook.sql).
The file is read, not dbt's manifest: a manifest needs a dbt parse (seconds) and is derived from
this file.
"""

from dataclasses import dataclass
from pathlib import Path

import yaml

# Beside the code that reads it (this checkout's), whatever INTERACTIONS_HOME says.
SEEDS_YAML = Path(__file__).resolve().parents[1] / "seeds" / "_seeds.yml"


@dataclass(frozen=True)
class Column:
    header: str  # as the business's workbook spells it
    seed_column: str  # the seed CSV's snake_cased header
    kind: str = "text"  # text | datetime | month: how a date cell is written


@dataclass(frozen=True)
class SheetSpec:
    name: str  # as the business's workbook spells it
    seed: str  # the seed it lands as (seeds/<seed>.csv)
    columns: tuple[Column, ...]
    mart_name: str  # its sheet_name in marts.sheet_reconciliation and marts.quarantined_rows
    if_empty: str = ""  # a warning's consequence when the sheet has a header but no data rows

    @property
    def seed_columns(self) -> list[str]:
        return [column.seed_column for column in self.columns]

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]


def _meta(properties: dict) -> dict:
    return (properties.get("config") or {}).get("meta") or {}


def read_sheets(path: Path) -> tuple[SheetSpec, ...]:
    """The sheets declared in a seeds properties file, in its order."""
    seeds = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["seeds"]
    return tuple(
        SheetSpec(
            name=_meta(seed)["sheet"],
            seed=seed["name"],
            columns=tuple(
                Column(
                    header=_meta(column)["header"],
                    seed_column=column["name"],
                    kind=_meta(column).get("cell", "text"),
                )
                for column in seed["columns"]
            ),
            mart_name=_meta(seed)["sheet_in_marts"],
            if_empty=_meta(seed).get("if_empty", ""),
        )
        for seed in seeds
        if "sheet" in _meta(seed)
    )


SHEETS = read_sheets(SEEDS_YAML)
BY_SEED = {sheet.seed: sheet for sheet in SHEETS}
# The sheet whose rows are counted (fct_interactions), which the API's rows endpoint shows.
INTERACTIONS = BY_SEED["raw_external_interactions"]
