"""What python-calamine would take in without a word is a warning in the import's summary,
and the import proceeds: formulas without a value Excel saved (they read as empty), hidden
rows and sheets (read like the others), an empty Customers sheet. On workbooks generated here
with openpyxl, which saves formulas without values, as a workbook never opened in Excel."""

import datetime
import io
import zipfile

import openpyxl
import pytest

from core.settings import load as load_settings
from interactions import importer, workbook_xml
from interactions.workbook import WorkbookError
from tests.test_import import Project, summary_without_timing
from tests.test_import_workbook import (
    HEADERS,
    ROOT,
    export_seeds,
    make_workbook,
    read,
    sample_sheets,
    with_cached_values,
)
from tests.warehouses import copy_project, fresh_sample

EMAIL = [datetime.datetime(2019, 10, 4, 9, 0), "Email", 1]
SMALL_CHUNKS = 37  # bytes: every row and cell is cut across chunks


@pytest.fixture(scope="module")
def formats():
    return importer.date_formats(load_settings({"INTERACTIONS_HOME": str(ROOT)}))


@pytest.fixture(
    params=[workbook_xml.CHUNK_BYTES, SMALL_CHUNKS], ids=["4-MB-chunks", "37-byte-chunks"]
)
def chunk_bytes(request, monkeypatch):
    """Each scan of a sheet's XML, once in the usual chunks, once cut everywhere."""
    monkeypatch.setattr(workbook_xml, "CHUNK_BYTES", request.param)
    return request.param


def workbook(path, sheets, change=None):
    """make_workbook, then `change(book)` on it in openpyxl (hide a row, a sheet)."""
    make_workbook(path, sheets)
    if change:
        book = openpyxl.load_workbook(path)
        change(book)
        book.save(path)
    return path


def warnings_of(path, formats, folder) -> list[str]:
    """The warnings of reading `path` as an import does."""
    return read(path, formats, folder)[1]


def test_formulas_without_a_saved_value_are_named(tmp_path, formats, chunk_bytes):
    path = workbook(
        tmp_path / "formulas.xlsx",
        sample_sheets(
            Customers=[HEADERS["Customers"], ["=1+1", "Jedi", "Red"]],
            External_interactions=[
                HEADERS["External interactions"],
                EMAIL,
                ["=A2", '=LOWER("EMAIL")', "=C2"],  # blank, and the last row: not read
            ],
            Products_of_discussion=[
                HEADERS["Products of discussion"],
                ["01-2019", "Sand"],
                # Rows of formulas only, after the last value: they read as no rows at all.
                *[[f'=TEXT(DATE(2019,{month},1),"mm-yyyy")', "=B2"] for month in range(2, 8)],
            ],
        ),
    )
    texts, warnings, rows_read = read(path, formats, tmp_path)
    assert texts["raw_customers"] == "customer_id,occupation,type\n,Jedi,Red\n"
    assert rows_read == {"Customers": 1, "External interactions": 1, "Products of discussion": 1}
    assert warnings == [
        "sheet 'Customers': 1 formula has no value Excel saved (cell A2): it reads as empty; "
        "open the workbook in Excel and save it so that its value is stored",
        "sheet 'External interactions': 3 formulas have no value Excel saved (cells A3, B3, "
        "C3): they read as empty; open the workbook in Excel and save it so that their values "
        "are stored",
        "sheet 'Products of discussion': 12 formulas have no value Excel saved (cells A3, B3, "
        "A4, B4, A5, B5, A6, B6, A7, B7 and 2 more): they read as empty; open the workbook in "
        "Excel and save it so that their values are stored",
    ]


def test_formulas_with_the_value_excel_saved_are_not_reported(tmp_path, formats, chunk_bytes):
    path = workbook(
        tmp_path / "saved.xlsx",
        sample_sheets(Customers=[HEADERS["Customers"], ["=2+2", '=""', '="Red"']]),
    )
    # An empty text result is saved as <v></v> in a cell of type str: a value all the same.
    with_cached_values(path, 1, {"A2": (None, "4"), "B2": ("str", ""), "C2": ("str", "Red")})
    texts, warnings, _ = read(path, formats, tmp_path)
    assert texts["raw_customers"] == "customer_id,occupation,type\n4,,Red\n"
    assert warnings == []


