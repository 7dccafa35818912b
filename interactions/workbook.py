"""Read the business's Excel workbook (.xlsx or .xlsm) into the three seed sheets' rows.

Sheets and headers are found ignoring case, surrounding spaces, and spaces versus
underscores; extra sheets and columns are ignored with a warning. Each cell becomes text in
one canonical form, so the pipeline's cleaning stays the single place where rules live:

- text stays exactly as typed (stray spaces included: the pipeline trims);
- a number is written as an integer when it is whole (Excel stores the id 4 as 4.0), else in
  Python's shortest round-trip form ('4.5');
- a date cell is written in the pipeline's own format for its column (dbt vars
  interaction_datetime_format and product_month_format), other date cells as ISO text;
- a formula is read through the value Excel cached when it last saved the workbook;
- an empty cell, or an Excel error cell (#N/A), is empty.

What calamine would take in without a word is a warning: a formula without a cached value
(it reads as empty), a hidden sheet or row (read like the others; formulas and rows are found
in the sheet's XML by interactions/workbook_xml.py), an empty Customers sheet.

Blank rows between data rows are kept (the pipeline quarantines them as 'blank row', so the
seed's row numbers stay the sheet's); blank rows after the last data row are not data.
python-calamine does the reading: openpyxl takes about 50 s for a million rows, calamine 5.
"""

import datetime
import functools
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine

from core.sheets import SHEETS, SheetSpec
from interactions.workbook_xml import SHOWN, SheetXml, scan_sheets

EXTENSIONS = (".xlsx", ".xlsm")
ZIP_MAGIC = b"PK\x03\x04"
HIDDEN_STATES = (  # how a warning says a sheet is not visible
    (python_calamine.SheetVisibleEnum.Hidden, "hidden"),
    (python_calamine.SheetVisibleEnum.VeryHidden, "very hidden (only Excel's VBA editor shows it)"),
)


class WorkbookError(ValueError):
    """The workbook cannot be imported; the message names the file, sheet, column or cell."""


def normalized_name(name: str) -> str:
    """'Sales report', ' sales_report ' and 'SALES  REPORT' match."""
    return " ".join(str(name).replace("_", " ").split()).casefold()


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def cell_name(row: int, column: int) -> str:
    """The cell's Excel name from 0-based row and column: (0, 1) -> B1."""
    return f"{column_letter(column)}{row + 1}"


@dataclass(frozen=True)
class DateFormats:
    """strftime formats for date cells, by column kind (from the dbt project's vars)."""

    datetime: str
    month: str

    def for_kind(self, kind: str) -> str | None:
        return {"datetime": self.datetime, "month": self.month}.get(kind)


def _round_to_second(value: datetime.datetime) -> datetime.datetime:
    """Excel stores times as fractions of a day: 09:00 can read back as 08:59:59.999999."""
    if value.microsecond >= 500_000:
        return value.replace(microsecond=0) + datetime.timedelta(seconds=1)
    return value.replace(microsecond=0)


_FIELDS = {"d": "day:02d", "m": "month:02d", "Y": "year:04d", "H": "hour:02d", "M": "minute:02d"}
_FIELDS["S"] = "second:02d"


@functools.cache
def _date_template(date_format: str) -> str:
    """A strftime format (%d %m %Y %H %M %S) as a str.format template: the same text, about
    a third faster than strftime, which a million date cells notice."""
    parts = re.split(r"(%.)", date_format)
    template = []
    for part in parts:
        if len(part) == 2 and part[0] == "%":
            template.append("%" if part == "%%" else "{0." + _FIELDS[part[1]] + "}")
        else:
            template.append(part.replace("{", "{{").replace("}", "}}"))
    return "".join(template)


