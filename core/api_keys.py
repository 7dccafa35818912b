"""API keys as API_KEY_HASHES lists them: one key's digest, and the variable's entries.

The API checks requests against them (api/auth.py); `interactions apikey new` prints a key and
its digest, and `interactions serve` refuses to listen beyond loopback without them."""

import hashlib
import re
from dataclasses import dataclass

VARIABLE = "API_KEY_HASHES"
ADMIN = "admin"
# API_ALLOW_ANONYMOUS=true: an API without keys, open beyond this machine, is meant.
ANONYMOUS_VARIABLE = "API_ALLOW_ANONYMOUS"
_DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class KeyEntry:
    """One API_KEY_HASHES entry: the key's digest, and whether it is an admin key."""

    digest: str
    admin: bool = False


def digest(key: str) -> str:
    """The SHA-256 hex digest of a key, as API_KEY_HASHES lists it."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse_keys(text: str | None) -> tuple[KeyEntry, ...] | None:
    """The entries of API_KEY_HASHES; None when the variable is not set (the API is open).

    A value that is set but is not a comma-separated list of SHA-256 hex digests, each with
    `:admin` or nothing after it, is a ValueError naming the variable: a typo must not open
    the API, nor lock everyone out silently."""
    if text is None:
        return None
    items = [item.strip().lower() for item in text.split(",")]
    items = [item for item in items if item]
    if not items:
        raise ValueError(
            f"{VARIABLE} is set but empty: give the SHA-256 digests of the valid keys "
            "(interactions apikey new), comma-separated, or unset it to leave the API open"
        )
    entries = []
    for position, item in enumerate(items, start=1):
        digest_text, colon, scope = item.partition(":")
        digest_text = digest_text.strip()
        if not _DIGEST.fullmatch(digest_text):
            raise ValueError(
                f"{VARIABLE}: item {position} is not a SHA-256 hex digest (64 characters "
                f"0-9 a-f, as `interactions apikey new` prints); it has {len(digest_text)} "
                "characters"
            )
        if colon and scope.strip() != ADMIN:
            raise ValueError(
                f"{VARIABLE}: item {position} ends in an unknown scope {scope.strip()[:20]!r}: "
                f"an entry is <sha256> (a read key) or <sha256>:{ADMIN}"
            )
        entries.append(KeyEntry(digest_text, admin=bool(colon)))
    return tuple(entries)


def anonymous_allowed(value: str | None) -> bool:
    """Whether API_ALLOW_ANONYMOUS (`value`) says "true" (any case): only that counts."""
    return (value or "").strip().lower() == "true"
