"""PostgreSQL: the channel `interactions build` notifies in the transaction that swaps the new
marts in (interactions/build.py); each API worker listens on it (api/cache.py)."""

NOTIFY_CHANNEL = "interactions_build"