def cell_text(value, date_format: str | None) -> str:
    """One cell as canonical text (see the module's docstring)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is float:
        return str(int(value)) if value.is_integer() else repr(value)
    if kind is datetime.datetime:
        if value.microsecond:
            value = _round_to_second(value)
        return _date_template(date_format).format(value) if date_format else str(value)
    if kind is datetime.date:
        if date_format:  # a date cell is its day at 00:00
            midnight = datetime.datetime(value.year, value.month, value.day)
            return _date_template(date_format).format(midnight)
        return value.isoformat()
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if kind is int:
        return str(value)
    if kind is datetime.time:
        return value.isoformat()
    if value is None:
        return ""
    return str(value)


def _converter(date_format: str | None) -> Callable[[object], str]:
    """cell_text for one column, with text (most cells) returned at once."""

    def convert(value) -> str:
        return value if type(value) is str else cell_text(value, date_format)

    return convert


@dataclass
class SheetReader:
    """One of the three sheets, its header checked; `rows()` streams its data rows as text."""

    spec: SheetSpec
    sheet_name: str  # as spelled in this workbook
    _sheet: object
    _formats: DateFormats
    _positions: list[int]  # absolute column index of each spec column, in spec order
    header_row: int  # 0-based index of the header's row in the sheet
    _column_offset: int  # 0-based column of the rows' first cell
    _checked_empty_columns: list[int]  # header-less columns that must hold no data
    warnings: list[str] = field(default_factory=list)
    rows_read: int = 0

    def rows(self) -> Iterator[list[str]]:
        """The data rows after the header, as canonical text in the seed's column order.

        Blank rows between data rows are yielded; trailing blank rows are not.
        """
        converters = [_converter(self._formats.for_kind(c.kind)) for c in self.spec.columns]
        indexes = [position - self._column_offset for position in self._positions]
        pairs = list(zip(indexes, converters, strict=True))
        empty_columns = [index - self._column_offset for index in self._checked_empty_columns]
        pending_blank: list[list[str]] = []
        self.rows_read = 0
        rows = self._sheet.iter_rows()
        for cells in rows:  # up to and including the header: its first row with a value
            if any(cell != "" for cell in cells):
                break
        for absolute_row, cells in enumerate(rows, start=self.header_row + 1):
            width = len(cells)
            values = [convert(cells[index]) if index < width else "" for index, convert in pairs]
            for index in empty_columns:
                if index < width and cells[index] != "":
                    raise WorkbookError(
                        f"sheet {self.sheet_name!r}: column "
                        f"{column_letter(index + self._column_offset)} has data (cell "
                        f"{cell_name(absolute_row, index + self._column_offset)}) but an empty "
                        f"header cell ({cell_name(self.header_row, index + self._column_offset)}): "
                        "give the column a header, or delete it"
                    )
            if not "".join(values).strip():  # blank: every cell empty or spaces
                pending_blank.append(values)
                continue
            if pending_blank:
                self.rows_read += len(pending_blank)
                yield from pending_blank
                pending_blank = []
            self.rows_read += 1
            yield values
        empty = f"sheet {self.sheet_name!r} has no data rows: {self.spec.if_empty}"
        if self.rows_read == 0 and self.spec.if_empty and empty not in self.warnings:
            self.warnings.append(empty)


@dataclass
class Workbook:
    path: Path
    sheets: list[SheetReader]
    warnings: list[str]


def check_file(path: Path) -> None:
    """A clear error for anything but an .xlsx/.xlsm file (CSV, renamed file, corrupt zip)."""
    if path.suffix.lower() not in EXTENSIONS:
        raise WorkbookError(
            f"{path.name}: not an Excel workbook; import an .xlsx or .xlsm file "
            f"(the file's extension is {path.suffix or 'missing'!r})"
        )
    if not path.is_file():
        raise WorkbookError(f"{path}: no such file")
    with open(path, "rb") as handle:
        head = handle.read(len(ZIP_MAGIC))
    if head != ZIP_MAGIC:
        raise WorkbookError(
            f"{path.name}: not an Excel .xlsx/.xlsm workbook (its content is not a zip "
            "package: is it a CSV, an old .xls or a password-protected file, renamed?)"
        )


@contextmanager
def _reading(path: Path):
    """calamine's errors as WorkbookError. A damaged file can also make its Rust code panic,
    which reaches Python as a BaseException (pyo3's PanicException): caught too."""
    try:
        yield
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # noqa: BLE001 - see above
        detail = " ".join(str(error).split()) or type(error).__name__
        raise WorkbookError(
            f"{path.name}: the workbook cannot be read (a damaged or incomplete file?): {detail}"
        ) from error


def open_workbook(path, formats: DateFormats) -> Workbook:
    """Open `path`, find the three sheets and check their headers; raise WorkbookError."""
    path = Path(path)
    check_file(path)
    with _reading(path):
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        sheet_names = list(book.sheet_names)
        hidden = {  # calamine's enum is not hashable
            sheet.name: state
            for sheet in book.sheets_metadata
            for visibility, state in HIDDEN_STATES
            if sheet.visible == visibility
        }
    warnings: list[str] = []
    by_name: dict[str, list[str]] = {}
    for name in sheet_names:
        by_name.setdefault(normalized_name(name), []).append(name)
    wanted = {normalized_name(spec.name) for spec in SHEETS}
    missing = [spec.name for spec in SHEETS if normalized_name(spec.name) not in by_name]
    if missing:
        found = ", ".join(repr(name) for name in sheet_names) or "none"
        raise WorkbookError(
            f"{path.name}: no sheet {' and no sheet '.join(repr(name) for name in missing)} "
            f"(sheets found: {found}); sheet names are matched ignoring case, surrounding "
            "spaces, and spaces versus underscores"
        )
    for spec in SHEETS:
        matches = by_name[normalized_name(spec.name)]
        if len(matches) > 1:
            described = [f"{name!r} (hidden)" if name in hidden else repr(name) for name in matches]
            raise WorkbookError(
                f"{path.name}: sheets {' and '.join(described)} both match {spec.name!r}; keep one "
                "of them"
            )
    for name in sheet_names:
        if normalized_name(name) not in wanted:
            state = f"is {hidden[name]}, and" if name in hidden else "is"
            warnings.append(
                f"sheet {name!r} {state} not one of "
                f"{', '.join(repr(spec.name) for spec in SHEETS)}: ignored"
            )
        elif name in hidden:
            warnings.append(f"sheet {name!r} is {hidden[name]}: imported like the visible sheets")
    names = [by_name[normalized_name(spec.name)][0] for spec in SHEETS]
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The sheets' XML is scanned while calamine reads them: calamine releases the GIL.
        scanning = pool.submit(scan_sheets, path, names)
        readers, last_rows = [], []
        for spec, name in zip(SHEETS, names, strict=True):
            with _reading(path):
                sheet = book.get_sheet_by_name(name)
            readers.append(_sheet_reader(spec, name, sheet, formats))
            last_rows.append(sheet.end[0] + 1)  # the sheet's last row with a value, 1-based
        with _reading(path):
            scanned = scanning.result()
    for reader, last_row in zip(readers, last_rows, strict=True):
        if reader.sheet_name in scanned:
            data_rows = range(reader.header_row + 2, last_row + 1)
            reader.warnings += _xml_warnings(
                reader.sheet_name, scanned[reader.sheet_name], data_rows
            )
    return Workbook(path=path, sheets=readers, warnings=warnings)


def _listed(names: list[str], count: int) -> str:
    """'A5, B5' or, past the first SHOWN of `count`, 'A5, B5, ... and 12 more'."""
    more = count - len(names[:SHOWN])
    return ", ".join(names[:SHOWN]) + (f" and {more} more" if more else "")


def _xml_warnings(name: str, found: SheetXml, data_rows: range) -> list[str]:
    """Formulas without a saved value (anywhere in the sheet: one below the last row with a
    value may hide data rows), hidden data rows."""
    warnings = []
    count = found.formulas_without_value
    if count:
        one = count == 1
        cells = f" (cell{'' if one else 's'} {_listed(found.formula_cells, count)})"
        warnings.append(
            f"sheet {name!r}: {count} formula{' has' if one else 's have'} no value Excel saved"
            f"{cells if found.formula_cells else ''}: {'it reads' if one else 'they read'} as "
            "empty; open the workbook in Excel and save it so that "
            f"{'its value is' if one else 'their values are'} stored"
        )
    rows = [row for row in found.hidden_rows if row in data_rows]
    if rows:
        one = len(rows) == 1
        warnings.append(
            f"sheet {name!r}: row{'' if one else 's'} "
            f"{_listed([str(row) for row in rows[:SHOWN]], len(rows))} "
            f"{'is' if one else 'are'} hidden: imported like the others"
        )
    return warnings


def _sheet_reader(spec: SheetSpec, name: str, sheet, formats: DateFormats) -> SheetReader:
    expected = ", ".join(repr(column.header) for column in spec.columns)
    start, end = sheet.start, sheet.end
    if start is None or end is None:
        raise WorkbookError(f"sheet {name!r} is empty: it needs a header row ({expected})")
    header_cells = next((cells for cells in sheet.iter_rows() if any(c != "" for c in cells)), None)
    if header_cells is None:
        raise WorkbookError(f"sheet {name!r} is empty: it needs a header row ({expected})")
    header_row = start[0]  # the sheet's first row with a value
    column_offset = end[1] + 1 - len(header_cells)  # rows end at the last used column
    _check_merged_header(name, sheet, header_row)
    named: dict[str, list[int]] = {}
    empty: list[int] = []
    texts = [cell_text(cell, None) for cell in header_cells]
    named_indexes = [index for index, text in enumerate(texts) if text.strip()]
    if not named_indexes:
        raise WorkbookError(
            f"sheet {name!r}: its first row ({header_row + 1}) holds only spaces; it needs a "
            f"header row ({expected})"
        )
    warnings = []
    for index, text in enumerate(texts):
        absolute = column_offset + index
        if not text.strip():
            if named_indexes[0] < index < named_indexes[-1]:
                raise WorkbookError(
                    f"sheet {name!r}: header cell {cell_name(header_row, absolute)} is empty; "
                    f"every column needs its own header ({expected})"
                )
            # A column outside the named ones may stay only if it holds no data (checked
            # while reading the rows).
            empty.append(absolute)
            continue
        named.setdefault(normalized_name(text), []).append(absolute)
    positions = []
    missing = []
    for column in spec.columns:
        found = named.pop(normalized_name(column.header), [])
        if not found:
            missing.append(column.header)
            continue
        if len(found) > 1:
            cells = " and ".join(cell_name(header_row, index) for index in found)
            raise WorkbookError(
                f"sheet {name!r}: column {column.header!r} appears twice ({cells}); keep one"
            )
        positions.append(found[0])
    if missing:
        found_headers = ", ".join(repr(texts[index]) for index in named_indexes)
        raise WorkbookError(
            f"sheet {name!r}: no column {' and no column '.join(repr(h) for h in missing)} "
            f"in its header row (row {header_row + 1}: {found_headers})"
        )
    for indexes in named.values():
        for index in indexes:
            header = texts[index - column_offset]
            warnings.append(
                f"sheet {name!r}: column {column_letter(index)} {header!r} is not one of "
                f"{expected}: ignored"
            )
    merged = sheet.merged_cell_ranges or []
    for (top, left), (bottom, right) in merged:
        if top > header_row:
            warnings.append(
                f"sheet {name!r}: cells {cell_name(top, left)}:{cell_name(bottom, right)} are "
                f"merged; only {cell_name(top, left)} holds a value, the others read as blank"
            )
    return SheetReader(
        spec=spec,
        sheet_name=name,
        _sheet=sheet,
        _formats=formats,
        _positions=positions,
        header_row=header_row,
        _column_offset=column_offset,
        _checked_empty_columns=empty,
        warnings=warnings,
    )


def _check_merged_header(name: str, sheet, header_row: int) -> None:
    for (top, left), (bottom, right) in sheet.merged_cell_ranges or []:
        if top <= header_row <= bottom:
            raise WorkbookError(
                f"sheet {name!r}: header cells {cell_name(top, left)}:{cell_name(bottom, right)} "
                "are merged; unmerge them so that every column has its own header cell"
            )


_STRFTIME_TOKEN = re.compile(r"%(.)")


def check_date_format(date_format: str) -> str:
    """The pipeline's formats use %d %m %Y %H %M %S only; anything else is a setup error."""
    unsupported = sorted(set(_STRFTIME_TOKEN.findall(date_format)) - set("dmYHMS"))
    if unsupported:
        raise ValueError(
            f"date format {date_format!r}: unsupported token(s) "
            f"{', '.join('%' + token for token in unsupported)}"
        )
    return date_format
