"""Excel files the product writes (the API's XLSX exports, the fix-it workbook): openpyxl's
write-only mode, numbers as numbers, and a text that starts with '=' kept as text, never run
as a formula in the business's Excel."""

import io
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

Sheet = tuple[str, list[str], Iterable[list]]  # title, header, rows


def workbook_bytes(sheets: Iterable[Sheet]) -> bytes:
    """A workbook of one sheet per (title, columns, rows)."""
    book = Workbook(write_only=True)
    for title, columns, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append(columns)
        for row in rows:
            sheet.append([_cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(sheet, value):
    """openpyxl writes a text starting with '=' as a formula: such a cell is typed as text."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        return cell
    return value
