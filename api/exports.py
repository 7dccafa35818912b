"""The tables the website shows, as CSV or XLSX: `?format=csv` or `?format=xlsx` on the
endpoints behind them (declared with `table=` in api/endpoints.py).

The view answers its JSON as always (from the answer file, the kept answers or the warehouse);
a 200 is then turned into one table by the endpoint's `table` function (columns, rows) and
written as CSV (UTF-8, a header row, RFC 4180 quoting) or as an XLSX workbook of one sheet
whose numbers are numbers. Errors stay JSON. The answer's headers (X-Data-Version, ETag) are
the JSON answer's: the same build.
"""

import csv
import io
import re
from collections.abc import Callable, Iterable

from flask import Response

from core.xlsx_files import workbook_bytes

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {"csv": CSV, "xlsx": XLSX}

Table = tuple[list[str], list[list]]  # columns, rows


def exported(response: Response, table: Callable[[dict], Table], fmt: str, name: str):
    """`response` (a 200 JSON answer) as a CSV or XLSX download named `name`.<fmt>."""
    columns, rows = table(response.get_json())
    if fmt == "csv":
        body = csv_bytes(columns, rows)
    else:
        body = xlsx_bytes(columns, rows)
    filename = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "export"
    return attachment(body, MEDIA_TYPES[fmt], f"{filename}.{fmt}")


def attachment(body: bytes, media_type: str, filename: str) -> Response:
    """A file to save as `filename` (a name of letters, digits, '.', '_' and '-')."""
    download = Response(body, content_type=media_type)
    download.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return download


def csv_bytes(columns: list[str], rows: Iterable[list]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if value is None else _csv_safe(value) for value in row])
    return text.getvalue().encode()


def _csv_safe(value):
    """Text that a spreadsheet would run as a formula (=, +, -, @ first) gets a leading
    apostrophe, so opening the download never runs a cell written by someone else."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def xlsx_bytes(columns: list[str], rows: Iterable[list], title: str = "data") -> bytes:
    return workbook_bytes([(title, columns, rows)])


def per_channel(columns: list[str], items: Iterable[tuple[tuple, dict]]) -> Table:
    """Rows of (the `columns`' values, then one count per channel): the channel object of the
    answers ({channel: count}, every channel in display order) as columns."""
    items = list(items)
    channels = list(items[0][1]) if items else []
    rows = [[*values, *(counts[channel] for channel in channels)] for values, counts in items]
    return [*columns, *channels], rows


def records(items: list[dict]) -> Table:
    """A list of flat objects (customers, versions, sheets): one column per key."""
    columns = list(items[0]) if items else []
    return columns, [[item[column] for column in columns] for item in items]
