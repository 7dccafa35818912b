"""Malformed workbooks given to `interactions import`: each gets a clear error and changes
nothing that is served, or is imported by a documented rule (bad rows quarantined with their
reason, the rest counted).

Errors found in the file run on both warehouses: the command exits 1, says what is wrong, and
the API's answers, the live version and its seeds, seeds/, the kept versions (no new version
folder, the same `interactions history --json`) and the build time stay exactly as they were.
The error a dbt test finds, and the imports by a rule, run on DuckDB (the rules are the same
dbt models on both warehouses). An import by a rule is a new kept version, live, its seeds kept
in the version store (seeds/ untouched); these workbooks are smaller than the data before them,
so they are imported with --allow-shrink. 27 workbooks in all.
"""

import datetime
import os
import re
import zipfile
from pathlib import Path
from unittest import mock

import openpyxl
import pytest

from api import create_app
from api.warehouse import close_reader
from core.settings import load as load_settings
from interactions import cli, versions
from interactions.seed_files import WORKBOOK_SEEDS, seed_path
from tests.test_import_workbook import HEADERS, make_workbook, sample_sheets, with_cached_values
from tests.warehouses import cli_history, copy_project, fresh_sample

D = datetime.datetime
SERVED = [
    "/api/v1/interactions/1",
    "/api/v1/interactions/4",
    "/api/v1/interactions/by-customer-type",
    "/api/v1/customers",
    "/api/v1/data-quality",
    "/api/v1/topics",
    "/ready",
]
NOT_A_ZIP = (
    "not an Excel .xlsx/.xlsm workbook (its content is not a zip package: is it a CSV, an old "
    ".xls or a password-protected file, renamed?); nothing changed"
)
UNREADABLE = "the workbook cannot be read (a damaged or incomplete file?): "


class Project:
    """A copy of the project with the sample marts live, on one warehouse."""

    def __init__(self, warehouse: str, home: Path, database: str | None):
        self.warehouse = warehouse
        self.home = home
        self.environ = {
            "WAREHOUSE": warehouse,
            "INTERACTIONS_HOME": str(home),
            "DUCKDB_PATH": str(home / "warehouse" / "interactions.duckdb"),
        }
        if database:
            self.environ["PGDATABASE"] = database

    def run_import(self, path: Path, capsys, *options) -> tuple[int, str, str]:
        with mock.patch.dict(os.environ, self.environ):
            code = cli.main(["import", *options, str(path)])
        out = capsys.readouterr()
        return code, out.out, out.err

    def store(self) -> versions.Store:
        with mock.patch.dict(os.environ, self.environ):
            return versions.Store(load_settings(self.environ))

    def live_version(self) -> int | None:
        with mock.patch.dict(os.environ, self.environ):
            return versions.live_version(load_settings(self.environ))

    def history(self) -> list[dict]:
        """`interactions history --json`."""
        return cli_history(self.environ)

    def served(self) -> dict:
        """Every answer of SERVED as served now; the live version and the seeds the next build
        would use (its kept seeds); seeds/; the version store's folders and the history."""
        with mock.patch.dict(os.environ, self.environ):
            app = create_app({"TESTING": True})
            try:
                client = app.test_client()
                answers = {url: client.get(url).get_json() for url in SERVED}
            finally:
                close_reader(app)
        seeds = {seed: seed_path(self.home / "seeds", seed).read_bytes() for seed in WORKBOOK_SEEDS}
        live = self.live_version()
        store = self.store()
        live_seeds = {
            seed: path.read_bytes() for seed, path in store.seed_files(store.read(live)).items()
        }
        return {
            "answers": answers,
            "seeds": seeds,
            "live version": live,
            "live seeds": live_seeds,
            "version folders": sorted(path.name for path in store.root.iterdir()),
            "history": self.history(),
        }

    def served_one(self, url):
        with mock.patch.dict(os.environ, self.environ):
            app = create_app({"TESTING": True})
            try:
                return app.test_client().get(url).get_json()
            finally:
                close_reader(app)


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def project(request, tmp_path_factory):
    home = copy_project(tmp_path_factory.mktemp(f"bad-workbooks-{request.param}"))
    with fresh_sample(request.param, home) as database:
        yield Project(request.param, home, database)


