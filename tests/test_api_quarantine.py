"""The fix-it workbook (issue 16, item 4), on DuckDB and PostgreSQL: GET /api/v1/quarantine.xlsx
holds one sheet per workbook sheet with the live version's quarantined rows, their number in
the business's own sheet (a header below blank rows included), the reason and the cells as
landed; ?version= must name the live version."""

import datetime
import io

import openpyxl

from api import create_app
from api.warehouse import close_reader
from tests.test_versions import warehouse as warehouse  # noqa: F401, PLC0414 - the fixture

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
D = datetime.datetime


def workbook_with_headers_below_blank_rows(path):
    """Customers' header on sheet row 3 (two empty rows above it), the others on row 1."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    customers = book.create_sheet("Customers")
    for row, values in enumerate(
        [
            ["Customer_Id", "Occupation", "Type"],
            [1, "Jedi", "Red"],
            ["  ", " Yoda ", "Red"],  # sheet row 5: missing customer id
            [1, "Jedi again", "Blue"],  # sheet row 6: duplicate customer id
        ],
        start=3,
    ):
        for column, value in enumerate(values, start=1):
            customers.cell(row=row, column=column, value=value)
    interactions = book.create_sheet("External interactions")
    interactions.append(["Date Start", "Interaction", "Customers"])
    interactions.append([D(2019, 10, 4, 9, 0), "Email", 1])
    interactions.append([D(2019, 10, 5, 9, 0), "Pigeon", 1])  # sheet row 3: unknown channel
    interactions.append(["31/02/2019 09:00", "Call", 1])  # sheet row 4: unparseable date
    # Sheet row 5: unknown channel, with a control character (the XML's _x0007_; issue 32,
    # finding 6: every XLSX output was a 500).
    interactions.append([D(2019, 10, 6, 9, 0), "Pigeon_x0007_", 1])
    products = book.create_sheet("Products of discussion")
    products.append(["Date", "Product"])
    products.append(["10-2019", "Sand"])
    products.append(["13-2019", "Salt"])  # sheet row 3: unparseable month
    book.save(path)
    return path


def sheets_of(body: bytes) -> dict:
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    return {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
    }


def test_the_fix_it_workbook_lists_each_sheets_quarantined_rows(warehouse, tmp_path):  # noqa: F811
    app = create_app({"TESTING": True, **warehouse.environ})
    try:
        client = app.test_client()
        sample = client.get("/api/v1/quarantine.xlsx")
        assert (sample.status_code, sample.content_type) == (200, XLSX)
        assert sample.headers["Content-Disposition"] == 'attachment; filename="quarantine-v1.xlsx"'
        assert sheets_of(sample.get_data()) == {
            "Customers": [["Sheet row", "Reason", "Customer_Id", "Occupation", "Type"]],
            "External interactions": [
                ["Sheet row", "Reason", "Date Start", "Interaction", "Customers"]
            ],
            "Products of discussion": [["Sheet row", "Reason", "Date", "Product"]],
        }
    finally:
        close_reader(app)

    path = workbook_with_headers_below_blank_rows(tmp_path / "export.xlsx")
    out = warehouse.ok("import", "--allow-shrink", str(path))
    assert "Customers: missing customer id: 1 (sheet rows 5)" in out, out

    app = create_app({"TESTING": True, **warehouse.environ})
    try:
        client = app.test_client()
        response = client.get("/api/v1/quarantine.xlsx?version=2")
        assert response.status_code == 200, response.data
        assert sheets_of(response.get_data()) == {
            "Customers": [
                ["Sheet row", "Reason", "Customer_Id", "Occupation", "Type"],
                [5, "missing customer id", None, " Yoda ", "Red"],
                [6, "duplicate customer id", "1", "Jedi again", "Blue"],
            ],
            "External interactions": [
                ["Sheet row", "Reason", "Date Start", "Interaction", "Customers"],
                [3, "unknown channel", "05/10/2019 09:00", "Pigeon", "1"],
                [4, "unparseable date", "31/02/2019 09:00", "Call", "1"],
                [5, "unknown channel", "06/10/2019 09:00", "Pigeon_x0007_", "1"],
            ],
            "Products of discussion": [
                ["Sheet row", "Reason", "Date", "Product"],
                [3, "unparseable month", "13-2019", "Salt"],
            ],
        }
        old = client.get("/api/v1/quarantine.xlsx?version=1")
        assert (old.status_code, old.get_json()) == (
            404,
            {
                "error": {
                    "status": 404,
                    "message": "version 1 is not the live version (2): the marts hold the live "
                    "version's quarantined rows only",
                }
            },
        )
    finally:
        close_reader(app)
