"""The kept versions of the data, newest first, a page at a time (keyset pagination on the
version number, descending): marts.data_versions, which every build writes."""

from flask import Blueprint, url_for

from api import commands, exports, queries, schemas
from api.data_version import fetch_answer
from api.endpoints import UNAVAILABLE, Answer, endpoint, error
from api.errors import ApiError
from api.params import DEFAULT_LIMIT, MAX_LIMIT, VersionPageParams, VersionParams
from api.timestamps import iso_utc
from api.warehouse import get_reader

bp = Blueprint("versions", __name__, url_prefix="/api/v1/versions")


@endpoint(
    bp,
    "",
    params=VersionPageParams,
    operation_id="listVersions",
    table=lambda body: exports.records(body["data"]),
    summary="The kept versions of the data, newest first",
    description="Every kept version (each import, and the sample seeds' first build), newest "
    "first, with the file it came from and the figures it was built with; is_live marks the "
    f"version the answers come from (their X-Data-Version). limit is 1 to {MAX_LIMIT} "
    f"(default {DEFAULT_LIMIT}): a larger limit is a 400, not clamped. Follow page.next (or "
    "pass page.next_cursor as cursor) for the next page: the versions below it.",
    responses={
        200: Answer(
            "A page of versions.",
            schemas.VersionPage,
            {
                "data": [
                    {
                        "version": 1,
                        "imported_at": "2025-01-31T08:59:52Z",
                        "file": "seeds/",
                        "sha256": "a45975915327ff52399e1c031b435750"
                        "d954fb26d0d94d90807e7e0f0ce84420",
                        "interactions_counted": 4,
                        "rows_quarantined": 0,
                        "is_live": True,
                    }
                ],
                "page": {"limit": 50, "next_cursor": None, "next": None},
            },
        ),
        400: error(
            "A bad limit or cursor.",
            f"limit must be a whole number from 1 to {MAX_LIMIT}, not '501'",
            400,
        ),
        503: UNAVAILABLE,
    },
)
def list_versions(params):
    limit = params.limit
    rows = fetch_answer(  # the last version seen (cursor): the next page is below it
        get_reader(), queries.DATA_VERSIONS_PAGE, before_version=params.cursor, row_limit=limit + 1
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


@endpoint(
    bp,
    "/<version>/rollback",
    params=VersionParams,
    method="POST",
    admin=True,
    operation_id="rollbackVersion",
    summary="Make a kept version live again",
    description="Builds kept version N from its kept seeds and makes it live atomically "
    "(`interactions rollback N`); nothing is deleted and no new version is made. Needs an "
    "admin key.",
    responses={
        200: Answer("The version now live.", schemas.LiveVersionAnswer, {"data": {"version": 1}}),
        400: error(
            "A version that is not a whole number from 1.",
            "version must be a positive whole number, not 'x'",
            400,
        ),
        404: error(
            "The version is not kept.",
            "version 9 is not kept (kept: 1, 2, 3); nothing changed",
            404,
        ),
    },
)
def rollback_version(params):
    outcome = commands.run("rollback", str(params.version))
    answer = outcome.answer
    if answer is None:
        raise RuntimeError(f"interactions rollback failed: {outcome.stderr[-500:]}")
    if answer["version"] is None:
        raise ApiError(404, answer["message"])
    return {"data": {"version": answer["version"]}}