@pytest.fixture(scope="module")
def duckdb_project(tmp_path_factory):
    home = copy_project(tmp_path_factory.mktemp("bad-workbooks-rules"))
    with fresh_sample("duckdb", home):
        yield Project("duckdb", home, None)


@pytest.fixture(autouse=True)
def _no_api_keys(monkeypatch):
    monkeypatch.delenv("API_KEY_HASHES", raising=False)


# --- workbooks that are errors ------------------------------------------------------------


def book(folder: Path, name="book.xlsx", **sheets) -> Path:
    return make_workbook(folder / name, sample_sheets(**sheets))


def csv_file(folder):
    path = folder / "export.csv"
    path.write_text("Customer_Id,Occupation,Type\n1,Jedi,Red\n")
    return path


def text_named_xlsx(folder):
    path = folder / "export.xlsx"
    path.write_text("Customer_Id,Occupation,Type\n1,Jedi,Red\n")
    return path


def pdf_named_xlsx(folder):
    path = folder / "report.xlsx"
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    return path


def empty_file(folder):
    path = folder / "empty.xlsx"
    path.write_bytes(b"")
    return path


def password_protected(folder):
    """What Excel writes for a password-protected workbook: an encrypted OLE2 compound file
    (signature D0 CF 11 E0), not a zip package."""
    path = folder / "protected.xlsx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(range(256)) * 32)
    return path


def legacy_xls(folder):
    path = folder / "old.xls"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(512))
    return path


