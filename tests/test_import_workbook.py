"""Reading the business's workbook (interactions/workbook.py): every Excel reality the import
must survive, each error it must name, on workbooks generated here with openpyxl.

The helpers here (make_workbook, export_seeds, with_cached_values) also serve
tests/test_import.py, which imports workbooks into both warehouses."""

import csv
import datetime
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from core.settings import load as load_settings
from interactions import importer
from interactions.seed_files import WORKBOOK_SEEDS, seed_path, write_seed
from interactions.workbook import WorkbookError, open_workbook

ROOT = Path(__file__).resolve().parents[1]
HEADERS = {
    "Customers": ["Customer_Id", "Occupation", "Type"],
    "External interactions": ["Date Start", "Interaction", "Customers"],
    "Products of discussion": ["Date", "Product"],
}
SEED_OF_SHEET = dict(zip(HEADERS, WORKBOOK_SEEDS, strict=True))


def make_workbook(path: Path, sheets: dict, merged=(), number_formats=None) -> Path:
    """An .xlsx with one sheet per entry {name: rows} (a row is a list of cell values).

    `merged` lists (sheet, 'A1:B1') ranges to merge; `number_formats` maps (sheet, 'B2') to an
    Excel number format."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    for name, cells in merged:
        book[name].merge_cells(cells)
    for (name, cell), number_format in (number_formats or {}).items():
        book[name][cell].number_format = number_format
    book.save(path)
    return path


def export_seeds(seeds_dir: Path, path: Path) -> Path:
    """The seeds as the business's workbook, with typed cells: ids as numbers, "Date Start" as
    date-time cells, product months as date cells shown mm-yyyy. Text that is not a valid id or
    date stays text."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet_name, seed in SEED_OF_SHEET.items():
        sheet = book.create_sheet(sheet_name)
        sheet.append(HEADERS[sheet_name])
        with open(seed_path(seeds_dir, seed), encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))[1:]
        for row in rows:
            sheet.append([_typed(seed, index, value) for index, value in enumerate(row)])
            if seed == "raw_products_of_discussion" and isinstance(
                sheet.cell(sheet.max_row, 1).value, datetime.datetime
            ):
                sheet.cell(sheet.max_row, 1).number_format = "mm-yyyy"
    book.save(path)
    return path


def _typed(seed, index, value):
    column = {
        "raw_customers": ("id", "text", "text"),
        "raw_external_interactions": ("datetime", "text", "id"),
        "raw_products_of_discussion": ("month", "text"),
    }[seed][index]
    try:
        if column == "id" and re.fullmatch(r"[0-9]+", value):
            return int(value)
        if column == "datetime":
            return datetime.datetime.strptime(value, "%d/%m/%Y %H:%M")
        if column == "month":
            return datetime.datetime.strptime(value, "%m-%Y")
    except ValueError:
        pass
    return value


