"""The kept versions of the data, newest first, a page at a time (keyset pagination on the
version number, descending): marts.data_versions, which every build writes."""

from flask import Blueprint, url_for

from api import params, queries
from api.data_version import fetch_answer
from api.timestamps import iso_utc
from api.warehouse import get_reader

bp = Blueprint("versions", __name__, url_prefix="/api/v1/versions")


@bp.get("")
def list_versions():
    limit = params.limit()
    before = params.cursor() or None  # the last version seen: the next page is below it
    rows = fetch_answer(
        get_reader(), queries.DATA_VERSIONS_PAGE, before_version=before, row_limit=limit + 1
    )
    versions = [
        {
            "version": row["version"],
            "imported_at": iso_utc(row["imported_at"]),
            "file": row["file_name"],
            "sha256": row["file_sha256"],
            "interactions_counted": row["interactions_counted"],
            "rows_quarantined": row["rows_quarantined"],
            "is_live": row["is_live"],
        }
        for row in rows[:limit]
    ]
    next_cursor = str(versions[-1]["version"]) if len(rows) > limit else None
    next_url = (
        url_for("versions.list_versions", limit=limit, cursor=next_cursor) if next_cursor else None
    )
    return {
        "data": versions,
        "page": {"limit": limit, "next_cursor": next_cursor, "next": next_url},
    }
