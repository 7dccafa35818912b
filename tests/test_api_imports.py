"""Updating the data through the API (issue 16, items 2 and 3), on DuckDB and PostgreSQL.

One story per warehouse, with exact bodies: a read key gets 403 and no key 401; an admin
key uploads workbook A and gets its preview (the diff and quarantine of `interactions import
--preview`) while nothing served changes; publishing makes version 2 live and the answers
change; a preview of B made while 2 is live is refused with 409 once a rollback to 1 made 1
live, and nothing changes; rolling back to an unknown version is a 404; a file that is not a
workbook previews as would_go_live false with the importer's message. And, on DuckDB only:
API keys off (403 naming the setting), no workbook (400), too large (413), an unknown,
malformed or expired preview (404).
"""

import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import openpyxl
import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from api import create_app, previews
from api.imports import MAX_UPLOAD_BYTES
from api.warehouse import close_reader
from tests.load import ApiServer
from tests.test_versions import (
    CUSTOMERS_A,
    CUSTOMERS_B,
    INTERACTIONS_A,
    INTERACTIONS_B,
    PRODUCTS,
    workbook,
)
from tests.test_versions import (
    warehouse as warehouse,  # noqa: F401, PLC0414 - the fixture
)

READ_KEY = "read-key-for-the-import-tests"
ADMIN_KEY = "admin-key-for-the-import-tests"
ADMIN = {"X-API-Key": ADMIN_KEY}
READ = {"X-API-Key": READ_KEY}


def keys_entry() -> str:
    read, admin = (hashlib.sha256(key.encode()).hexdigest() for key in (READ_KEY, ADMIN_KEY))
    return f"{read},{admin}:admin"


@pytest.fixture
def api(warehouse, tmp_path):  # noqa: F811 - the fixture imported above
    """The API on the warehouse's live version, with a read key and an admin key."""
    app = create_app(
        {
            "TESTING": True,
            "API_KEY_HASHES": keys_entry(),
            "API_PREVIEW_DIR": str(tmp_path / "previews"),
            **warehouse.environ,
        }
    )
    yield app.test_client()
    close_reader(app)


def upload(client, path, headers=ADMIN):
    with open(path, "rb") as file:
        return client.post("/api/v1/imports", data={"workbook": (file, path.name)}, headers=headers)


def customer_one(warehouse):  # noqa: F811
    """GET /api/v1/interactions/1 from a new app (a long-lived one follows builds a moment
    later on PostgreSQL: tests/test_cache.py)."""
    return warehouse.answers()["/api/v1/interactions/1"]


SAMPLE_ONE = b'200 v1 {"data":{"customer_id":1,"interactions":{"Email":1,"Call":0,"Bird":0}}}\n'
A_ONE = b'200 v2 {"data":{"customer_id":1,"interactions":{"Email":6,"Call":0,"Bird":0}}}\n'