def truncated(folder):
    valid = book(folder, "valid.xlsx")
    path = folder / "truncated.xlsx"
    path.write_bytes(valid.read_bytes()[: valid.stat().st_size // 2])
    return path


def zip_not_a_workbook(folder):
    path = folder / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return path


def damaged_sheet_xml(folder):
    """A zip package whose sheet XML is cut short."""
    valid = book(folder, "valid.xlsx")
    path = folder / "damaged.xlsx"
    with zipfile.ZipFile(valid) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                data = data[: len(data) // 2]
            target.writestr(item, data)
    return path


def no_such_file(folder):
    return folder / "nowhere.xlsx"


def blank_workbook(folder):
    path = folder / "blank.xlsx"
    openpyxl.Workbook().save(path)
    return path


def missing_sheet(folder):
    sheets = sample_sheets()
    del sheets["Products of discussion"]
    return make_workbook(folder / "book.xlsx", sheets)


def missing_column(folder):
    return book(folder, External_interactions=[["Date Start", "Customers"], [D(2019, 10, 4), 1]])


def empty_sheet(folder):
    return book(folder, Customers=[])


def merged_header(folder):
    sheets = sample_sheets(Customers=[["Customer_Id", "Occupation", "Type", None], [1, "a", "b"]])
    return make_workbook(folder / "book.xlsx", sheets, merged=[("Customers", "C1:D1")])


def data_without_header(folder):
    return book(
        folder, Customers=[["Customer_Id", "Occupation", "Type"], [1, "Jedi", "Red", "stray"]]
    )


def two_products_in_one_month(folder):
    return book(
        folder,
        Products_of_discussion=[HEADERS["Products of discussion"], ["10-2019", "Sand"]]
        + [["10-2019", "Orange"]],
    )


ERRORS = {
    "a CSV file": (
        csv_file,
        "export.csv: not an Excel workbook; import an .xlsx or .xlsm file (the file's extension "
        "is '.csv'); nothing changed",
    ),
    "a text file named .xlsx": (text_named_xlsx, f"export.xlsx: {NOT_A_ZIP}"),
    "a PDF named .xlsx": (pdf_named_xlsx, f"report.xlsx: {NOT_A_ZIP}"),
    "an empty file": (empty_file, f"empty.xlsx: {NOT_A_ZIP}"),
    "a password-protected workbook": (password_protected, f"protected.xlsx: {NOT_A_ZIP}"),
    "an old .xls workbook": (
        legacy_xls,
        "old.xls: not an Excel workbook; import an .xlsx or .xlsm file (the file's extension is "
        "'.xls'); nothing changed",
    ),
    "a truncated file": (
        truncated,
        f"truncated.xlsx: {UNREADABLE}invalid Zip archive: Could not find EOCD; nothing changed",
    ),
    "a zip that is no workbook": (
        zip_not_a_workbook,
        f"archive.xlsx: {UNREADABLE}File not found '_rels/.rels'; nothing changed",
    ),
    "a damaged sheet": (
        damaged_sheet_xml,
        f'damaged.xlsx: {UNREADABLE}syntax error: attribute value not closed: `"` not found '
        "before end of input; nothing changed",
    ),
    "no file": (no_such_file, "<folder>/nowhere.xlsx: no such file; nothing changed"),
    "no expected sheet": (
        blank_workbook,
        "blank.xlsx: no sheet 'Customers' and no sheet 'External interactions' and no sheet "
        "'Products of discussion' (sheets found: 'Sheet'); sheet names are matched ignoring "
        "case, surrounding spaces, and spaces versus underscores; nothing changed",
    ),
    "a missing sheet": (
        missing_sheet,
        "book.xlsx: no sheet 'Products of discussion' (sheets found: 'Customers', "
        "'External interactions'); sheet names are matched ignoring case, surrounding spaces, "
        "and spaces versus underscores; nothing changed",
    ),
    "a missing column": (
        missing_column,
        "sheet 'External interactions': no column 'Interaction' in its header row (row 1: "
        "'Date Start', 'Customers'); nothing changed",
    ),
    "a sheet without a header": (
        empty_sheet,
        "sheet 'Customers' is empty: it needs a header row ('Customer_Id', 'Occupation', "
        "'Type'); nothing changed",
    ),
    "merged header cells": (
        merged_header,
        "sheet 'Customers': header cells C1:D1 are merged; unmerge them so that every column "
        "has its own header cell; nothing changed",
    ),
    "data under no header": (
        data_without_header,
        "sheet 'Customers': column D has data (cell D2) but an empty header cell (D1): give the "
        "column a header, or delete it; nothing changed",
    ),
}
# Found by a dbt test, after the workbook was read: the build runs (DuckDB here; the import's
# own tests run it on PostgreSQL too).
BUILD_ERRORS = {
    "two products in one month": (
        two_products_in_one_month,
        "dbt build failed (exit 1); the live data is unchanged\n"
        "  Failure in test one_product_per_month",
    ),
}


@pytest.mark.parametrize("case", ERRORS)
def test_a_malformed_workbook_is_a_clear_error_and_changes_nothing(project, tmp_path, capsys, case):
    assert_refused(project, tmp_path, capsys, *ERRORS[case])


@pytest.mark.parametrize("case", BUILD_ERRORS)
def test_a_workbook_failing_a_data_test_is_a_clear_error_and_changes_nothing(
    duckdb_project, tmp_path, capsys, case
):
    assert_refused(duckdb_project, tmp_path, capsys, *BUILD_ERRORS[case], whole=False)


def assert_refused(project, tmp_path, capsys, make, message, whole=True):
    """The import of make(tmp_path) refused with `message` (the whole of stderr, or with
    whole=False its start: dbt's own account follows), and nothing changed."""
    path = make(tmp_path)
    before = project.served()
    code, out, err = project.run_import(path, capsys)
    assert code == 1
    message = "interactions import: " + message.replace("<folder>", str(tmp_path))
    if whole:
        assert err == message + "\n"
    else:
        assert err.startswith(message), err
    assert "Traceback" not in err + out
    assert project.served() == before  # no new version folder, the same history
    leftovers = sorted(
        p.name for p in (project.home / "warehouse").iterdir() if p.name != ".build.lock"
    )
    assert leftovers == (
        ["interactions.duckdb", "versions"] if project.warehouse == "duckdb" else ["versions"]
    )
    assert before["version folders"] == sorted(str(entry["version"]) for entry in before["history"])


def test_there_are_at_least_twenty_malformed_workbooks():
    gaps = 2  # an export without interactions, far dates (their own tests below)
    assert len(ERRORS) + len(BUILD_ERRORS) + len(RULES) + gaps >= 20


# --- workbooks imported by a documented rule ------------------------------------------------

LONG = "J" * 10_000


def wrong_types(folder):
    return book(
        folder,
        Customers=[HEADERS["Customers"], ["abc", "Jedi", "Red"], [4.5, "x", "y"]]
        + [[True, 1, 2], [-3, "a", "b"], [2, "Batman", "Orange"]],
        External_interactions=[HEADERS["External interactions"], ["yesterday", "Email", 2]]
        + [[D(2019, 10, 4), 42, 2], [D(2019, 10, 4), "Email", "two"], [D(2019, 10, 4), True, 2]]
        + [[D(2019, 10, 5, 9), "Email", 2]],
        Products_of_discussion=[HEADERS["Products of discussion"], [201901, "Sand"]]
        + [["10-2019", "Sand"]],
    )


def long_cells(folder):
    return book(
        folder,
        Customers=[HEADERS["Customers"], [1, LONG, "Red"]],
        External_interactions=[
            HEADERS["External interactions"],
            [D(2019, 10, 4, 9), "E" * 10_000, 1],
        ]
        + [[D(2019, 10, 5, 9), "Email", 1]],
    )


def formula_errors(folder):
    path = book(
        folder,
        Customers=[HEADERS["Customers"], ["=1/0", "Jedi", "Red"], [2, "=NA()", "Red"]]
        + [[3, "Santa", "=#REF!"]],
    )
    return with_cached_values(
        path, 1, {"A2": ("e", "#DIV/0!"), "B3": ("e", "#N/A"), "C4": ("e", "#REF!")}
    )


def duplicate_ids(folder):
    return book(
        folder,
        Customers=[HEADERS["Customers"], [1, "Jedi", "Red"], [1, "Sith", "Blue"]]
        + [[1.0, "Jedi", "Green"], [" 1 ", "Droid", "Red"]],
    )


def before_excel_dates(folder):
    """A date-time cell in year 1: Excel has no such date (its calendar starts in 1900)."""
    return book(
        folder,
        External_interactions=[HEADERS["External interactions"], [D(1, 1, 1), "Email", 1]]
        + [[D(2019, 10, 5, 9), "Email", 1]],
    )


def million_declared_rows(folder):
    """A sheet declaring A1:C1048576, with an empty text cell in its last row."""
    valid = book(folder, "valid.xlsx")
    path = folder / "million.xlsx"
    with (
        zipfile.ZipFile(valid) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                text = re.sub(
                    r'<dimension ref="[^"]*"/>', '<dimension ref="A1:C1048576"/>', data.decode()
                )
                text = text.replace(
                    "</sheetData>",
                    '<row r="1048576"><c r="C1048576" t="inlineStr"><is><t></t></is></c></row>'
                    "</sheetData>",
                )
                data = text.encode()
            target.writestr(item, data)
    return path


def sheet_protected(folder):
    """Sheets and structure protected with a password (not encrypted): readable as usual."""
    path = book(folder)
    workbook = openpyxl.load_workbook(path)
    for sheet in workbook.worksheets:
        sheet.protection.sheet = True
        sheet.protection.password = "secret"
    workbook.security.lockStructure = True
    workbook.save(path)
    return path


def no_products(folder):
    return book(folder, Products_of_discussion=[HEADERS["Products of discussion"]])


ONE_EMAIL = {"Email": 1, "Call": 0, "Bird": 0}
RULES = {
    # case: (workbook, rows read/counted/quarantined per sheet, quarantined by reason,
    #        {customer id: interactions})
    "wrong types": (
        wrong_types,
        {"customers": (5, 1, 4), "interactions": (5, 1, 4), "products": (2, 1, 1)},
        {
            "invalid customer id": 5,
            "unknown channel": 2,
            "unparseable date": 1,
            "unparseable month": 1,
        },
        {2: ONE_EMAIL},
    ),
    "10,000-character cells": (
        long_cells,
        {"customers": (1, 1, 0), "interactions": (2, 1, 1), "products": (1, 1, 0)},
        {"unknown channel": 1},
        {1: ONE_EMAIL},
    ),
    "formulas with errors": (
        formula_errors,
        {"customers": (3, 2, 1), "interactions": (1, 1, 0), "products": (1, 1, 0)},
        {"missing customer id": 1},
        {1: ONE_EMAIL, 2: {"Email": 0, "Call": 0, "Bird": 0}},
    ),
    "duplicate customer ids with conflicting attributes": (
        duplicate_ids,
        {"customers": (4, 1, 3), "interactions": (1, 1, 0), "products": (1, 1, 0)},
        {"duplicate customer id": 3},
        {1: ONE_EMAIL},
    ),
    "a date before Excel's calendar": (
        before_excel_dates,
        {"customers": (1, 1, 0), "interactions": (2, 1, 1), "products": (1, 1, 0)},
        {"unparseable date": 1},
        {1: ONE_EMAIL},
    ),
    "a million declared rows": (
        million_declared_rows,
        {"customers": (1, 1, 0), "interactions": (1, 1, 0), "products": (1, 1, 0)},
        {},
        {1: ONE_EMAIL},
    ),
    "protected sheets": (
        sheet_protected,
        {"customers": (1, 1, 0), "interactions": (1, 1, 0), "products": (1, 1, 0)},
        {},
        {1: ONE_EMAIL},
    ),
    "no products": (
        no_products,
        {"customers": (1, 1, 0), "interactions": (1, 1, 0), "products": (0, 0, 0)},
        {},
        {1: ONE_EMAIL},
    ),
}


@pytest.mark.parametrize("case", RULES)
def test_a_malformed_workbook_is_imported_by_the_documented_rules(
    duckdb_project, tmp_path, capsys, case
):
    make, sheets, reasons, interactions = RULES[case]
    before = duckdb_project.served()
    number = before["history"][0]["version"] + 1
    path = make(tmp_path)
    code, out, err = duckdb_project.run_import(path, capsys, "--allow-shrink")
    assert (code, err) == (0, "")
    assert out.startswith(
        f"Imported {path.name} into the duckdb warehouse: version {number} is live.\n"
    )
    # A new kept version, live; its seeds are kept in the version store, seeds/ is untouched.
    after = duckdb_project.served()
    assert after["live version"] == number
    assert [entry["version"] for entry in after["history"]] == [
        number,
        *(entry["version"] for entry in before["history"]),
    ]
    assert after["history"][0]["is_live"] and not any(
        entry["is_live"] for entry in after["history"][1:]
    )
    assert after["version folders"] == sorted([*before["version folders"], str(number)])
    assert after["seeds"] == before["seeds"]
    store = duckdb_project.store()
    assert store.seed_files(store.read(number)) == {
        seed: seed_path(store.folder(number), seed) for seed in WORKBOOK_SEEDS
    }
    quality = duckdb_project.served_one("/api/v1/data-quality")["data"]
    assert {
        sheet["sheet"]: (sheet["rows_landed"], sheet["rows_counted"], sheet["rows_quarantined"])
        for sheet in quality["sheets"]
    } == sheets
    assert quality["rows_quarantined_by_reason"] == reasons
    for customer_id, counts in interactions.items():
        assert duckdb_project.served_one(f"/api/v1/interactions/{customer_id}") == {
            "data": {"customer_id": customer_id, "interactions": counts}
        }
    if case == "10,000-character cells":  # text is kept exactly as typed
        [customer] = duckdb_project.served_one("/api/v1/customers?q=1")["data"]
        assert customer["occupation"] == LONG
    if case == "no products":  # every interaction's topic is 'Unknown'
        assert duckdb_project.served_one("/api/v1/interactions/1/topics")["data"]["topics"] == {
            "Unknown": ONE_EMAIL
        }


# --- an export without interactions is refused; far dates are quarantined -----------------


def no_interactions(folder):
    """Every sheet has its header and no row: an export gone wrong, not a quiet month."""
    return make_workbook(folder / "book.xlsx", {name: [header] for name, header in HEADERS.items()})


def far_dates(folder):
    return book(
        folder,
        External_interactions=[HEADERS["External interactions"], ["01/01/0001 00:00", "Email", 1]]
        + [["31/12/9999 23:59", "Call", 1], [D(9999, 12, 31, 23, 59), "Bird", 1]]
        + [[D(2019, 10, 5, 9), "Email", 1]],
    )


def test_a_workbook_without_interactions_is_refused(duckdb_project, tmp_path, capsys):
    """Every sheet has its header and no row: an error, and the served data stays."""
    before = duckdb_project.served()
    # --allow-shrink: a refusal must be the import's own, not the shrink guard's.
    code, _, err = duckdb_project.run_import(no_interactions(tmp_path), capsys, "--allow-shrink")
    assert (code, err) == (
        1,
        "interactions import: sheet 'External interactions' has no data rows: an export without "
        "interactions would replace the served data with nothing; nothing changed\n",
    )
    assert duckdb_project.served() == before


def test_far_dates_are_quarantined_as_out_of_range(duckdb_project, tmp_path, capsys):
    """01/01/0001 and 31/12/9999, as text and as Excel dates: imported, the three rows
    quarantined as 'date out of range', never counted; the one real date is."""
    code, _, err = duckdb_project.run_import(far_dates(tmp_path), capsys, "--allow-shrink")
    assert code == 0, err
    quality = duckdb_project.served_one("/api/v1/data-quality")["data"]
    assert quality["rows_quarantined_by_reason"] == {"date out of range": 3}
    assert duckdb_project.served_one("/api/v1/interactions/1")["data"]["interactions"] == (
        ONE_EMAIL
    )


def test_leftover_folders_are_cleaned(duckdb_project, tmp_path, capsys):
    """No import, failed or not, leaves its temporary seeds behind: the warehouse folder holds
    only the live file and the version store, and the store only the kept versions' folders.
    Self-contained: an import refused when read, one refused by a data test once built, and a
    successful one run here first."""
    code, _, _ = duckdb_project.run_import(no_interactions(tmp_path), capsys, "--allow-shrink")
    assert code == 1
    code, _, _ = duckdb_project.run_import(two_products_in_one_month(tmp_path), capsys)
    assert code == 1
    code, _, err = duckdb_project.run_import(far_dates(tmp_path), capsys, "--allow-shrink")
    assert code == 0, err
    # Every entry, files too (a DuckDB file being built is one).
    assert sorted(p.name for p in (duckdb_project.home / "warehouse").iterdir()) == [
        ".build.lock",
        "interactions.duckdb",
        "versions",
    ]
    store = duckdb_project.store()
    assert sorted(p.name for p in store.root.iterdir()) == sorted(map(str, store.numbers()))
    assert [p.name for p in (duckdb_project.home / "warehouse" / "versions").iterdir()] == [
        store.root.name
    ]
