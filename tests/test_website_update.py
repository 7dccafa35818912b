"""Updating the data from the website, in real Chromium (issue 16's "done when"): a read key
is refused the upload (403); with an admin key a workbook's preview shows what changes and
what is quarantined, with its fix-it workbook; cancel changes nothing; publish changes the
page's numbers, the monthly charts show the workbook's months, a count lists its rows, the
XLSX export and the live fix-it workbook hold the expected rows; rolling back brings the
numbers back. One story on its own DuckDB warehouse and server, with API keys on. Screenshots
of each state go to artifacts/website/ (the README shows them from docs/screenshots/)."""

import datetime
import hashlib

import openpyxl
import pytest
from playwright.sync_api import expect

from core import settings as settings_module
from tests.test_versions import CUSTOMERS_A, PRODUCTS, workbook
from tests.test_website import ARTIFACTS, Server, browser, table_rows  # noqa: F401 - fixture
from tests.warehouses import copy_project, fresh_sample

pytestmark = pytest.mark.browser  # Chromium: make test-fast leaves these out

READ_KEY = "website-read-key-5d1e"
ADMIN_KEY = "website-admin-key-8c2b"
D = datetime.datetime
# Four months, one without interactions of customer 1 (zero-filled); a Pigeon is quarantined.
INTERACTIONS = [
    [D(2019, 10, 3, 9, 0), "Email", 1],
    [D(2019, 10, 5, 9, 0), "Call", 1],
    [D(2019, 12, 1, 9, 0), "Bird", 1],
    [D(2020, 1, 7, 9, 0), "Email", 1],
    [D(2020, 1, 8, 9, 0), "Email", 2],
    [D(2019, 11, 8, 9, 0), "Pigeon", 2],
    [D(2019, 11, 9, 9, 0), "Call", 3],
    [D(2019, 12, 9, 9, 0), "Call", 4],
]
MONTHS = ["2019-10", "2019-11", "2019-12", "2020-01"]
SAMPLE_CUSTOMER_1 = [["Email", "1"], ["Call", "0"], ["Bird", "0"]]
NEW_CUSTOMER_1 = [["Email", "2"], ["Call", "1"], ["Bird", "1"]]
QUARANTINED_PIGEON = (7, "unknown channel", "08/11/2019 09:00", "Pigeon", "2")
SLOW = 120_000  # ms: a preview, a publish or a rollback builds and tests the marts


@pytest.fixture
def site(tmp_path):
    """A server with a read key and an admin key on its own warehouse (the sample, version 1)."""
    home = copy_project(tmp_path / "project")
    with fresh_sample("duckdb", home):
        settings = settings_module.load({"WAREHOUSE": "duckdb", "INTERACTIONS_HOME": str(home)})
    read, admin = (hashlib.sha256(key.encode()).hexdigest() for key in (READ_KEY, ADMIN_KEY))
    server = Server(
        settings.duckdb_path,
        tmp_path / "serve.log",
        INTERACTIONS_HOME=str(home),
        API_KEY_HASHES=f"{read},{admin}:admin",
        API_PREVIEW_DIR=str(tmp_path / "previews"),
    )
    yield server
    server.stop()


def screenshot(page, name, first, last=None):
    """The page from the top of `first` to the bottom of `last` (default: `first`)."""
    top, bottom = page.evaluate(
        """([first, last]) => [
            document.querySelector(first).getBoundingClientRect().top + window.scrollY,
            document.querySelector(last).getBoundingClientRect().bottom + window.scrollY]""",
        [first, last or first],
    )
    clip = {
        "x": 0,
        "y": max(0, top - 8),
        "width": page.viewport_size["width"],
        "height": bottom - top + 16,
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), clip=clip, full_page=True)