@pytest.mark.long  # a story of many builds: make test-fast leaves it out
def test_upload_preview_publish_and_rollback(warehouse, api, tmp_path):  # noqa: F811
    a = workbook(tmp_path / "A.xlsx", CUSTOMERS_A, INTERACTIONS_A, PRODUCTS)
    b = workbook(tmp_path / "B.xlsx", CUSTOMERS_B, INTERACTIONS_B, PRODUCTS)
    assert customer_one(warehouse) == SAMPLE_ONE

    # Scopes: no key 401, a read key 403, on every route that changes data.
    assert upload(api, a, headers={}).status_code == 401
    for response in (
        upload(api, a, headers=READ),
        api.post("/api/v1/imports/0f9c2b4e8a7d4c1b9e3f5a6b7c8d9e0f/publish", headers=READ),
        api.post("/api/v1/versions/1/rollback", headers=READ),
    ):
        assert response.status_code == 403
        assert response.get_json() == {
            "error": {
                "status": 403,
                "message": "this needs an admin API key; the key sent may only read",
            }
        }

    # Upload A: its preview; nothing served changes.
    response = upload(api, a)
    assert response.status_code == 200, response.data
    preview = response.get_json()["data"]
    preview_id = preview.pop("preview_id")
    assert re.fullmatch("[0-9a-f]{32}", preview_id)
    assert preview == {
        "would_go_live": True,
        "diff": {
            "live_version": 1,
            "customers": {
                "live": 6,
                "new": 7,
                "added": 1,
                "removed": 0,
                "changed": 3,
                "added_ids": [5],
                "removed_ids": [],
                "changed_rows": [
                    {
                        "customer_id": 4,
                        "occupation": ["Unknown", "Yoda"],
                        "customer_type": ["Unknown", "Red"],
                    },
                    {
                        "customer_id": 11,
                        "occupation": ["Doctor", "Alf"],
                        "customer_type": ["Orange", "Blue"],
                    },
                    {
                        "customer_id": 12,
                        "occupation": ["Plummer", "Neo"],
                        "customer_type": ["Red", "Red"],
                    },
                ],
            },
            "interactions": {
                "live": 4,
                "new": 20,
                "added": 20,
                "removed": 4,
                "by_channel": [
                    {"channel": "Email", "live": 2, "new": 6},
                    {"channel": "Call", "live": 1, "new": 7},
                    {"channel": "Bird", "live": 1, "new": 7},
                ],
            },
            "quarantined": [],
            "topics": {"added": [], "removed": ["Orange"]},
        },
        "quarantined": {"rows": 0, "by_reason": []},
        "message": f"Preview of A.xlsx on the {warehouse.name} warehouse: it would go live as "
        "version 2; nothing changed.",
    }
    assert customer_one(warehouse) == SAMPLE_ONE

    # Publish: version 2 is live, under the uploaded file's name; the preview is gone.
    response = api.post(f"/api/v1/imports/{preview_id}/publish", headers=ADMIN)
    assert (response.status_code, response.get_json()) == (200, {"data": {"version": 2}})
    assert customer_one(warehouse) == A_ONE
    assert [(v["version"], v["file"]) for v in warehouse.history()] == [
        (2, "A.xlsx"),
        (1, "seeds/"),
    ]
    again = api.post(f"/api/v1/imports/{preview_id}/publish", headers=ADMIN)
    assert again.status_code == 404
    assert again.get_json()["error"]["message"] == (
        f"no preview {preview_id}: it is unknown, published already or expired (after an "
        "hour); upload the workbook again"
    )

    # B previewed against 2; a rollback to 1 comes first: publishing B is a 409.
    response = upload(api, b)
    preview_b = response.get_json()["data"]
    assert preview_b["would_go_live"] is True
    assert preview_b["quarantined"] == {
        "rows": 1,
        "by_reason": [
            {
                "sheet": "External interactions",
                "reason": "unknown channel",
                "rows": 1,
                "examples": [
                    {
                        "sheet_row": 22,
                        "values": "Date Start=02/11/2019 09:00; Interaction=Pigeon; Customers=6",
                    }
                ],
            }
        ],
    }
    # Its fix-it workbook: the Pigeon row, its sheet row and cells; an admin key only.
    fixit_path = f"/api/v1/imports/{preview_b['preview_id']}/quarantine.xlsx"
    response = api.get(fixit_path, headers=ADMIN)
    assert response.status_code == 200, response.data
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="quarantine-preview-{preview_b["preview_id"][:8]}.xlsx"'
    )
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
    assert {sheet.title: list(sheet.values) for sheet in book} == {
        "Customers": [("Sheet row", "Reason", "Customer_Id", "Occupation", "Type")],
        "External interactions": [
            ("Sheet row", "Reason", "Date Start", "Interaction", "Customers"),
            (22, "unknown channel", "02/11/2019 09:00", "Pigeon", "6"),
        ],
        "Products of discussion": [("Sheet row", "Reason", "Date", "Product")],
    }
    assert api.get(fixit_path, headers=READ).status_code == 403
    response = api.post("/api/v1/versions/1/rollback", headers=ADMIN)
    assert (response.status_code, response.get_json()) == (200, {"data": {"version": 1}})
    assert customer_one(warehouse) == SAMPLE_ONE
    response = api.post(f"/api/v1/imports/{preview_b['preview_id']}/publish", headers=ADMIN)
    assert (response.status_code, response.get_json()) == (
        409,
        {
            "error": {
                "status": 409,
                "message": "the live version changed since the preview: it is 1, not 2; "
                "nothing changed (preview the workbook again)",
            }
        },
    )
    assert customer_one(warehouse) == SAMPLE_ONE
    assert [v["version"] for v in warehouse.history()] == [2, 1]

    # Rollback to a version not kept: 404, nothing changes.
    response = api.post("/api/v1/versions/9/rollback", headers=ADMIN)
    assert (response.status_code, response.get_json()) == (
        404,
        {
            "error": {
                "status": 404,
                "message": "version 9 is not kept (kept: 1, 2); nothing changed",
            }
        },
    )

    # Not a workbook: would_go_live false with the importer's message, never a 500.
    text = tmp_path / "notes.xlsx"
    text.write_text("customer,channel\n1,Email\n")
    response = upload(api, text)
    assert response.status_code == 200
    answer = response.get_json()["data"]
    assert answer == {
        "preview_id": None,
        "would_go_live": False,
        "diff": None,
        "quarantined": None,
        "message": "notes.xlsx: not an Excel .xlsx/.xlsm workbook (its content is not a zip "
        "package: is it a CSV, an old .xls or a password-protected file, renamed?); nothing "
        "changed",
    }
    assert customer_one(warehouse) == SAMPLE_ONE
    assert warehouse.leftovers() == []


