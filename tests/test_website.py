"""The website in a real browser: Debian's Chromium driven by Playwright (no browser
download), against the app served by Granian on the sample DuckDB warehouse. Screenshots of
each state are saved under artifacts/website/ (git-ignored)."""

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from core import settings as settings_module
from tests.load import ApiServer
from tests.warehouses import copy_project, fresh_sample, opted_out, unavailable

pytestmark = pytest.mark.browser  # Chromium: make test-fast leaves these out

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "website"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Server(ApiServer):
    """`interactions serve` (Granian, one worker) on the port the kernel picks, on the given
    warehouse file, with more `settings` (environment variables); its output goes to
    `log_path`."""

    def __init__(self, duckdb_path: Path, log_path: Path, **settings: str):
        environ = {"WAREHOUSE": "duckdb", "DUCKDB_PATH": str(duckdb_path), **settings}
        super().__init__(environ, log_path, workers=1)


@pytest.fixture(scope="module")
def warehouse_file(tmp_path_factory):
    home = copy_project(tmp_path_factory.mktemp("website"))
    with fresh_sample("duckdb", home):
        settings = settings_module.load({"WAREHOUSE": "duckdb", "INTERACTIONS_HOME": str(home)})
    return settings.duckdb_path


@pytest.fixture(scope="module")
def server(warehouse_file, tmp_path_factory):
    running = Server(warehouse_file, tmp_path_factory.mktemp("server") / "serve.log")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    if opted_out("SKIP_BROWSER"):
        unavailable("SKIP_BROWSER", "the browser tests are skipped")
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        unavailable("SKIP_BROWSER", f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    opened = context.new_page()
    opened.console_errors = []
    opened.on(
        "console",
        lambda message: (
            opened.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    yield opened
    context.close()


def screenshot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def table_rows(page, selector):
    return page.eval_on_selector_all(
        f"{selector} tbody tr",
        "rows => rows.map(row => Array.from(row.children).map(cell => cell.textContent))",
    )


def chart_bars(page):
    return page.eval_on_selector_all(
        "#customer-chart g[data-channel]",
        "groups => groups.map(g => [g.dataset.channel, g.dataset.count])",
    )


def show_customer_by_id(page, customer_id):
    page.fill("#id-input", str(customer_id))
    page.press("#id-input", "Enter")


def test_customer_1_chart_and_table_show_every_channel(server, page):
    page.goto(server.url)
    page.click("#customer-list button[data-customer-id='1']")
    page.wait_for_selector("#customer-figure:not([hidden])")
    assert table_rows(page, "#customer-table") == [["Email", "1"], ["Call", "0"], ["Bird", "0"]]
    assert chart_bars(page) == [["Email", "1"], ["Call", "0"], ["Bird", "0"]]
    assert page.locator("#customer-note").is_hidden()
    assert table_rows(page, "#customer-topics-table") == [["Unknown", "1", "0", "0"]]
    screenshot(page, "customer-1")
    assert page.console_errors == []


def test_customer_4_is_noted_as_not_in_the_customer_sheet(server, page):
    page.goto(server.url)
    show_customer_by_id(page, 4)
    page.wait_for_selector("#customer-note:not([hidden])")
    assert "not in the customer sheet" in page.text_content("#customer-note")
    assert table_rows(page, "#customer-table") == [["Email", "0"], ["Call", "1"], ["Bird", "1"]]
    screenshot(page, "customer-4-not-in-sheet")


def test_customer_without_interactions_shows_the_empty_state(server, page):
    page.goto(f"{server.url}/#customer=2")
    page.wait_for_selector("#customer-state[data-state='empty']")
    assert page.text_content("#customer-state") == "Customer 2 has no interactions."
    assert table_rows(page, "#customer-table") == [["Email", "0"], ["Call", "0"], ["Bird", "0"]]
    screenshot(page, "customer-2-empty")


def test_unknown_customer_shows_the_not_found_state(server, page):
    page.goto(server.url)
    show_customer_by_id(page, 999)
    page.wait_for_selector("#customer-state[data-state='notfound']")
    assert page.text_content("#customer-state").startswith("No customer with id 999 was found.")
    assert page.locator("#customer-figure").is_hidden()
    screenshot(page, "customer-999-not-found")


def test_topic_filter_counts_one_topic(server, page):
    page.goto(f"{server.url}/#customer=1")
    page.wait_for_selector("#customer-figure:not([hidden])")
    page.select_option("#topic-select", "Sand")
    page.wait_for_selector("#customer-state[data-state='empty']")
    assert table_rows(page, "#customer-table") == [["Email", "0"], ["Call", "0"], ["Bird", "0"]]
    page.select_option("#topic-select", "Unknown")
    page.wait_for_selector("#customer-state[data-state='ready']", state="attached")
    assert table_rows(page, "#customer-table") == [["Email", "1"], ["Call", "0"], ["Bird", "0"]]


def test_search_customer_types_quality_and_freshness(server, page):
    page.goto(server.url)
    page.fill("#search-input", "santa")
    page.press("#search-input", "Enter")
    page.wait_for_selector("#search-status:has-text('1 customer found.')")
    assert page.eval_on_selector_all(
        "#customer-list button", "buttons => buttons.map(b => b.dataset.customerId)"
    ) == ["3"]
    page.wait_for_selector("#types-table:not([hidden])")
    assert table_rows(page, "#types-table") == [
        ["Blue", "1", "0", "0"],
        ["Orange", "0", "0", "0"],
        ["Red", "1", "0", "0"],
        ["Unknown", "0", "1", "1"],
    ]
    page.wait_for_selector("#quality-list:not([hidden])")
    quality = page.eval_on_selector_all(
        "#quality-list dt, #quality-list dd", "nodes => nodes.map(n => n.textContent)"
    )
    assert quality[-6:] == [
        "Rows quarantined by reason",
        "none",
        "Interactions without a topic",
        "4",
        "Customers not in the customer sheet",
        "1",
    ]
    assert page.text_content("#freshness").startswith("Data last built ")
    screenshot(page, "dashboard")


def test_keyboard_only_and_phone_width(server, browser):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(server.url)
    page.wait_for_selector("#customer-list button[data-customer-id='1']")
    page.focus("#search-input")
    page.keyboard.press("Tab")  # the Search button
    page.keyboard.press("Tab")  # the first customer in the list
    assert page.evaluate("document.activeElement.dataset.customerId") == "1"
    page.keyboard.press("Enter")
    page.wait_for_selector("#customer-figure:not([hidden])")
    assert table_rows(page, "#customer-table")[0] == ["Email", "1"]
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    labels = page.eval_on_selector_all(
        "input, select",
        "fields => fields.filter(f => !document.querySelector(`label[for='${f.id}']`))"
        ".map(f => f.id)",
    )
    assert labels == []
    screenshot(page, "phone-width")
    context.close()


def test_the_page_carries_security_headers(server, page):
    response = page.goto(server.url)
    headers = response.headers
    assert headers["content-security-policy"].startswith("default-src 'none'; script-src 'self'")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert headers["permissions-policy"] == "camera=(), microphone=(), geolocation=()"


def test_api_stopped_shows_the_error_state(warehouse_file, page, tmp_path):
    own = Server(warehouse_file, tmp_path / "serve.log")
    try:
        page.goto(own.url)
        page.wait_for_selector("#customer-list button[data-customer-id='1']")
    finally:
        own.stop()
    show_customer_by_id(page, 1)
    page.wait_for_selector("#customer-state[data-state='error']")
    assert page.text_content("#customer-state") == "The data service cannot be reached."
    assert page.locator("#api-error").is_visible()
    assert "cannot be reached" in page.text_content("#api-error")
    screenshot(page, "api-down")


def test_with_api_keys_the_page_asks_for_a_key_keeps_it_in_the_tab_and_shows_data(
    warehouse_file, browser, monkeypatch, tmp_path
):
    key = "website-test-key-3f9a1c"
    monkeypatch.setenv("API_KEY_HASHES", hashlib.sha256(key.encode()).hexdigest())
    own = Server(warehouse_file, tmp_path / "serve.log")
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    try:
        page = context.new_page()
        page.goto(own.url)
        page.wait_for_selector("#api-key-panel:not([hidden])")
        assert page.locator("#customer-list button").count() == 0  # no data without a key
        screenshot(page, "api-key-asked")
        page.fill("#api-key-input", key)
        page.click("#api-key-form button[type='submit']")
        page.wait_for_selector("#customer-list button[data-customer-id='1']")
        page.wait_for_selector("#freshness:has-text('Data last built ')")
        assert page.locator("#api-key-panel").is_hidden()
        assert page.input_value("#api-key-input") == ""
        # Kept in this tab's sessionStorage only: no localStorage, no cookie, not in the page.
        assert page.evaluate("sessionStorage.getItem('interactions-api-key')") == key
        assert page.evaluate("localStorage.length") == 0
        assert context.cookies() == []
        assert key not in page.content() and key not in page.url
        show_customer_by_id(page, 4)
        page.wait_for_selector("#customer-figure:not([hidden])")
        assert table_rows(page, "#customer-table") == [["Email", "0"], ["Call", "1"], ["Bird", "1"]]
        screenshot(page, "api-key-given")
        # Another tab of another session has no key: it is asked again.
        other = browser.new_context().new_page()
        other.goto(own.url)
        other.wait_for_selector("#api-key-panel:not([hidden])")
        assert other.evaluate("sessionStorage.length") == 0
        other.context.close()
    finally:
        context.close()
        own.stop()