def test_hidden_data_rows_are_named(tmp_path, formats, chunk_bytes):
    def hide(book):
        for row in (1, 4, 7, 30):  # the header, two data rows, a row after the data
            book["External interactions"].row_dimensions[row].hidden = True
        for row in range(2, 15):
            book["Customers"].row_dimensions[row].hidden = True

    path = workbook(
        tmp_path / "hidden rows.xlsx",
        sample_sheets(
            Customers=[HEADERS["Customers"], *[[n, "Jedi", "Red"] for n in range(1, 21)]],
            External_interactions=[HEADERS["External interactions"], *[EMAIL] * 8],
        ),
        hide,
    )
    _, warnings, rows_read = read(path, formats, tmp_path)
    assert rows_read == {"Customers": 20, "External interactions": 8, "Products of discussion": 1}
    assert warnings == [
        "sheet 'Customers': rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 3 more are hidden: "
        "imported like the others",
        "sheet 'External interactions': rows 4, 7 are hidden: imported like the others",
    ]

    def hide_one(book):
        book["Products of discussion"].row_dimensions[2].hidden = True

    path = workbook(tmp_path / "one hidden row.xlsx", sample_sheets(), hide_one)
    assert warnings_of(path, formats, tmp_path) == [
        "sheet 'Products of discussion': row 2 is hidden: imported like the others"
    ]


def test_hidden_sheets_are_named(tmp_path, formats):
    def hide(book):
        book.active = book["External interactions"]  # Excel shows a visible sheet first
        book["Customers"].sheet_state = "hidden"
        book["Products of discussion"].sheet_state = "veryHidden"
        book["Notes"].sheet_state = "hidden"

    sheets = sample_sheets()
    sheets["Notes"] = [["anything"]]
    sheets["Draft"] = [["anything"]]
    path = workbook(tmp_path / "hidden sheets.xlsx", sheets, hide)
    assert warnings_of(path, formats, tmp_path) == [
        "sheet 'Customers' is hidden: imported like the visible sheets",
        "sheet 'Products of discussion' is very hidden (only Excel's VBA editor shows it): "
        "imported like the visible sheets",
        "sheet 'Notes' is hidden, and not one of 'Customers', 'External interactions', "
        "'Products of discussion': ignored",
        "sheet 'Draft' is not one of 'Customers', 'External interactions', "
        "'Products of discussion': ignored",
    ]


def test_a_hidden_sheet_matching_a_visible_one_is_named_in_the_error(tmp_path, formats):
    sheets = sample_sheets()
    sheets["customers "] = sheets["Customers"]

    def hide(book):
        book["customers "].sheet_state = "hidden"

    path = workbook(tmp_path / "book.xlsx", sheets, hide)
    with pytest.raises(WorkbookError) as error:
        read(path, formats, tmp_path)
    assert str(error.value) == (
        "book.xlsx: sheets 'Customers' and 'customers ' (hidden) both match 'Customers'; keep "
        "one of them"
    )


@pytest.mark.parametrize(
    "rows",
    [[HEADERS["Customers"]], [HEADERS["Customers"], [None, "  ", None], [None, None, None]]],
    ids=["header only", "blank rows only"],
)
def test_an_empty_customers_sheet_is_a_warning(tmp_path, formats, rows):
    path = workbook(tmp_path / "no customers.xlsx", sample_sheets(Customers=rows))
    texts, warnings, rows_read = read(path, formats, tmp_path)
    assert texts["raw_customers"] == "customer_id,occupation,type\n"
    assert rows_read["Customers"] == 0
    assert warnings == [
        "sheet 'Customers' has no data rows: every interaction's customer will be 'not in the "
        "Customers sheet' (type and occupation 'Unknown')"
    ]