@pytest.fixture
def admin_api(tmp_path):
    """The API with an admin key (no warehouse: these answers are decided before reading)."""
    app = create_app(
        {
            "TESTING": True,
            "API_KEY_HASHES": keys_entry(),
            "API_PREVIEW_DIR": str(tmp_path / "previews"),
        }
    )
    yield app.test_client()
    close_reader(app)


def error_of(response):
    return response.status_code, response.get_json()["error"]["message"]


def test_api_keys_off_refuse_every_change(app, client):
    keys_off = (
        "this needs an admin API key, and API keys are off: set API_KEY_HASHES with an admin "
        "entry (`interactions apikey new --admin` prints a key and its entry)"
    )
    for path in (
        "/api/v1/imports",
        "/api/v1/imports/0f9c2b4e8a7d4c1b9e3f5a6b7c8d9e0f/publish",
        "/api/v1/versions/1/rollback",
    ):
        assert error_of(client.post(path)) == (403, keys_off)
    assert error_of(client.delete("/api/v1/imports/0f9c2b4e8a7d4c1b9e3f5a6b7c8d9e0f")) == (
        403,
        keys_off,
    )


def test_an_upload_needs_one_workbook_of_at_most_50_mb(admin_api):
    missing = (
        400,
        "send the workbook as multipart/form-data in the field 'workbook' "
        "(curl -F workbook=@export.xlsx)",
    )
    assert error_of(admin_api.post("/api/v1/imports", headers=ADMIN)) == missing
    other_field = admin_api.post(
        "/api/v1/imports", data={"file": (io.BytesIO(b"x"), "a.xlsx")}, headers=ADMIN
    )
    assert error_of(other_field) == missing

    def upload_of(size: int):
        # The body built in memory (the test client would spool it to a file it never closes).
        boundary, body = encode_multipart(
            {"workbook": FileStorage(io.BytesIO(b"x" * size), "big.xlsx")}
        )
        return admin_api.post(
            "/api/v1/imports",
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
            headers=ADMIN,
        )

    # A workbook of exactly 50 MB reaches the importer (which finds it is no workbook)...
    assert MAX_UPLOAD_BYTES == 52_428_800
    at_the_limit = upload_of(MAX_UPLOAD_BYTES)
    assert at_the_limit.status_code == 200, at_the_limit.data
    answer = at_the_limit.get_json()["data"]
    assert (answer["preview_id"], answer["would_go_live"]) == (None, False)
    assert answer["message"].startswith("big.xlsx: not an Excel .xlsx/.xlsm workbook"), answer
    # ... one byte more does not.
    assert error_of(upload_of(MAX_UPLOAD_BYTES + 1)) == (
        413,
        "the upload is larger than 50 MB (52428800 bytes)",
    )
    # Issue 32, finding 16: 3,000 parts in 100 KB were "larger than 50 MB".
    boundary, body = encode_multipart({f"f{n}": "x" for n in range(3000)})
    assert len(body) < 400_000
    many = admin_api.post(
        "/api/v1/imports",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=ADMIN,
    )
    assert error_of(many) == (
        413,
        "the upload has more than 16 parts: send one workbook in the field 'workbook'",
    )


