"""/health: the process answers. /ready: the warehouse answers and the marts are there, and
which version of the data is live."""

from flask import Blueprint

from api import queries, schemas
from api.builds import Build
from api.data_version import answered_from
from api.endpoints import UNAVAILABLE, Answer, endpoint
from api.errors import MARTS_MISSING, error_response
from api.timestamps import iso_utc
from api.warehouse import get_reader

bp = Blueprint("health", __name__)


@endpoint(
    bp,
    "/health",
    operation_id="getHealth",
    summary="The process answers",
    description="Always 200 while the process runs; says nothing of the warehouse.",
    responses={200: Answer("Up.", schemas.Health, {"status": "ok"})},
    tags=("operations",),
)
def health():
    return {"status": "ok"}


@endpoint(
    bp,
    "/ready",
    operation_id="getReady",
    summary="The warehouse answers and the marts are there",
    description="200 with the time of the last successful build and the version of the data "
    "it made live; 503 when the warehouse is unreachable or not built.",
    responses={
        200: Answer(
            "Ready.",
            schemas.Ready,
            {
                "status": "ready",
                "warehouse": "duckdb",
                "built_at": "2025-01-31T09:00:00Z",
                "version": 1,
            },
            headers=("X-Data-Version",),
        ),
        503: UNAVAILABLE,
    },
    tags=("operations",),
)
def ready():
    reader = get_reader()
    rows = reader.fetch_all(queries.BUILD_INFO)  # unreachable or no marts: 503 JSON
    if not rows:
        return error_response(503, MARTS_MISSING)
    build = Build.from_row(rows[0])
    answered_from(build)
    return {
        "status": "ready",
        "warehouse": reader.warehouse,
        "built_at": iso_utc(rows[0]["built_at"]),
        "version": rows[0]["data_version"],
    }
