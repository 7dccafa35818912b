"""API keys: when API_KEY_HASHES is set, every /api/ route needs a key.

API_KEY_HASHES holds the SHA-256 hex digests of the valid keys, comma-separated (make one
with `interactions apikey new`); the keys themselves are stored nowhere on the server. A
request sends its key as `Authorization: Bearer <key>` or `X-API-Key: <key>`; its digest is
compared with every configured digest by hmac.compare_digest (constant time, and all of them,
so the time taken says nothing of which digest matched). A missing or wrong key is a 401 JSON
error with a WWW-Authenticate header. /health, /ready and the website stay open (the page asks
for a key and sends it to the API). Keys and headers are never logged.

Without API_KEY_HASHES the API is open, for local development, and says so at start-up.
"""

import hashlib
import hmac
import logging
import os
import re

from flask import current_app, request

from api.errors import error_response

log = logging.getLogger(__name__)

VARIABLE = "API_KEY_HASHES"
EXTENSION = "api_key_hashes"
PROTECTED_PREFIX = "/api/"
REALM = "interactions"
_DIGEST = re.compile(r"[0-9a-f]{64}")

MISSING_KEY = (
    "an API key is required: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
)
WRONG_KEY = "the API key is not valid"


def digest(key: str) -> str:
    """The SHA-256 hex digest of a key, as API_KEY_HASHES lists it."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse_hashes(text: str | None) -> tuple[str, ...] | None:
    """The digests of API_KEY_HASHES; None when the variable is not set (the API is open).

    A value that is set but is not a comma-separated list of SHA-256 hex digests is a
    ValueError naming the variable: a typo must not open the API, nor lock everyone out
    silently."""
    if text is None:
        return None
    items = [item.strip().lower() for item in text.split(",")]
    digests = tuple(item for item in items if item)
    if not digests:
        raise ValueError(
            f"{VARIABLE} is set but empty: give the SHA-256 digests of the valid keys "
            "(interactions apikey new), comma-separated, or unset it to leave the API open"
        )
    for position, item in enumerate(digests, start=1):
        if not _DIGEST.fullmatch(item):
            raise ValueError(
                f"{VARIABLE}: item {position} is not a SHA-256 hex digest (64 characters "
                f"0-9 a-f, as `interactions apikey new` prints); it has {len(item)} characters"
            )
    return digests


def register(app):
    """Read API_KEY_HASHES (the app's config over the environment) and guard /api/."""
    text = app.config.get(VARIABLE, os.environ.get(VARIABLE))
    hashes = parse_hashes(text)
    app.extensions[EXTENSION] = hashes
    if hashes is None:
        log.warning(
            "API keys are off: %s is not set, so every /api/ route is open to anyone who can "
            "reach this server (local development only)",
            VARIABLE,
        )
    else:
        log.info("API keys are on: /api/ routes need one of %d keys", len(hashes))
    app.before_request(_require_key)


def _given_keys() -> list[str]:
    keys = []
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        keys.append(credentials.strip())
    api_key = request.headers.get("X-API-Key", "").strip()
    if api_key:
        keys.append(api_key)
    return keys


def is_valid(key: str, hashes: tuple[str, ...]) -> bool:
    """Whether `key`'s digest is one of `hashes`: every digest is compared, in constant time."""
    given = digest(key).encode("ascii")
    matched = False
    for expected in hashes:
        matched |= hmac.compare_digest(given, expected.encode("ascii"))
    return matched


def _require_key():
    hashes = current_app.extensions.get(EXTENSION)
    if hashes is None or not request.path.startswith(PROTECTED_PREFIX):
        return None
    keys = _given_keys()
    if not keys:
        return _unauthorized(MISSING_KEY, f'Bearer realm="{REALM}"')
    if any(is_valid(key, hashes) for key in keys):
        return None
    return _unauthorized(WRONG_KEY, f'Bearer realm="{REALM}", error="invalid_token"')


def _unauthorized(message: str, challenge: str):
    return error_response(401, message, [("WWW-Authenticate", challenge)])
