"""With API keys off, the server answers only requests addressed to this machine.

A page of another site can make a browser send requests to 127.0.0.1 under that site's own
name (DNS rebinding: the name resolves to 127.0.0.1 a moment later), and read the answers, so
a local server without keys (`make run`'s default) would give its data to any page its user
opens. While API keys are off, a request whose Host is not a name or address of this machine
(localhost, *.localhost, 127.0.0.0/8, ::1; any port) is a 421 JSON error naming the Host. With
keys on (they guard /api/), or with API_ALLOW_ANONYMOUS=true (an open API on the network is
meant, `interactions serve` binds beyond loopback only then), every Host is answered.
"""

import os

from flask import request

from api.auth import EXTENSION as KEYS
from api.errors import ApiError
from core.api_keys import ANONYMOUS_VARIABLE, anonymous_allowed
from core.serving import is_loopback

# app.extensions[EXTENSION]: True when only this machine's names are answered.
EXTENSION = "interactions_loopback_only"


def register(app):
    """After auth.register (which reads API_KEY_HASHES)."""
    setting = app.config.get(ANONYMOUS_VARIABLE, os.environ.get(ANONYMOUS_VARIABLE))
    loopback_only = app.extensions.get(KEYS) is None and not anonymous_allowed(setting)
    app.extensions[EXTENSION] = loopback_only
    if loopback_only:
        app.before_request(_require_loopback_host)


def host_name(host: str) -> str:
    """A Host header without its port: [::1]:5000 -> [::1], localhost:5000 -> localhost."""
    if host.startswith("[") and "]" in host:
        return host.partition("]")[0] + "]"
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def allowed(host: str) -> bool:
    """Whether a Host header names this machine."""
    return is_loopback(host_name(host.strip()))


def _require_loopback_host():
    host = request.headers.get("Host", "")
    if not allowed(host):
        shown = host[:100].encode("unicode_escape").decode("ascii")
        raise ApiError(
            421,
            f"this server answers requests to this machine only (localhost, 127.0.0.1) while "
            f"API keys are off, not to Host {shown!r}: open it as http://localhost:<port>/, or "
            f"set API_KEY_HASHES",
        )