def test_unknown_malformed_and_expired_previews_are_404(admin_api, tmp_path):
    store = previews.PreviewStore(tmp_path / "previews")
    preview_id, path = store.new("../A b.xlsx", lambda path: path.write_bytes(b"PK"))
    assert path.name == "A b.xlsx"  # no path from the client's file name
    store.keep(preview_id, 1)
    assert store.get(preview_id).live_version == 1
    record = path.parent.parent / "preview.json"
    made = json.loads(record.read_text())
    record.write_text(json.dumps({**made, "created": made["created"] - 3601}))
    for given in (preview_id, "0" * 32, "not-an-id", "A" * 32):
        for response in (
            admin_api.get(f"/api/v1/imports/{given}/quarantine.xlsx", headers=ADMIN),
            admin_api.post(f"/api/v1/imports/{given}/publish", headers=ADMIN),
        ):
            assert error_of(response) == (
                404,
                f"no preview {given}: it is unknown, published already or expired (after an "
                "hour); upload the workbook again",
            )
    assert not path.parent.parent.exists()  # the expired preview is removed


KILLED_UPLOAD = """
import sys, time
from pathlib import Path
from api.previews import PreviewStore
store = PreviewStore(Path(sys.argv[1]))  # holds the upload's lock while it lives
preview_id, path = store.new("A.xlsx", lambda p: p.write_bytes(b"PK"))
print(preview_id, flush=True)
time.sleep(120)
"""


def test_an_upload_killed_midway_is_no_preview_and_the_next_upload_sweeps_it(tmp_path):
    """Issue 32, finding 10: swept by the next upload at once, not an hour later; an upload
    still under way (another worker's) is left alone."""
    folder = tmp_path / "previews"
    uploading = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", KILLED_UPLOAD, str(folder)], stdout=subprocess.PIPE, text=True
    )
    try:
        killed = uploading.stdout.readline().strip()
        store = previews.PreviewStore(folder)
        assert store.get(killed) is None  # never kept: no preview.json
        b, _path = store.new("B.xlsx", lambda path: path.write_bytes(b"PK"))
        assert (folder / killed).exists()  # under way: its process holds the lock
    finally:
        uploading.kill()
        uploading.wait()
        uploading.stdout.close()
    other = previews.PreviewStore(folder)
    c, _path = other.new("C.xlsx", lambda path: path.write_bytes(b"PK"))
    assert not (folder / killed).exists()  # killed midway: swept by the next upload
    assert sorted(path.name for path in folder.iterdir()) == sorted([b, c])  # under way here
    store.discard(b)
    other.discard(c)


