"""Updating the data from the website: upload a workbook, see its preview, publish it.

POST /api/v1/imports runs `interactions import --preview` on the uploaded workbook (a child
process, api/commands.py) and keeps it as a preview (api/previews.py) against the version
live at that moment; POST /api/v1/imports/{preview_id}/publish imports it for real, only if
that version is still live (`--expect-live`, checked under the build lock: 409 otherwise).
Both need an admin key (api/auth.py): 401 without a key, 403 with a read key or keys off.
"""

import os

from flask import Blueprint, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from api import commands, config, exports, schemas
from api.endpoints import Answer, endpoint, error
from api.errors import ApiError
from api.params import PreviewParams
from api.previews import PREVIEW_SECONDS, PreviewStore
from core.exit_codes import EXIT_LIVE_CHANGED

bp = Blueprint("imports", __name__, url_prefix="/api/v1/imports")

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # the workbook's own size
# What a multipart body adds around the workbook (boundaries, part headers, a long file name,
# a small field or two): the body may be this much larger, the workbook never.
MULTIPART_ALLOWANCE = 64 * 1024
FIELD = "workbook"
TOO_LARGE = (
    f"the upload is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB ({MAX_UPLOAD_BYTES} bytes)"
)
# The parts a multipart upload may have: the workbook and a few small fields.
MAX_FORM_PARTS = 16
TOO_MANY_PARTS = (
    f"the upload has more than {MAX_FORM_PARTS} parts: send one workbook in the field '{FIELD}'"
)
NO_WORKBOOK = (
    f"send the workbook as multipart/form-data in the field '{FIELD}' "
    "(curl -F workbook=@export.xlsx)"
)
EXAMPLE_DIFF = {
    "live_version": 1,
    "customers": {
        "live": 5,
        "new": 6,
        "added": 1,
        "removed": 0,
        "changed": 0,
        "added_ids": [7],
        "removed_ids": [],
        "changed_rows": [],
    },
    "interactions": {
        "live": 4,
        "new": 5,
        "added": 1,
        "removed": 0,
        "by_channel": [
            {"channel": "Email", "live": 1, "new": 2},
            {"channel": "Call", "live": 2, "new": 2},
            {"channel": "Bird", "live": 1, "new": 1},
        ],
    },
    "quarantined": [],
    "topics": {"added": [], "removed": []},
}


def _store() -> PreviewStore:
    return PreviewStore(config.load(current_app.config).preview_dir)


@endpoint(
    bp,
    "",
    method="POST",
    admin=True,
    operation_id="previewImport",
    summary="Upload a workbook and preview what it changes",
    description="Runs the import's preview on the uploaded workbook (`interactions import "
    "--preview`): reads it, builds and tests it on a new warehouse, and compares it with the "
    "live version; nothing served changes. A workbook that would go live gets a preview_id "
    f"to publish within {PREVIEW_SECONDS // 60} minutes; a broken one (not a workbook, a "
    "missing sheet, a failing check, the shrink guard) answers would_go_live false with the "
    f"importer's message. At most {MAX_UPLOAD_BYTES} bytes (413 above). Needs an admin key.",
    body={
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        FIELD: {
                            "type": "string",
                            "format": "binary",
                            "description": "The business's Excel export (.xlsx or .xlsm).",
                        }
                    },
                    "required": [FIELD],
                }
            }
        },
    },
    responses={
        200: Answer(
            "The preview.",
            schemas.ImportPreviewAnswer,
            {
                "data": {
                    "preview_id": "0f9c2b4e8a7d4c1b9e3f5a6b7c8d9e0f",
                    "would_go_live": True,
                    "diff": EXAMPLE_DIFF,
                    "quarantined": {"rows": 0, "by_reason": []},
                    "message": "Preview of export.xlsx on the duckdb warehouse: it would go "
                    "live as version 2; nothing changed.",
                }
            },
        ),
        400: error("No workbook in the request.", NO_WORKBOOK, 400),
        413: error(
            f"The upload is too large, or has more than {MAX_FORM_PARTS} parts.", TOO_LARGE, 413
        ),
    },
)
def preview_import():
    request.max_content_length = MAX_UPLOAD_BYTES + MULTIPART_ALLOWANCE
    request.max_form_parts = MAX_FORM_PARTS
    try:
        upload = request.files.get(FIELD)
    except RequestEntityTooLarge:
        length = request.content_length
        small = length is not None and length <= request.max_content_length
        raise ApiError(413, TOO_MANY_PARTS if small else TOO_LARGE) from None
    if upload is None:
        raise ApiError(400, NO_WORKBOOK)
    if _size(upload.stream) > MAX_UPLOAD_BYTES:
        raise ApiError(413, TOO_LARGE)
    store = _store()
    preview_id, path = store.new(upload.filename or "", upload.save)
    try:
        outcome = commands.run(
            "import", "--preview", "--fixit", str(store.fixit(preview_id)), str(path)
        )
        answer = outcome.answer
        if answer is None:
            raise RuntimeError(f"interactions import --preview failed: {outcome.stderr[-500:]}")
        if answer["would_go_live"]:
            store.keep(preview_id, answer["diff"]["live_version"])
    finally:
        if store.under_way(preview_id):  # not kept: nothing to publish, nothing left behind
            store.discard(preview_id)
    if not answer["would_go_live"]:
        preview_id = None
    return {
        "data": {
            "preview_id": preview_id,
            "would_go_live": answer["would_go_live"],
            "diff": answer["diff"],
            "quarantined": answer["quarantined"],
            "message": answer["message"],
        }
    }