def with_cached_values(path: Path, sheet_number: int, cached: dict[str, tuple[str | None, str]]):
    """Give formula cells the values Excel would have cached when it saved the workbook
    (openpyxl writes formulas without them): {cell: (cell type or None, value)}."""
    original = path.with_suffix(".nocache.xlsx")
    shutil.move(path, original)
    member = f"xl/worksheets/sheet{sheet_number}.xml"

    def fill(match):
        cell, attributes, formula = match.group(1), match.group(2), match.group(3)
        kind, value = cached[cell]
        kind_attribute = f' t="{kind}"' if kind else ""
        return f'<c r="{cell}"{attributes}{kind_attribute}><f>{formula}</f><v>{value}</v></c>'

    with (
        zipfile.ZipFile(original) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == member:
                text = re.sub(
                    r'<c r="([A-Z]+[0-9]+)"([^>]*)><f>(.*?)</f><v\s*/></c>', fill, data.decode()
                )
                data = text.encode()
            target.writestr(item, data)
    original.unlink()
    return path


def sample_sheets(**replace):
    """The three sheets with a minimal valid content; keyword arguments replace sheets."""
    sheets = {
        "Customers": [HEADERS["Customers"], [1, "Jedi", "Red"]],
        "External interactions": [
            HEADERS["External interactions"],
            [datetime.datetime(2019, 10, 4, 9, 0), "Email", 1],
        ],
        "Products of discussion": [HEADERS["Products of discussion"], ["01-2019", "Sand"]],
    }
    sheets.update({name.replace("_", " "): rows for name, rows in replace.items()})
    return sheets


@pytest.fixture(scope="module")
def formats():
    return importer.date_formats(load_settings({"INTERACTIONS_HOME": str(ROOT)}))


def read(path, formats, folder):
    """Read `path` as an import does; return ({seed: CSV text}, warnings, rows read per sheet)."""
    workbook = open_workbook(path, formats)
    texts, rows_read, warnings = {}, {}, list(workbook.warnings)
    for reader in workbook.sheets:
        target = seed_path(folder, reader.spec.seed)
        write_seed(target, reader.spec.seed_columns, reader.rows())
        texts[reader.spec.seed] = target.read_text(encoding="utf-8")
        rows_read[reader.sheet_name] = reader.rows_read
        warnings.extend(reader.warnings)
    return texts, warnings, rows_read


def test_the_sample_seeds_round_trip_byte_for_byte(tmp_path, formats):
    path = export_seeds(ROOT / "seeds", tmp_path / "sample.xlsx")
    texts, warnings, rows_read = read(path, formats, tmp_path)
    for seed in WORKBOOK_SEEDS:
        assert texts[seed] == seed_path(ROOT / "seeds", seed).read_text(encoding="utf-8")
    assert warnings == []
    assert rows_read == {"Customers": 5, "External interactions": 4, "Products of discussion": 3}


def macro_enabled(xlsx: Path, xlsm: Path) -> Path:
    """The workbook as Excel saves it with macros: the .xlsm content type of its main part and
    a VBA project part."""
    with zipfile.ZipFile(xlsx) as source, zipfile.ZipFile(xlsm, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
                assert b"macroEnabled" in data
            target.writestr(item, data)
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not run, never read")
    return xlsm


def test_a_macro_enabled_xlsm_workbook_is_read_like_an_xlsx(tmp_path, formats):
    """.xlsm (a workbook with macros) is accepted; its macros are never run or read."""
    xlsx = export_seeds(ROOT / "seeds", tmp_path / "sample.xlsx")
    path = macro_enabled(xlsx, tmp_path / "sample.xlsm")
    texts, warnings, rows_read = read(path, formats, tmp_path)
    for seed in WORKBOOK_SEEDS:
        assert texts[seed] == seed_path(ROOT / "seeds", seed).read_text(encoding="utf-8")
    assert warnings == []
    assert rows_read == {"Customers": 5, "External interactions": 4, "Products of discussion": 3}


def test_sheets_and_headers_match_ignoring_case_spaces_and_underscores(tmp_path, formats):
    path = make_workbook(
        tmp_path / "names.xlsx",
        {
            " customers ": [["TYPE", " occupation", "customer id"], ["Red", "Jedi", 1]],
            "EXTERNAL_INTERACTIONS": [
                ["customers", "date_start", "Interaction "],
                [4, "16/01/2020 10:00", "Call"],
            ],
            "products  of_discussion": [["PRODUCT", "date"], ["Sand", "01-2020"]],
        },
    )
    texts, warnings, _ = read(path, formats, tmp_path)
    assert texts == {
        "raw_customers": "customer_id,occupation,type\n1,Jedi,Red\n",
        "raw_external_interactions": "date_start,interaction,customers\n16/01/2020 10:00,Call,4\n",
        "raw_products_of_discussion": "date,product\n01-2020,Sand\n",
    }
    assert warnings == []


def test_date_cells_and_text_dates_are_written_in_the_pipelines_formats(tmp_path, formats):
    path = make_workbook(
        tmp_path / "dates.xlsx",
        sample_sheets(
            External_interactions=[
                HEADERS["External interactions"],
                [datetime.datetime(2020, 1, 16, 10, 0), "Email", 1],  # a date cell: 16 Jan
                [datetime.datetime(2020, 3, 5, 0, 0), "Email", 1],  # midnight reads as a date
                [datetime.datetime(2020, 3, 5, 11, 23, 59, 999_999), "Email", 1],
                ["16/01/2020 10:00", "Email", 1],  # text: day-first, as the pipeline reads it
                [" 5/3/2020 11:23 ", "Email", 1],  # other text stays for the pipeline to judge
                ["yesterday", "Email", 1],
            ],
            Products_of_discussion=[
                HEADERS["Products of discussion"],
                [datetime.datetime(2020, 1, 1), "Sand"],  # a month cell shown mm-yyyy
                ["03-2020", "Orange"],
            ],
        ),
        number_formats={("Products of discussion", "A2"): "mm-yyyy"},
    )
    texts, _, _ = read(path, formats, tmp_path)
    assert texts["raw_external_interactions"] == (
        "date_start,interaction,customers\n"
        "16/01/2020 10:00,Email,1\n"
        "05/03/2020 00:00,Email,1\n"
        "05/03/2020 11:24,Email,1\n"
        "16/01/2020 10:00,Email,1\n"
        " 5/3/2020 11:23 ,Email,1\n"
        "yesterday,Email,1\n"
    )
    assert texts["raw_products_of_discussion"] == "date,product\n01-2020,Sand\n03-2020,Orange\n"


def test_ids_and_numbers_are_integers_when_whole_and_text_stays_text(tmp_path, formats):
    path = make_workbook(
        tmp_path / "ids.xlsx",
        sample_sheets(
            Customers=[
                HEADERS["Customers"],
                [4, "Jedi", "Red"],
                [4.0, "Jedi", "Red"],
                [" 4 ", "Jedi", "Red"],
                ["4.0", "Jedi", "Red"],
                [4.5, "Jedi", "Red"],
                [12345678901, "Jedi", "Red"],
                [-1, True, "Red"],
            ]
        ),
    )
    texts, _, _ = read(path, formats, tmp_path)
    assert texts["raw_customers"] == (
        "customer_id,occupation,type\n"
        "4,Jedi,Red\n4,Jedi,Red\n 4 ,Jedi,Red\n4.0,Jedi,Red\n4.5,Jedi,Red\n"
        "12345678901,Jedi,Red\n-1,TRUE,Red\n"
    )


def test_stray_spaces_and_blank_rows_are_left_for_the_pipeline(tmp_path, formats):
    path = make_workbook(
        tmp_path / "blank.xlsx",
        sample_sheets(
            Customers=[
                HEADERS["Customers"],
                [1, " Jedi ", "Red "],
                [None, None, None],  # a blank row between rows: lands, and is quarantined
                ["  ", "", None],  # only spaces (openpyxl saves them as empty text)
                [2, "Batman", "Orange"],
                [None, None, None],  # blank rows after the last row are not data
                [None, "   ", None],
            ]
        ),
    )
    texts, _, rows_read = read(path, formats, tmp_path)
    assert texts["raw_customers"] == (
        "customer_id,occupation,type\n1, Jedi ,Red \n,,\n,,\n2,Batman,Orange\n"
    )
    assert rows_read["Customers"] == 4


def test_formulas_are_read_through_their_cached_values(tmp_path, formats):
    path = make_workbook(
        tmp_path / "formulas.xlsx",
        sample_sheets(
            Customers=[HEADERS["Customers"], ["=2+2", '=" Jedi"', "=NA()"]],
            External_interactions=[
                HEADERS["External interactions"],
                ["=DATE(2020,1,16)+TIME(10,0,0)", '=LOWER("EMAIL")', "=A2+1"],
            ],
        ),
        number_formats={("External interactions", "A2"): "dd/mm/yyyy hh:mm"},
    )
    with_cached_values(path, 1, {"A2": (None, "4"), "B2": ("str", " Jedi"), "C2": ("e", "#N/A")})
    with_cached_values(
        path, 2, {"A2": (None, "43846.416666666664"), "B2": ("str", "email"), "C2": (None, "5")}
    )
    texts, _, _ = read(path, formats, tmp_path)
    # An error cell (#N/A) has no value: it reads as blank, as in a CSV export.
    assert texts["raw_customers"] == "customer_id,occupation,type\n4, Jedi,\n"
    assert texts["raw_external_interactions"] == (
        "date_start,interaction,customers\n16/01/2020 10:00,email,5\n"
    )


def test_quotes_commas_and_line_breaks_survive_the_csv(tmp_path, formats):
    path = make_workbook(
        tmp_path / "quotes.xlsx",
        sample_sheets(Customers=[HEADERS["Customers"], [1, 'Jedi, "Master"', "Red\nBlue"]]),
    )
    texts, _, _ = read(path, formats, tmp_path)
    assert (
        texts["raw_customers"] == 'customer_id,occupation,type\n1,"Jedi, ""Master""","Red\nBlue"\n'
    )


def test_extra_sheets_columns_and_merged_data_cells_are_reported(tmp_path, formats):
    sheets = sample_sheets(
        Customers=[
            [*HEADERS["Customers"], "Comment"],
            [1, "Jedi", "Red", "vip"],
            [2, None, "Orange", None],
        ]
    )
    sheets["Notes"] = [["anything"]]
    path = make_workbook(tmp_path / "extra.xlsx", sheets, merged=[("Customers", "B2:B3")])
    texts, warnings, _ = read(path, formats, tmp_path)
    assert texts["raw_customers"] == "customer_id,occupation,type\n1,Jedi,Red\n2,,Orange\n"
    assert warnings == [
        "sheet 'Notes' is not one of 'Customers', 'External interactions', "
        "'Products of discussion': ignored",
        "sheet 'Customers': column D 'Comment' is not one of 'Customer_Id', 'Occupation', "
        "'Type': ignored",
        "sheet 'Customers': cells B2:B3 are merged; only B2 holds a value, the others read as "
        "blank",
    ]


def test_a_table_that_does_not_start_at_a1_is_found(tmp_path, formats):
    path = tmp_path / "offset.xlsx"
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sample_sheets().items():
        sheet = book.create_sheet(name)
        for row_number, row in enumerate(rows, start=3):
            for column_number, value in enumerate(row, start=2):
                sheet.cell(row_number, column_number, value)
    book["Customers"].cell(6, 5, "stray")  # E6: data in a column without a header
    book.save(path)
    with pytest.raises(WorkbookError) as error:
        read(path, formats, tmp_path)
    assert str(error.value) == (
        "sheet 'Customers': column E has data (cell E6) but an empty header cell (E3): "
        "give the column a header, or delete it"
    )
    book["Customers"].cell(6, 5).value = None
    book.save(path)
    texts, _, _ = read(path, formats, tmp_path)
    assert texts["raw_customers"] == "customer_id,occupation,type\n1,Jedi,Red\n"


@pytest.mark.parametrize(
    ("sheets", "merged", "message"),
    [
        (
            sample_sheets(Customers=[["Customer_Id", "Occupation"], [1, "Jedi"]]),
            (),
            "sheet 'Customers': no column 'Type' in its header row (row 1: 'Customer_Id', "
            "'Occupation')",
        ),
        (
            sample_sheets(
                Customers=[["Customer_Id", None, "Occupation", "Type"], [1, 2, "a", "b"]]
            ),
            (),
            "sheet 'Customers': header cell B1 is empty; every column needs its own header "
            "('Customer_Id', 'Occupation', 'Type')",
        ),
        (
            sample_sheets(Customers=[["Customer_Id", "Occupation", "Type", None], [1, "a", "b"]]),
            [("Customers", "C1:D1")],
            "sheet 'Customers': header cells C1:D1 are merged; unmerge them so that every "
            "column has its own header cell",
        ),
        (
            sample_sheets(
                Customers=[["Customer_Id", "Occupation", "Type", "customer id"], [1, "a", "b", 2]]
            ),
            (),
            "sheet 'Customers': column 'Customer_Id' appears twice (A1 and D1); keep one",
        ),
        (
            sample_sheets(Customers=[]),
            (),
            "sheet 'Customers' is empty: it needs a header row ('Customer_Id', 'Occupation', "
            "'Type')",
        ),
    ],
    ids=["missing column", "empty header", "merged header", "column twice", "empty sheet"],
)
def test_header_problems_are_errors_that_name_the_cell(tmp_path, formats, sheets, merged, message):
    path = make_workbook(tmp_path / "headers.xlsx", sheets, merged=merged)
    with pytest.raises(WorkbookError) as error:
        read(path, formats, tmp_path)
    assert str(error.value) == message


def test_a_missing_sheet_is_an_error_naming_it_and_the_sheets_found(tmp_path, formats):
    sheets = sample_sheets()
    sheets["Interactions"] = sheets.pop("External interactions")
    path = make_workbook(tmp_path / "book.xlsx", sheets)
    with pytest.raises(WorkbookError) as error:
        read(path, formats, tmp_path)
    assert str(error.value) == (
        "book.xlsx: no sheet 'External interactions' (sheets found: 'Customers', "
        "'Products of discussion', 'Interactions'); sheet names are matched ignoring case, "
        "surrounding spaces, and spaces versus underscores"
    )


def test_two_sheets_matching_one_name_are_an_error(tmp_path, formats):
    sheets = sample_sheets()
    sheets["customers "] = sheets["Customers"]
    path = make_workbook(tmp_path / "book.xlsx", sheets)
    with pytest.raises(WorkbookError, match="sheets 'Customers' and 'customers ' both match"):
        read(path, formats, tmp_path)


def broken_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """Files that are not workbooks, each with the error an import must give."""
    valid = make_workbook(folder / "valid.xlsx", sample_sheets())
    csv_file = folder / "export.csv"
    csv_file.write_text("Customer_Id,Occupation,Type\n1,Jedi,Red\n")
    renamed = folder / "renamed.xlsx"
    shutil.copy(csv_file, renamed)
    corrupt = folder / "corrupt.xlsx"
    corrupt.write_bytes(valid.read_bytes()[: valid.stat().st_size // 2])
    not_excel = folder / "archive.xlsm"
    with zipfile.ZipFile(not_excel, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return {
        "csv": (
            csv_file,
            "export.csv: not an Excel workbook; import an .xlsx or .xlsm file (the file's "
            "extension is '.csv')",
        ),
        "renamed": (
            renamed,
            "renamed.xlsx: not an Excel .xlsx/.xlsm workbook (its content is not a zip "
            "package: is it a CSV, an old .xls or a password-protected file, renamed?)",
        ),
        "corrupt zip": (
            corrupt,
            "corrupt.xlsx: the workbook cannot be read (a damaged or incomplete file?): ",
        ),
        "zip but not a workbook": (
            not_excel,
            "archive.xlsm: the workbook cannot be read (a damaged or incomplete file?): ",
        ),
        "missing": (folder / "nowhere.xlsx", f"{folder / 'nowhere.xlsx'}: no such file"),
    }


@pytest.mark.parametrize(
    "case", ["csv", "renamed", "corrupt zip", "zip but not a workbook", "missing"]
)
def test_anything_but_a_workbook_is_a_clear_error(tmp_path, formats, case):
    path, message = broken_files(tmp_path)[case]
    with pytest.raises(WorkbookError) as error:
        read(path, formats, tmp_path)
    assert str(error.value).startswith(message)
