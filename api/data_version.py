"""Which version of the data an answer gives: the X-Data-Version header, the ETag, and 304.

An answer read from the data notes the build it was read from (answered_from, or
fetch_answer for a warehouse query); the after-request hook then adds:

- X-Data-Version: N, the data version that build made live (build_info.data_version), to
  every answer read from the data: the 200s of /api/ (not openapi.json), the 404s that say a
  customer or topic does not exist, and /ready. Answers decided without reading the data (a
  bad parameter, 401, an unknown route, 503) carry none.
- ETag: "v<version>-<built_at in epoch microseconds>" and Cache-Control: no-cache to the 200s
  of /api/; a rebuild of the same version changes it. A request whose If-None-Match matches
  it gets 304 with no body (with ETag and X-Data-Version). The API-key check comes first, so a
  request without a valid key is a 401 whatever it sends.

The build is never newer than the data in the body:

- the worker's in-memory copy (api/cache.py) and the DuckDB reader's rows (the open file's
  build_info, warehouse.Rows) know the exact build of their data, at no cost per request;
- on PostgreSQL the build is read before the answer's own query (AnswerCache.
  build_before_query: once per build and worker, invalidated by the build's NOTIFY; before
  every answer while the worker's listener is not connected), so a build that goes live
  between the two can only make the ETag older than the body: the client then gets the body
  again on its next request, never a 304 for data it does not have. A build that sends no
  notification (a plain `dbt build`) is noticed within cache.RECHECK_SECONDS, during which
  answers name the previous build (older than their body, as above).
"""

import functools

from flask import current_app, request
from werkzeug.http import parse_etags

from api import exports
from api.builds import Build
from api.cache import Kept, get_cache

API_PREFIX = "/api/"
# Where a request's build is noted: its WSGI environ, which is the request's own (flask.g may
# be shared by requests made inside one app context).
BUILD_KEY = "interactions.data_build"


def answered_from(build: Build | None) -> None:
    """Note the build this request's answer is read from."""
    request.environ[BUILD_KEY] = build


def answered_version() -> int | None:
    """The data version of the build this request's answer is read from (None: not read)."""
    build = request.environ.get(BUILD_KEY)
    return build.version if build is not None else None


def fetch_answer(reader, query: str, /, **params) -> list[dict]:
    """The rows of the answer to this request (reader.fetch_all), their build noted."""
    before = get_cache().build_before_query()  # PostgreSQL: before the query, never after
    rows = reader.fetch_all(query, **params)
    request.environ[BUILD_KEY] = getattr(rows, "build", None) or before
    return rows


def kept_per_build(key_of=None):
    """A view decorator for answers that name no customer (the channels, the topics, data
    quality, per customer type): a 200 answer is kept by the worker for the build it was read
    from, under the view and key_of(params) (the parameters it depends on, checked before the
    view by api/endpoints.py), and the next requests for it while that build is live are sent
    the kept body without a warehouse query. A new build, or on PostgreSQL a listener not
    listening, drops or bypasses them (api/cache.py: the same build identity as the answer
    cache). Anything but a 200 (a 404 for an unknown topic, a 503) is never kept."""

    def decorate(view):
        @functools.wraps(view)
        def kept_view(*args, **kwargs):
            key = (view.__name__, key_of(*args) if key_of else None)
            cache = get_cache()
            token, kept = cache.kept_answer(key)
            if kept is None:
                response = current_app.make_response(view(*args, **kwargs))
                if token is None or response.status_code != 200:
                    return response
                kept = Kept(response.get_data(), request.environ.get(BUILD_KEY))
            else:
                answered_from(kept.build)
                response = current_app.response_class(kept.body, mimetype="application/json")
            cache.keep_answer(token, key, kept, _target(args))
            return response

        return kept_view

    return decorate


def _target(args):
    """The request's (path, query string) when the answer is sent for it as it is (not as a
    download: api/endpoints.py), else None."""
    params = args[0] if args else None
    if getattr(params, "format", None) in exports.MEDIA_TYPES:
        return None
    environ = request.environ
    return environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")


def register(app):
    app.after_request(_add_version_headers)


def answer_headers(build: Build) -> list[tuple[str, str]]:
    """The headers of a 200 answer of /api/ read from `build`."""
    return [
        ("X-Data-Version", build.version_text),
        ("ETag", build.etag),
        ("Cache-Control", "no-cache"),  # a client revalidates: never stale
    ]


def _add_version_headers(response):
    environ = request.environ
    build = environ.get(BUILD_KEY)
    if build is None:
        return response
    headers = response.headers
    if response.status_code == 200 and request.path.startswith(API_PREFIX):
        headers.extend(answer_headers(build))
        given = environ.get("HTTP_IF_NONE_MATCH")
        if given and parse_etags(given).contains_weak(build.tag):
            response.status_code = 304  # werkzeug sends no body, nor its Content-* headers
    else:
        headers.add("X-Data-Version", build.version_text)
    return response
