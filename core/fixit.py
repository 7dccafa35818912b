"""The fix-it workbook: the rows a build quarantined, as an Excel file the business can fix its
own export with. The API serves the live version's (GET /api/v1/quarantine.xlsx) and an
upload's preview's (GET /api/v1/imports/{id}/quarantine.xlsx, written by `interactions import
--fixit`); both come from the marts' quarantined_rows through `workbook` below.

One sheet per workbook sheet, named as in the workbook (seeds/_seeds.yml), each holding
its quarantined rows in sheet order: the row's number in the business's sheet, the reason, then
its cells as landed under the sheet's own headers. A sheet without quarantined rows is there,
with its header only.
"""

import os
from collections.abc import Iterable
from pathlib import Path

from core.sheets import SHEETS
from core.xlsx_files import workbook_bytes

FIRST_COLUMNS = ["Sheet row", "Reason"]

# quarantined_rows of the marts a connection reads (the API prefixes the schema).
QUARANTINED_ROWS = """
select
    sheet_name,
    sheet_row_number,
    quarantine_reason,
    cell_1,
    cell_2,
    cell_3
from {schema}quarantined_rows
order by sheet_name, sheet_row_number
"""

Row = tuple  # sheet_name (the mart's), sheet_row_number, quarantine_reason, cell_1..cell_3


def workbook(rows: Iterable[Row]) -> bytes:
    by_sheet = {spec.mart_name: [] for spec in SHEETS}
    for sheet_name, sheet_row, reason, *cells in rows:
        by_sheet[sheet_name].append([sheet_row, reason, *cells])
    sheets = []
    for spec in SHEETS:
        columns = FIRST_COLUMNS + spec.headers
        sheets.append(
            (spec.name, columns, [row[: len(columns)] for row in by_sheet[spec.mart_name]])
        )
    return workbook_bytes(sheets)


def write(path: Path, rows: Iterable[Row]) -> None:
    """The fix-it workbook at `path`, whole or not at all (written aside, then renamed)."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(workbook(rows))
    os.replace(temporary, path)