def _size(stream) -> int:
    """The bytes of an uploaded file (spooled by Werkzeug), its position left at the start."""
    size = stream.seek(0, os.SEEK_END)
    stream.seek(0)
    return size


UNKNOWN_PREVIEW = (
    "no preview {preview_id}: it is unknown, published already or expired (after an hour); "
    "upload the workbook again"
)
NO_PREVIEW = error(
    "No such preview (unknown, published already, or expired).",
    UNKNOWN_PREVIEW.format(preview_id="0f9c2b4e8a7d4c1b9e3f5a6b7c8d9e0f"),
    404,
)


def _preview(store: PreviewStore, preview_id: str):
    """The preview, or a 404 naming it."""
    preview = store.get(preview_id)
    if preview is None:
        raise ApiError(404, UNKNOWN_PREVIEW.format(preview_id=preview_id))
    return preview


@endpoint(
    bp,
    "/<preview_id>/publish",
    params=PreviewParams,
    method="POST",
    admin=True,
    operation_id="publishImport",
    summary="Make a previewed workbook the live version",
    description="Imports the previewed workbook for real: it becomes a new kept version and "
    "goes live atomically (as `interactions import`). Only while the version live at the "
    "preview is still live: otherwise 409, and nothing changes. Needs an admin key.",
    responses={
        200: Answer("The version now live.", schemas.LiveVersionAnswer, {"data": {"version": 2}}),
        404: NO_PREVIEW,
        409: error(
            "The live version changed since the preview (another import or a rollback).",
            "the live version changed since the preview: it is 3, not 2; nothing changed "
            "(preview the workbook again)",
            409,
        ),
        422: error(
            "The import failed this time (the message says why); nothing changed.",
            "dbt build failed (exit 1); the live data is unchanged",
            422,
        ),
    },
)
def publish_import(params):
    store = _store()
    preview = _preview(store, params.preview_id)
    expected = "none" if preview.live_version is None else str(preview.live_version)
    outcome = commands.run("import", "--expect-live", expected, str(preview.workbook))
    answer = outcome.answer
    if answer is None:
        raise RuntimeError(f"interactions import failed: {outcome.stderr[-500:]}")
    if outcome.returncode == EXIT_LIVE_CHANGED:
        raise ApiError(409, answer["message"])
    if not answer["would_go_live"]:
        raise ApiError(422, answer["message"])
    store.discard(preview.preview_id)
    return {"data": {"version": answer["version"]}}


@endpoint(
    bp,
    "/<preview_id>",
    params=PreviewParams,
    method="DELETE",
    admin=True,
    operation_id="cancelImport",
    summary="Cancel a preview",
    description="Removes a previewed workbook (the page's Cancel): it can no longer be "
    "published, and its fix-it workbook is gone. Nothing served changes. Needs an admin key.",
    responses={
        200: Answer(
            "The preview is gone.",
            schemas.CancelledPreviewAnswer,
            {"data": {"preview_id": "0f9c2b4e8a7d4c1b9e3f5a6b7c8d9e0f"}},
        ),
        404: NO_PREVIEW,
    },
)
def cancel_import(params):
    store = _store()
    _preview(store, params.preview_id)
    store.discard(params.preview_id)
    return {"data": {"preview_id": params.preview_id}}


@endpoint(
    bp,
    "/<preview_id>/quarantine.xlsx",
    params=PreviewParams,
    admin=True,
    operation_id="getPreviewQuarantineWorkbook",
    summary="The rows an uploaded workbook would quarantine, as a workbook to fix",
    description="The fix-it workbook of a preview (POST /api/v1/imports), as GET "
    "/api/v1/quarantine.xlsx is the live version's: one sheet per workbook sheet, each listing "
    "the rows that would be quarantined, with the row's number in the sheet, the reason and "
    "its cells. While the preview can be published (an hour). Needs an admin key.",
    responses={
        200: Answer("The workbook (an attachment).", None, media_type=exports.XLSX),
        404: NO_PREVIEW,
    },
)
def preview_quarantine_workbook(params):
    store = _store()
    _preview(store, params.preview_id)
    try:
        workbook = store.fixit(params.preview_id).read_bytes()
    except FileNotFoundError:  # published or expired between the two reads
        raise ApiError(404, UNKNOWN_PREVIEW.format(preview_id=params.preview_id)) from None
    name = f"quarantine-preview-{params.preview_id[:8]}.xlsx"
    return exports.attachment(workbook, exports.XLSX, name)
