"""The access log without secrets: gunicorn's logger, with query values whose names look like
secrets (key, api_key, token, password, ...) replaced in the request line, the query and the
Referer, and no user name taken from an Authorization header. Keys sent the right way
(Authorization: Bearer, X-API-Key) are never in the log's format at all.

`interactions serve` runs gunicorn with --logger-class api.access_log.RedactingLogger.
"""

import re

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
# A query parameter whose name contains one of these (any case) holds a secret.
SECRET_NAME = re.compile(r"key|token|secret|passw|pwd|auth|sig|session|credential", re.IGNORECASE)
_PARAMETER = re.compile(r"(?P<name>[^&=;#\s]*)(?P<equals>=)(?P<value>[^&;#\s]*)")


def redact_query(query: str) -> str:
    """`a=1&api_key=abc` -> `a=1&api_key=[redacted]`."""

    def replace(match: re.Match) -> str:
        if SECRET_NAME.search(match["name"]):
            return f"{match['name']}={REDACTED}"
        return match[0]

    return _PARAMETER.sub(replace, query)


def redact_url(url: str) -> str:
    """The query part of a URL or request target redacted; the rest as it is."""
    if not url or "?" not in url:
        return url
    path, _, query = url.partition("?")
    return f"{path}?{redact_query(query)}"


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        method, _, rest = atoms["r"].partition(" ")
        target, _, protocol = rest.rpartition(" ")
        atoms["r"] = f"{method} {redact_url(target)} {protocol}"
        atoms["q"] = redact_query(atoms["q"] or "")
        atoms["f"] = redact_url(atoms["f"])
        atoms["u"] = "-"  # gunicorn reads it from a Basic Authorization header
        for name in list(atoms):
            if name.endswith("}i") and name[1:-2] in ("authorization", "x-api-key", "cookie"):
                atoms[name] = REDACTED
        return atoms
