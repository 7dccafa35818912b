"""What the last build landed, counted and quarantined; and the legacy row-count endpoint."""

from flask import Blueprint

from api import exports, queries, schemas
from api.data_version import fetch_answer, kept_per_build
from api.endpoints import UNAVAILABLE, Answer, endpoint
from api.params import NUL, FormatParams, SheetParams
from api.timestamps import iso_utc
from api.warehouse import MartsMissing, get_reader

bp = Blueprint("data_quality", __name__, url_prefix="/api/v1")

LEGACY_NOT_FOUND = {"message": "Table name not found"}


@endpoint(
    bp,
    "/data-quality",
    params=FormatParams,
    operation_id="getDataQuality",
    # The table of sheets (the reasons are in quarantine_summary's answer, the JSON).
    table=lambda body: exports.records(body["data"]["sheets"]),
    summary="What the last build landed, counted and quarantined",
    description="Per sheet rows landed, counted and quarantined; quarantined rows per reason; "
    "interactions without a topic and customers missing from the Customers sheet.",
    responses={
        200: Answer(
            "The figures of the last successful build.",
            schemas.DataQuality,
            {
                "data": {
                    "built_at": "2025-01-31T09:00:00Z",
                    "sheets": [
                        {
                            "sheet": sheet,
                            "rows_landed": rows,
                            "rows_counted": rows,
                            "rows_quarantined": 0,
                        }
                        for sheet, rows in (("customers", 5), ("interactions", 4), ("products", 3))
                    ],
                    "rows_quarantined_by_reason": {},
                    "interactions_without_topic": 4,
                    "customers_not_in_sheet": 1,
                }
            },
        ),
        503: UNAVAILABLE,
    },
)
@kept_per_build()
def data_quality(params):
    rows = fetch_answer(get_reader(), queries.DATA_QUALITY)
    builds = [row for row in rows if row["kind"] == "build"]
    if not builds:
        raise MartsMissing("marts.build_info has no row")
    sheets = [
        {
            "sheet": row["name"],
            "rows_landed": row["rows_landed"],
            "rows_counted": row["rows_counted"],
            "rows_quarantined": row["rows_quarantined"],
        }
        for row in rows
        if row["kind"] == "sheet"
    ]
    reasons = {}  # every sheet's rows with the reason (quarantine_summary is per sheet)
    for row in rows:
        if row["kind"] == "reason":
            reasons[row["name"]] = reasons.get(row["name"], 0) + row["rows_quarantined"]
    build = builds[0]
    return {
        "data": {
            "built_at": iso_utc(build["built_at"]),
            "sheets": sheets,
            "rows_quarantined_by_reason": reasons,
            "interactions_without_topic": build["interactions_without_topic"],
            "customers_not_in_sheet": build["customers_not_in_sheet"],
        }
    }


# Kept for the callers of the old API: its exact bodies, not the {"error": ...} shape.
@endpoint(
    bp,
    "/stats/<table_name>",
    params=SheetParams,
    operation_id="getLegacyStats",
    summary="Legacy: rows landed from one sheet",
    description="Kept for the callers of the old API, with its exact bodies: the rows landed "
    "from the customers, interactions or products sheet.",
    responses={
        200: Answer(
            "The sheet's landed rows.",
            schemas.LegacyRowCount,
            {"message": "Number of Rows", "rows": 5},
        ),
        404: Answer(
            "Any other name (this legacy body, not the Error object).",
            schemas.LegacyNotFound,
            LEGACY_NOT_FOUND,
        ),
        503: UNAVAILABLE,
    },
    tags=("legacy",),
)
def legacy_stats(params):
    table_name = params.table_name
    if NUL in table_name:  # no sheet's name has one; PostgreSQL would refuse it
        return LEGACY_NOT_FOUND, 404
    rows = fetch_answer(get_reader(), queries.SHEET_ROWS_LANDED, sheet_name=table_name)
    if not rows:
        return LEGACY_NOT_FOUND, 404
    return {"message": "Number of Rows", "rows": rows[0]["rows_landed"]}