def sheets_of(path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {sheet.title: list(sheet.values) for sheet in book}
    finally:
        book.close()


def downloaded(page, selector, folder) -> tuple[str, dict]:
    with page.expect_download() as download:
        page.click(selector)
    path = folder / download.value.suggested_filename
    download.value.save_as(path)
    return download.value.suggested_filename, sheets_of(path)


def monthly_bars(page, selector) -> dict[str, list]:
    """{channel: [(month, count), ...]} of the monthly charts under `selector`."""
    charts = page.eval_on_selector_all(
        f"{selector} svg[data-channel]",
        """charts => Object.fromEntries(charts.map(chart => [chart.dataset.channel,
            Array.from(chart.querySelectorAll('rect[data-month]'))
                .map(bar => [bar.dataset.month, Number(bar.dataset.count)])]))""",
    )
    return {channel: [tuple(bar) for bar in bars] for channel, bars in charts.items()}


def preview(page, path):
    page.set_input_files("#workbook-input", str(path))
    page.click("#preview-button")
    page.wait_for_selector("#preview:not([hidden])", timeout=SLOW)


def test_update_the_data_from_the_page(site, browser, tmp_path):  # noqa: F811 - the fixture
    export = workbook(tmp_path / "export.xlsx", CUSTOMERS_A, INTERACTIONS, PRODUCTS)
    context = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{site.url}/#customer=1")
        page.fill("#api-key-input", READ_KEY)
        page.click("#api-key-form button[type='submit']")
        page.wait_for_selector("#live-version[data-version='1']")
        page.wait_for_selector("#customer-figure:not([hidden])")
        assert table_rows(page, "#customer-table") == SAMPLE_CUSTOMER_1
        assert page.text_content("#live-version").startswith("Version 1 is live: seeds/, imported ")

        # A read key may not upload: the API's 403, on the page.
        page.fill("#admin-key-input", READ_KEY)
        page.click("#admin-key-form button[type='submit']")
        page.set_input_files("#workbook-input", str(export))
        page.click("#preview-button")
        page.wait_for_selector("#update-state[data-state='error']")
        assert page.text_content("#update-state") == (
            "this needs an admin API key; the key sent may only read"
        )
        screenshot(page, "update-read-key-refused", "#update-view")

        # The admin key, kept in this tab only; the preview shows what would change.
        page.fill("#admin-key-input", ADMIN_KEY)
        page.click("#admin-key-form button[type='submit']")
        assert page.evaluate("sessionStorage.getItem('interactions-admin-key')") == ADMIN_KEY
        assert page.evaluate("localStorage.length") == 0 and context.cookies() == []
        preview(page, export)
        assert page.text_content("#preview-message") == (
            "Preview of export.xlsx on the duckdb warehouse: it would go live as version 2; "
            "nothing changed."
        )
        assert table_rows(page, "#preview-channels") == [
            ["Email", "2", "3"],
            ["Call", "1", "3"],
            ["Bird", "1", "1"],
        ]
        assert table_rows(page, "#preview-quarantine") == [
            ["External interactions", "unknown channel", "1", "7"]
        ]
        name, sheets = downloaded(page, "#preview-fixit", tmp_path)
        assert name.startswith("quarantine-preview-")
        assert sheets["External interactions"] == [
            ("Sheet row", "Reason", "Date Start", "Interaction", "Customers"),
            QUARANTINED_PIGEON,
        ]
        assert sheets["Customers"] == [("Sheet row", "Reason", "Customer_Id", "Occupation", "Type")]
        screenshot(page, "update-preview", "#update-view")

        # Cancel: nothing changed, and the preview is gone on the server too (its folder, and
        # so its publish and its fix-it workbook).
        previews = tmp_path / "previews"
        [previewed] = [folder.name for folder in previews.iterdir()]
        page.click("#cancel-button")
        assert page.locator("#preview").is_hidden()
        expect(page.locator("#update-state")).to_have_text("Cancelled: nothing changed.")
        assert page.get_attribute("#live-version", "data-version") == "1"
        assert len(previewed) == 32 and list(previews.iterdir()) == []

        # Publish: the page's numbers change, the header names the new version.
        preview(page, export)
        page.click("#publish-button")
        page.wait_for_selector("#update-state[data-state='done']", timeout=SLOW)
        assert page.text_content("#update-state") == "Published: version 2 is live."
        page.wait_for_selector("#live-version[data-version='2']")
        assert page.text_content("#live-version").startswith(
            "Version 2 is live: export.xlsx, imported "
        )
        # (expect polls with Playwright's own script: wait_for_function's string is an eval,
        # which the page's Content-Security-Policy refuses once the first check fails)
        expect(page.locator("#customer-table tbody td").first).to_have_text("2")
        assert table_rows(page, "#customer-table") == NEW_CUSTOMER_1
        assert [row[0] for row in table_rows(page, "#history-table")] == ["2", "1"]
        screenshot(page, "update-published", "#update-view")

        # The monthly charts: every month from the first to the last, zero-filled.
        page.wait_for_selector("#customer-monthly svg[data-channel='Bird']")
        assert monthly_bars(page, "#customer-monthly") == {
            "Email": list(zip(MONTHS, [1, 0, 0, 1], strict=True)),
            "Call": list(zip(MONTHS, [1, 0, 0, 0], strict=True)),
            "Bird": list(zip(MONTHS, [0, 0, 1, 0], strict=True)),
        }
        red_type = "#types-monthly section[data-customer-type='Red']"
        expect(page.locator(f"{red_type} svg[data-channel='Call'] rect")).to_have_count(4)
        red = monthly_bars(page, red_type)
        assert red["Call"] == list(zip(MONTHS, [1, 0, 1, 0], strict=True))
        screenshot(page, "monthly-charts", "body > header", "#customer-view")
        screenshot(page, "monthly-charts-by-type", "#types-title", "#types-monthly")

        # The XLSX export of the monthly table: numbers as numbers.
        name, sheets = downloaded(page, "#customer-monthly button[data-format='xlsx']", tmp_path)
        assert (name, list(sheets.values())) == (
            "interactions-1-monthly.xlsx",
            [
                [
                    ("customer_id", "month", "Email", "Call", "Bird"),
                    (1, "2019-10", 1, 1, 0),
                    (1, "2019-11", 0, 0, 0),
                    (1, "2019-12", 0, 0, 1),
                    (1, "2020-01", 1, 0, 0),
                ]
            ],
        )

        # A count lists the workbook rows behind it.
        page.click("#customer-table a.count-link[data-channel='Email']")
        page.wait_for_selector("#rows-table:not([hidden])")
        assert table_rows(page, "#rows-table") == [
            ["2", "External interactions", "2", "03/10/2019 09:00", "Email", "1"],
            ["2", "External interactions", "5", "07/01/2020 09:00", "Email", "1"],
        ]
        assert page.evaluate("document.activeElement.id") == "rows-view"
        screenshot(page, "count-rows", "#rows-view")

        # The live version's fix-it workbook.
        name, sheets = downloaded(page, "#fixit-download button", tmp_path)
        assert name == "quarantine-v2.xlsx"
        assert sheets["External interactions"][1:] == [QUARANTINED_PIGEON]

        # Roll back: the numbers return.
        page.click("#history-table button[data-rollback='1']")
        page.wait_for_selector("#update-state[data-state='done']", timeout=SLOW)
        assert page.text_content("#update-state") == "Rolled back: version 1 is live."
        page.wait_for_selector("#live-version[data-version='1']")
        expect(page.locator("#customer-table tbody td").first).to_have_text("1")
        assert table_rows(page, "#customer-table") == SAMPLE_CUSTOMER_1
        screenshot(page, "update-rolled-back", "body > header", "#customer-figure")
    finally:
        context.close()
