"""Exit codes of the `interactions` commands that callers act on (the API's publish too)."""

# `interactions import --expect-live N` when another version is live: nothing changed.
EXIT_LIVE_CHANGED = 3
