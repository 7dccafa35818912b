"""The tables behind the website as downloads (issue 16, item 5), on DuckDB and PostgreSQL:
`?format=csv` is the answer as CSV (exact bytes), `?format=xlsx` a workbook openpyxl opens
with numbers as numbers; errors stay JSON; an unknown format is a 400."""

import io

import openpyxl
import pytest

from api import exports

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(client, url, media_type):
    response = client.get(url)
    assert response.status_code == 200, response.data
    assert response.content_type == media_type
    # The same build as the JSON answer, and the same tag: a client's cached JSON and its
    # download are revalidated together.
    answer = client.get(json_url(url))
    assert answer.status_code == 200, answer.data
    assert response.headers["X-Data-Version"] == answer.headers["X-Data-Version"] == "1"
    assert response.headers["ETag"] == answer.headers["ETag"]
    assert response.headers["ETag"].startswith('"v1-')
    return response


def json_url(url: str) -> str:
    """The JSON answer's URL of a download's (?format= removed)."""
    path, _, query = url.partition("?")
    kept = "&".join(part for part in query.split("&") if not part.startswith("format="))
    return f"{path}?{kept}" if kept else path


def csv_of(client, url) -> tuple[str, str]:
    response = download(client, url, CSV)
    return response.headers["Content-Disposition"], response.get_data(as_text=True)


def xlsx_rows(client, url) -> list[list]:
    response = download(client, url, XLSX)
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
    [sheet] = book.worksheets
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_each_table_as_csv(sample, client):
    assert csv_of(client, "/api/v1/interactions/1?format=csv") == (
        'attachment; filename="interactions-1.csv"',
        "customer_id,Email,Call,Bird\r\n1,1,0,0\r\n",
    )
    assert csv_of(client, "/api/v1/interactions/1?topic=Sand&format=csv")[1] == (
        "customer_id,Email,Call,Bird\r\n1,0,0,0\r\n"
    )
    assert csv_of(client, "/api/v1/interactions/4/topics?format=csv")[1] == (
        "customer_id,topic,Email,Call,Bird\r\n4,Unknown,0,1,1\r\n"
    )
    assert csv_of(client, "/api/v1/interactions/4/monthly?format=csv") == (
        'attachment; filename="interactions-4-monthly.csv"',
        "customer_id,month,Email,Call,Bird\r\n4,2020-02,0,1,0\r\n4,2020-03,0,0,1\r\n",
    )
    assert csv_of(client, "/api/v1/interactions/by-customer-type?topic=Unknown&format=csv") == (
        'attachment; filename="interactions-by-customer-type-Unknown.csv"',
        "customer_type,Email,Call,Bird\r\n"
        "Blue,1,0,0\r\nOrange,0,0,0\r\nRed,1,0,0\r\nUnknown,0,1,1\r\n",
    )
    monthly = csv_of(client, "/api/v1/interactions/by-customer-type/monthly?format=csv")[1]
    lines = monthly.split("\r\n")
    assert lines[:2] == ["customer_type,month,Email,Call,Bird", "Blue,2019-10,0,0,0"]
    assert len(lines) == 1 + 4 * 21 + 1  # header, 4 types x 21 months, the last line's end
    assert "Unknown,2020-02,0,1,0" in lines
    assert csv_of(client, "/api/v1/customers?limit=2&format=csv")[1] == (
        "customer_id,occupation,customer_type,in_customer_sheet,interaction_count\r\n"
        "1,Jedi,Red,True,1\r\n2,Batman,Orange,True,0\r\n"
    )
    assert csv_of(client, "/api/v1/interactions/4/rows?format=csv")[1] == (
        "version,sheet,sheet_row,Date Start,Interaction,Customers\r\n"
        "1,External interactions,3,11/02/2020 16:10,Call,4\r\n"
        "1,External interactions,4,05/03/2020 11:23,Bird,4\r\n"
    )
    assert csv_of(client, "/api/v1/data-quality?format=csv")[1] == (
        "sheet,rows_landed,rows_counted,rows_quarantined\r\n"
        "customers,5,5,0\r\ninteractions,4,4,0\r\nproducts,3,3,0\r\n"
    )
    versions = csv_of(client, "/api/v1/versions?format=csv")[1].split("\r\n")
    assert versions[0] == (
        "version,imported_at,file,sha256,interactions_counted,rows_quarantined,is_live"
    )
    assert versions[1].startswith("1,")
    assert versions[1].split(",")[2:] == [
        "seeds/",
        "a45975915327ff52399e1c031b435750d954fb26d0d94d90807e7e0f0ce84420",
        "4",
        "0",
        "True",
    ]


def test_each_table_as_xlsx_with_numbers_as_numbers(sample, client):
    assert xlsx_rows(client, "/api/v1/interactions/4?format=xlsx") == [
        ["customer_id", "Email", "Call", "Bird"],
        [4, 0, 1, 1],
    ]
    assert xlsx_rows(client, "/api/v1/interactions/by-customer-type?format=xlsx") == [
        ["customer_type", "Email", "Call", "Bird"],
        ["Blue", 1, 0, 0],
        ["Orange", 0, 0, 0],
        ["Red", 1, 0, 0],
        ["Unknown", 0, 1, 1],
    ]
    assert xlsx_rows(client, "/api/v1/customers?limit=2&format=xlsx") == [
        ["customer_id", "occupation", "customer_type", "in_customer_sheet", "interaction_count"],
        [1, "Jedi", "Red", True, 1],
        [2, "Batman", "Orange", True, 0],
    ]


def test_json_is_the_default_and_errors_stay_json(sample, client):
    assert client.get("/api/v1/interactions/1?format=json").data == (
        client.get("/api/v1/interactions/1").data
    )
    missing = client.get("/api/v1/interactions/999?format=csv")
    assert (missing.status_code, missing.get_json()) == (
        404,
        {"error": {"status": 404, "message": "customer 999 not found"}},
    )
    bad = client.get("/api/v1/interactions/1?format=pdf")
    assert (bad.status_code, bad.get_json()) == (
        400,
        {"error": {"status": 400, "message": "format must be json, csv or xlsx, not 'pdf'"}},
    )


@pytest.mark.parametrize("text", ["=1+1", "+33 1 23", "-2", "@SUM(A1)"])
def test_a_cell_is_never_a_formula(text):
    """Text written by someone else (an occupation, a topic) opens as text, not a formula."""
    assert exports.csv_bytes(["occupation"], [[text], [7]]) == (
        f"occupation\r\n'{text}\r\n7\r\n".encode()
    )
    book = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(["occupation"], [[text]])))
    cell = book.active["A2"]
    assert (cell.value, cell.data_type) == (text, "s")


def test_every_text_a_workbook_can_hold_goes_through_an_xlsx_output():
    """Issue 32, finding 6: a control character (a workbook's _x0007_, read as the character)
    is written as Excel writes it, so the file opens and reads back as the same text."""
    import python_calamine

    from core.xlsx_files import workbook_bytes

    texts = ["Pig\x07eon", "\x01\x08\x0b\x0c\x0e\x1f", "tab\tand\nline", "=1+1", "_x0007_"]
    body = workbook_bytes([("Sheet", ["head\x07"], [[text] for text in texts])])
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(body))
    rows = book.get_sheet_by_name("Sheet").to_python()
    assert [row[0] for row in rows] == ["head\x07", *texts]
