"""Excel files the product writes (the API's XLSX exports, the fix-it workbook): openpyxl's
write-only mode, numbers as numbers, a text that starts with '=' kept as text, never run as a
formula in the business's Excel, and a control character that XML cannot hold (a workbook's
`_x0007_`, which the reader turned into the character) written back as Excel writes it,
`_x0007_`, so every text a workbook can hold goes through every XLSX output."""

import io
import re
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

# The characters XML 1.0 cannot hold (openpyxl refuses them: IllegalCharacterError), and a
# text that reads as Excel's escape already (its "_" escaped in turn, as Excel does).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]|_(?=x[0-9A-Fa-f]{4}_)")

Sheet = tuple[str, list[str], Iterable[list]]  # title, header, rows


def workbook_bytes(sheets: Iterable[Sheet]) -> bytes:
    """A workbook of one sheet per (title, columns, rows)."""
    book = Workbook(write_only=True)
    for title, columns, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append([_cell(sheet, column) for column in columns])
        for row in rows:
            sheet.append([_cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def escaped(text: str) -> str:
    """A text with each control character as Excel's escape: "a\x07" -> "a_x0007_", and a
    text "_x0007_" as "_x005F_x0007_" (read back as "_x0007_")."""
    return _CONTROL.sub(lambda match: f"_x{ord(match[0]):04X}_", text)


def _cell(sheet, value):
    """openpyxl writes a text starting with '=' as a formula: such a cell is typed as text."""
    if not isinstance(value, str):
        return value
    value = escaped(value)
    if value.startswith("="):
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        return cell
    return value