def test_a_plain_workbook_has_none_of_these_warnings(tmp_path, formats):
    path = export_seeds(ROOT / "seeds", tmp_path / "sample.xlsx")
    assert warnings_of(path, formats, tmp_path) == []


def sheet_part(xml: str) -> tuple[zipfile.ZipFile, str]:
    """A package holding one sheet part, xl/worksheets/sheet1.xml."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", xml)
    return zipfile.ZipFile(buffer), "xl/worksheets/sheet1.xml"


def test_the_scan_reads_what_other_writers_write(chunk_bytes):
    """Prefixed elements (x:), shared formulas, single quotes, attributes in any order,
    hidden="true" and "false" (LibreOffice), hidden columns, cached values of every kind, and
    markup in text."""
    archive, part = sheet_part(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<x:cols><x:col min="1" max="1" hidden="1"/></x:cols><x:sheetData>'
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>a &lt;f&gt; hidden="1"</x:t>'
        "</x:is></x:c></x:row>"
        '<x:row r="2" hidden="true"><x:c r="A2"><x:f t="shared" ref="A2:A4" si="0">B2+1</x:f>'
        '<x:v>3</x:v></x:c><x:c r="B2" t=\'str\'><x:f>""</x:f><x:v></x:v></x:c></x:row>'
        '<x:row hidden=\'1\' spans="1:2" r=\'3\'><x:c r="A3"><x:f t="shared" si="0"/></x:c>'
        '<x:c r="B3"><x:f>1/0</x:f><x:v/></x:c></x:row>'
        '<x:row r="4" hidden="false"><x:c r="A4"><x:f t="shared" si="0"/><x:v>5</x:v></x:c>'
        '<x:c r="B4"><x:f>A4</x:f>\n  <x:v xml:space="preserve"> </x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    found = workbook_xml.scan_sheet(archive, part)
    assert (found.formulas_without_value, found.formula_cells) == (2, ["A3", "B3"])
    assert list(found.hidden_rows) == [2, 3]


@pytest.fixture(scope="module")
def duckdb_project(tmp_path_factory):
    home = copy_project(tmp_path_factory.mktemp("workbook-warnings"))
    with fresh_sample("duckdb", home):
        yield Project("duckdb", home, None)


def test_an_import_reports_the_warnings_and_goes_live(duckdb_project, tmp_path, capsys):
    def hide(book):
        book["External interactions"].row_dimensions[3].hidden = True
        book["Products of discussion"].sheet_state = "hidden"

    path = workbook(
        tmp_path / "warned.xlsx",
        sample_sheets(
            Customers=[HEADERS["Customers"]],
            External_interactions=[
                HEADERS["External interactions"],
                EMAIL,
                [datetime.datetime(2020, 2, 11, 16, 10), "Call", 4],
                ["=A3", "=B3", "=C3"],
            ],
        ),
        hide,
    )
    number = duckdb_project.live_version() + 1
    # No customers against the sample's six: a shrink, allowed.
    assert duckdb_project.run("import", "--allow-shrink", str(path)) == 0
    summary = summary_without_timing(capsys.readouterr().out)
    assert summary.startswith(
        f"Imported warned.xlsx into the duckdb warehouse: version {number} is live.\n"
    )
    assert "Customers not in the customer sheet: 2\n" in summary
    warnings = summary.split("\nWarnings: ")[1].split("\nChanges against")[0]
    assert warnings == (
        "4\n"
        "  sheet 'Products of discussion' is hidden: imported like the visible sheets\n"
        "  sheet 'Customers' has no data rows: every interaction's customer will be 'not in "
        "the Customers sheet' (type and occupation 'Unknown')\n"
        "  sheet 'External interactions': 3 formulas have no value Excel saved (cells A4, B4, "
        "C4): they read as empty; open the workbook in Excel and save it so that their values "
        "are stored\n"
        "  sheet 'External interactions': row 3 is hidden: imported like the others"
    )
    assert duckdb_project.live_version() == number