@pytest.mark.parametrize(
    ("given", "saved"),
    [
        ("Клиенты.xlsx", "Клиенты.xlsx"),  # finding 8: was "xlsx", refused
        ("préview.json.xlsx", "préview.json.xlsx"),
        ("preview.json.xlsx", "preview.json.xlsx"),  # finding 11: could not be published
        ("x" * 300 + ".xlsx", "x" * 195 + ".xlsx"),  # finding 9: over 255 bytes was a 500
        ("ж" * 200 + ".xlsx", "ж" * 97 + ".xlsx"),  # cut on a character, not a byte
        ("C:\\exports\\a.xlsx", "a.xlsx"),
        ("../.hidden.xlsx", "hidden.xlsx"),
        ("a\x00b<c>.xlsx", "a_b_c_.xlsx"),
        ("", "workbook.xlsx"),
    ],
)
def test_an_uploads_name_is_kept_in_any_script_and_cut_to_fit(tmp_path, given, saved):
    store = previews.PreviewStore(tmp_path / "previews")
    preview_id, path = store.new(given, lambda path: path.write_bytes(b"PK"))
    assert path.name == saved
    store.keep(preview_id, 1)
    assert store.get(preview_id).workbook == path


def test_a_failed_save_leaves_no_folder(tmp_path):
    store = previews.PreviewStore(tmp_path / "previews")

    def save(path):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        store.new("A.xlsx", save)
    assert list((tmp_path / "previews").iterdir()) == []


@pytest.mark.parametrize("warehouse", ["duckdb"], indirect=True)
def test_a_workbook_named_in_cyrillic_is_previewed_and_published(warehouse, api, tmp_path):  # noqa: F811
    a = workbook(tmp_path / "Клиенты preview.json.xlsx", CUSTOMERS_A, INTERACTIONS_A, PRODUCTS)
    answer = upload(api, a)
    assert answer.status_code == 200, answer.data
    data = answer.get_json()["data"]
    assert data["would_go_live"] is True
    assert "Preview of Клиенты preview.json.xlsx on the duckdb warehouse" in data["message"]
    published = api.post(f"/api/v1/imports/{data['preview_id']}/publish", headers=ADMIN)
    assert published.status_code == 200, published.data
    assert customer_one(warehouse) == A_ONE


def post_workbook(url: str, path, key: str) -> dict:
    """POST the workbook to a served API's /api/v1/imports; the answer's JSON."""
    boundary, body = encode_multipart(
        {"workbook": FileStorage(io.BytesIO(path.read_bytes()), path.name)}
    )
    request = urllib.request.Request(  # noqa: S310 - the test's own server
        f"{url}/api/v1/imports",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "X-API-Key": key},
    )
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        return json.load(response)


def post(url: str, key: str, timeout=120) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=b"", headers={"X-API-Key": key})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"X-API-Key": READ_KEY})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.read()


