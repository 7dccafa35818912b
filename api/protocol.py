"""What every route answers at the HTTP level, beyond its own GET.

- One spelling per path. Werkzeug answers `//api/v1/channels` as `/api/v1/channels` (it strips
  leading slashes) and redirects `/api//v1/channels` to the merged path, with a Location built
  from the client's Host header. Here a path with an empty segment is a 404 like any unknown
  path: never answered under another spelling, never redirected.
- HEAD is GET without the body: the same status and headers (Flask's own).
- OPTIONS is 204 No Content with `Allow: GET, HEAD, OPTIONS` (`Allow: OPTIONS, POST` on the
  admin routes, api/imports.py; no CORS: the website is served from the API's own origin).
  Any other method is 405 JSON with the same Allow (api/errors.py).
  With API keys on, /api/ routes need the key for HEAD and OPTIONS as for GET.
"""

from flask import request

from api.errors import ApiError


def register(app):
    app.url_map.merge_slashes = False  # rules added from now on: no redirect to merged paths
    app.before_request(_refuse_empty_segments)
    app.after_request(_options_and_allow)


def _refuse_empty_segments():
    path = request.environ.get("PATH_INFO", "")  # request.path has its leading slashes merged
    if "//" in path:
        raise ApiError(404, f"no such endpoint: {path}")


def _options_and_allow(response):
    if request.method == "OPTIONS" and response.status_code == 200:
        response.status_code = 204  # Flask's automatic answer: empty, typed text/html
        del response.headers["Content-Type"]
        del response.headers["Content-Length"]
    allow = response.headers.get("Allow")
    if allow:  # Werkzeug lists a set: one order for every process
        response.headers["Allow"] = ", ".join(sorted(method.strip() for method in allow.split(",")))
    return response
