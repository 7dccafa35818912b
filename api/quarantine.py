"""The fix-it workbook: every row the live version quarantined, as an Excel file the business
can fix its own export with (GET /api/v1/quarantine.xlsx).

Its sheets and columns: core/fixit.py (an upload's preview has one too:
api/imports.py).
"""

from flask import Blueprint

from api import exports, queries
from api.data_version import answered_version, fetch_answer
from api.endpoints import UNAVAILABLE, Answer, endpoint, error
from api.errors import ApiError
from api.params import LiveVersionParams
from api.warehouse import get_reader
from core import fixit

bp = Blueprint("quarantine", __name__, url_prefix="/api/v1")


@endpoint(
    bp,
    "/quarantine.xlsx",
    params=LiveVersionParams,
    operation_id="getQuarantineWorkbook",
    summary="The quarantined rows as a workbook to fix",
    description="An Excel workbook with one sheet per workbook sheet (Customers, External "
    "interactions, Products of discussion), each listing the live version's quarantined rows "
    "of that sheet: the row's number in the sheet, the reason, and its cells as landed under "
    "the sheet's headers. ?version=N names the live version (a check); another is a 404.",
    responses={
        200: Answer("The workbook (an attachment).", None, media_type=exports.XLSX),
        400: error(
            "A version that is not a whole number from 1.",
            "version must be a positive whole number, not 'x'",
            400,
        ),
        404: error(
            "The version asked for is not the live one.",
            "version 1 is not the live version (2): the marts hold the live version's "
            "quarantined rows only",
            404,
        ),
        503: UNAVAILABLE,
    },
)
def quarantine_workbook(params):
    rows = fetch_answer(get_reader(), queries.QUARANTINED_ROWS)
    live = answered_version()
    if params.version is not None and params.version != live:
        raise ApiError(
            404,
            f"version {params.version} is not the live version ({live}): the marts hold the "
            "live version's quarantined rows only",
        )
    workbook = fixit.workbook(
        (
            row["sheet_name"],
            row["sheet_row_number"],
            row["quarantine_reason"],
            row["cell_1"],
            row["cell_2"],
            row["cell_3"],
        )
        for row in rows
    )
    name = f"quarantine-v{live}.xlsx" if live is not None else "quarantine.xlsx"
    return exports.attachment(workbook, exports.XLSX, name)