def wait_for(condition, server, seconds=120) -> None:
    """Until condition() holds; failing with the server's log after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, server.log()[-3000:]
        time.sleep(0.1)


def post_expecting_no_answer(url: str, key: str) -> None:
    """A POST whose worker is killed before it answers."""
    try:
        post(url, key)
    except (ConnectionError, urllib.error.URLError):
        return
    raise AssertionError(f"{url} answered: its worker was to be killed first")


def children_running(parents, *words) -> list[int]:
    """The pids of the children of `parents` whose command line holds every one of `words`
    (never another checkout's processes on this machine)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            parent = parent_of(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
        if parent in parents and all(word.encode() in command for word in words):
            found.append(int(entry.name))
    return found


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.mark.stress  # a kill: make test-fast leaves it out
@pytest.mark.parametrize("warehouse", ["duckdb"], indirect=True)
def test_a_worker_killed_mid_publish_changes_nothing(warehouse, tmp_path):  # noqa: F811
    """Served by Granian: the worker publishing a preview is SIGKILLed while its import is
    about to go live; the import dies with it, the sample stays served, and the same preview
    publishes once the server is back."""
    a = workbook(tmp_path / "A.xlsx", CUSTOMERS_A, INTERACTIONS_A, PRODUCTS)
    note = tmp_path / "paused"
    environ = {
        **warehouse.environ,
        "API_KEY_HASHES": keys_entry(),
        "API_PREVIEW_DIR": str(tmp_path / "previews"),
    }
    one = "/api/v1/interactions/1"
    paused = {**environ, "INTERACTIONS_PAUSE_AT": "go live", "INTERACTIONS_PAUSE_NOTE": str(note)}
    server = ApiServer(paused, tmp_path / "api.log")
    try:
        preview_id = post_workbook(server.url, a, ADMIN_KEY)["data"]["preview_id"]
        publish_url = f"{server.url}/api/v1/imports/{preview_id}/publish"
        publishing = threading.Thread(
            target=post_expecting_no_answer, args=(publish_url, ADMIN_KEY), daemon=True
        )
        publishing.start()
        wait_for(lambda: note.exists() and "paused at go live" in note.read_text(), server)
        workers = server.worker_pids()
        [importer] = children_running(workers, "interactions.cli", "--expect-live")
        worker = parent_of(importer)
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while alive(importer):
            assert time.monotonic() < deadline, "the import outlived its worker"
            time.sleep(0.1)
        publishing.join(timeout=10)
        assert get(server.url + one) == SAMPLE_ONE.split(b" ", 2)[2]
        # Granian replaces the killed worker; a stop while the new one is still starting
        # would leave it behind (Granian 2.8.9 does not stop a worker it is spawning).
        wait_for(lambda: server.log().count("Started worker-") >= 3, server)
    finally:
        server.stop()
    assert [v["version"] for v in warehouse.history()] == [1]

    server = ApiServer(environ, tmp_path / "api.log")
    try:
        assert post(publish_url.replace(publish_url.split("/api/")[0], server.url), ADMIN_KEY) == (
            200,
            {"data": {"version": 2}},
        )
        assert get(server.url + one) == A_ONE.split(b" ", 2)[2]
    finally:
        server.stop()
    assert warehouse.leftovers() == []


@pytest.mark.parametrize("warehouse", ["duckdb"], indirect=True)
def test_a_cancelled_preview_is_gone_on_the_server(warehouse, api, tmp_path):  # noqa: F811
    """DELETE /api/v1/imports/{id} (the page's Cancel): the preview can no longer be
    published nor its fix-it workbook read; a read key may not cancel; nothing served
    changes."""
    a = workbook(tmp_path / "A.xlsx", CUSTOMERS_A, INTERACTIONS_A, PRODUCTS)
    preview_id = upload(api, a).get_json()["data"]["preview_id"]
    url = f"/api/v1/imports/{preview_id}"
    assert error_of(api.delete(url, headers=READ)) == (
        403,
        "this needs an admin API key; the key sent may only read",
    )
    assert api.get(f"{url}/quarantine.xlsx", headers=ADMIN).status_code == 200
    cancelled = api.delete(url, headers=ADMIN)
    assert (cancelled.status_code, cancelled.get_json()) == (
        200,
        {"data": {"preview_id": preview_id}},
    )
    gone = (
        404,
        f"no preview {preview_id}: it is unknown, published already or expired (after an "
        "hour); upload the workbook again",
    )
    assert error_of(api.post(f"{url}/publish", headers=ADMIN)) == gone
    assert error_of(api.get(f"{url}/quarantine.xlsx", headers=ADMIN)) == gone
    assert error_of(api.delete(url, headers=ADMIN)) == gone
    assert list((tmp_path / "previews").iterdir()) == []
    assert customer_one(warehouse) == SAMPLE_ONE
    assert [v["version"] for v in warehouse.history()] == [1]


@pytest.mark.parametrize("warehouse", ["duckdb"], indirect=True)
def test_a_preview_that_would_not_go_live_is_a_200_saying_why(warehouse, api, tmp_path):  # noqa: F811
    """A workbook that fails a dbt test, or that the shrink guard refuses: 200 with
    "would_go_live": false, no preview to publish, the importer's message; nothing kept."""
    two_products = workbook(
        tmp_path / "two-products.xlsx",
        CUSTOMERS_A,
        INTERACTIONS_A,
        [["10-2019", "Sand"], ["10-2019", "Orange"]],
    )
    answer = upload(api, two_products)
    assert answer.status_code == 200, answer.data
    data = answer.get_json()["data"]
    assert (data["preview_id"], data["would_go_live"]) == (None, False)
    assert data["message"].startswith(
        "dbt build failed (exit 1); the live data is unchanged\n"
        "  Failure in test one_product_per_month"
    ), data["message"]
    shrunk = workbook(tmp_path / "shrunk.xlsx", CUSTOMERS_A[:1], INTERACTIONS_A[:1], PRODUCTS)
    answer = upload(api, shrunk)
    assert answer.status_code == 200, answer.data
    data = answer.get_json()["data"]
    assert (data["preview_id"], data["would_go_live"]) == (None, False)
    assert data["message"] == (
        "this export would drop more than IMPORT_MAX_SHRINK=0.2 of the live data: interactions "
        "counted: 1 in this export against 4 in the live version 1 (75% fewer); customers: 2 in "
        "this export against 6 in the live version 1 (67% fewer). Is it a partial export? "
        "Import it with --allow-shrink if it is meant to replace everything"
    )
    assert list((tmp_path / "previews").iterdir()) == []
    assert customer_one(warehouse) == SAMPLE_ONE
    assert [v["version"] for v in warehouse.history()] == [1]


@pytest.mark.stress  # a stop under way: make test-fast leaves it out
@pytest.mark.parametrize("warehouse", ["duckdb"], indirect=True)
def test_one_worker_answers_while_it_publishes_and_a_stop_lets_the_publish_finish(
    warehouse,  # noqa: F811
    tmp_path,
):
    """Served by Granian with one worker: while a publish runs on one of its threads (held at
    "go live"), the others answer reads at once; SIGTERM then stops the server only after
    the publish has answered, and version 2 is live."""
    a = workbook(tmp_path / "A.xlsx", CUSTOMERS_A, INTERACTIONS_A, PRODUCTS)
    note, until = tmp_path / "paused", tmp_path / "go-on"
    environ = {
        **warehouse.environ,
        "API_KEY_HASHES": keys_entry(),
        "API_PREVIEW_DIR": str(tmp_path / "previews"),
        "INTERACTIONS_PAUSE_AT": "go live",
        "INTERACTIONS_PAUSE_NOTE": str(note),
        "INTERACTIONS_PAUSE_UNTIL": str(until),
    }
    server = ApiServer(environ, tmp_path / "api.log", workers=1)
    try:
        preview_id = post_workbook(server.url, a, ADMIN_KEY)["data"]["preview_id"]
        published = {}
        publishing = threading.Thread(
            target=lambda: published.update(
                answer=post(f"{server.url}/api/v1/imports/{preview_id}/publish", ADMIN_KEY)
            ),
            daemon=True,
        )
        publishing.start()
        wait_for(lambda: note.exists() and "paused at go live" in note.read_text(), server)
        started = time.monotonic()
        assert get(server.url + "/api/v1/interactions/1") == SAMPLE_ONE.split(b" ", 2)[2]
        assert time.monotonic() - started < 2
        server.process.send_signal(signal.SIGTERM)
        time.sleep(1)
        assert server.process.poll() is None  # waiting for the publish in flight
        until.touch()
        publishing.join(timeout=60)
        assert published["answer"] == (200, {"data": {"version": 2}})
        assert server.process.wait(timeout=30) == 0
    finally:
        server.stop()
    assert [(v["version"], v["is_live"]) for v in warehouse.history()] == [(2, True), (1, False)]
