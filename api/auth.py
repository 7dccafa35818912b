"""API keys: when API_KEY_HASHES is set, every /api/ route needs a key.

API_KEY_HASHES holds the SHA-256 hex digests of the valid keys, comma-separated (make one
with `interactions apikey new`); the keys themselves are stored nowhere on the server. An
entry is `<sha256>` (a read key) or `<sha256>:admin` (an admin key, `interactions apikey new
--admin`): admin keys can do everything read keys can, and the routes that change data need
one (require_admin: 401 without a valid key, 403 with a read key or with API keys off). A
request sends its key as `Authorization: Bearer <key>` or `X-API-Key: <key>`; its digest is
compared with every configured digest by hmac.compare_digest (constant time, and all of them,
so the time taken says nothing of which digest matched). A missing or wrong key is a 401 JSON
error with a WWW-Authenticate header. /health, /ready and the website stay open (the page asks
for a key and sends it to the API). Keys and headers are never logged.

Without API_KEY_HASHES the API is open, for local development, and says so at start-up.
"""

import hmac
import logging
import os

from flask import current_app, request

from api.errors import ApiError, error_response
from core.api_keys import ADMIN, VARIABLE, KeyEntry, digest, parse_keys

log = logging.getLogger(__name__)

EXTENSION = "api_key_hashes"
PROTECTED_PREFIX = "/api/"
REALM = "interactions"
# Where a request's key scope is noted ("read" or "admin"; absent with API keys off).
SCOPE_KEY = "interactions.api_key_scope"

MISSING_KEY = (
    "an API key is required: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
)
WRONG_KEY = "the API key is not valid"
NEEDS_ADMIN_KEY = "this needs an admin API key; the key sent may only read"
KEYS_OFF_FOR_ADMIN = (
    f"this needs an admin API key, and API keys are off: set {VARIABLE} with an admin entry "
    "(`interactions apikey new --admin` prints a key and its entry)"
)


def register(app):
    """Read API_KEY_HASHES (the app's config over the environment) and guard /api/."""
    text = app.config.get(VARIABLE, os.environ.get(VARIABLE))
    hashes = parse_keys(text)
    app.extensions[EXTENSION] = hashes
    if hashes is None:
        log.warning(
            "API keys are off: %s is not set, so every /api/ route is open to anyone who can "
            "reach this server (local development only)",
            VARIABLE,
        )
    else:
        admins = sum(entry.admin for entry in hashes)
        log.info(
            "API keys are on: /api/ routes need one of %d keys (%d of them admin keys)",
            len(hashes),
            admins,
        )
    app.before_request(_require_key)


def given_keys(authorization: str, api_key: str) -> list[str]:
    """The keys a request sends: its Authorization (Bearer) and X-API-Key headers' values."""
    keys = []
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        keys.append(credentials.strip())
    api_key = api_key.strip()
    if api_key:
        keys.append(api_key)
    return keys


def scope_of(keys: list[str], entries: tuple[KeyEntry, ...]) -> str | None:
    """ "admin" or "read" when a key sent is valid (an admin one wins), else None."""
    matches = [entry for entry in (matching_entry(key, entries) for key in keys) if entry]
    if not matches:
        return None
    return ADMIN if any(entry.admin for entry in matches) else "read"


def matching_entry(key: str, entries: tuple[KeyEntry, ...]) -> KeyEntry | None:
    """The entry `key`'s digest matches (an admin one first), or None: every digest is
    compared, in constant time, whatever matched."""
    given = digest(key).encode("ascii")
    found = None
    for entry in entries:
        if hmac.compare_digest(given, entry.digest.encode("ascii")):
            found = entry if found is None or entry.admin else found
    return found


def _require_key():
    hashes = current_app.extensions.get(EXTENSION)
    if hashes is None or not request.path.startswith(PROTECTED_PREFIX):
        return None
    headers = request.headers
    keys = given_keys(headers.get("Authorization", ""), headers.get("X-API-Key", ""))
    if not keys:
        return _unauthorized(MISSING_KEY, f'Bearer realm="{REALM}"')
    scope = scope_of(keys, hashes)
    if scope is not None:
        request.environ[SCOPE_KEY] = scope
        return None
    return _unauthorized(WRONG_KEY, f'Bearer realm="{REALM}", error="invalid_token"')


def require_admin() -> None:
    """For a route that changes data: raise the 403 ApiError unless the request's key is an
    admin key (with API keys on, a request without a valid key never gets here: 401)."""
    if current_app.extensions.get(EXTENSION) is None:
        raise ApiError(403, KEYS_OFF_FOR_ADMIN)
    if request.environ.get(SCOPE_KEY) != ADMIN:
        raise ApiError(403, NEEDS_ADMIN_KEY)


def _unauthorized(message: str, challenge: str):
    return error_response(401, message, [("WWW-Authenticate", challenge)])
