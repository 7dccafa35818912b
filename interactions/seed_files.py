"""The workbook's seed CSVs (seeds/raw_*.csv, and each kept version's): their one canonical
text form.

Canonical form: UTF-8, a header of the snake_cased column names, one line per row ending in
'\\n', fields quoted only when they must be (a comma, a quote or a line break), every value as
text. Exporting the seeds as a workbook and importing it gives the same bytes.
"""

import csv
from collections.abc import Iterable
from pathlib import Path

from core.sheets import SHEETS

# The workbook's seeds and their columns, in sheet order (seeds/_seeds.yml, read by core/sheets.py).
WORKBOOK_SEEDS = {sheet.seed: tuple(sheet.seed_columns) for sheet in SHEETS}


def seed_path(folder: Path, seed: str) -> Path:
    return Path(folder) / f"{seed}.csv"


def write_seed(path: Path, columns: Iterable[str], rows: Iterable[list[str]]) -> None:
    """Write one seed CSV in the canonical form."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(list(columns))
        writer.writerows(rows)
