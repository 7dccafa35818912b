"""/health: the process answers. /ready: the warehouse answers and the marts are there, and
which version of the data is live."""

from flask import Blueprint

from api import queries
from api.builds import Build
from api.data_version import answered_from
from api.errors import MARTS_MISSING, error_response
from api.timestamps import iso_utc
from api.warehouse import get_reader

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    return {"status": "ok"}


@bp.get("/ready")
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
