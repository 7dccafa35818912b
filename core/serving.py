"""How `interactions serve` runs the API on Granian (interactions/cli.py builds its command
line; the OpenAPI document and docs/API.md state the limits to callers)."""

import ipaddress

# Worker processes (WEB_CONCURRENCY) and the app's threads in each (WEB_THREADS), unless set:
# a request that takes long (an upload's preview or publish runs an import) leaves a worker's
# other thread to the rest. Two, measured (docs/PERFORMANCE.md): 1, 2 and 4 threads served
# the cached answer about as fast (wrk -t1 -c8: 6,000, 5,960, 6,340 requests/s), with a p99
# of 6-8, 7-9 and 13-16 ms (the threads contend for the GIL).
WORKERS = 2
BLOCKING_THREADS = 2
# Connections a worker holds at once, idle keep-alive ones included; beyond it the kernel's
# backlog keeps them waiting.
BACKPRESSURE = 128
# Granian's HTTP/1 buffer: a request line and headers of up to this many bytes always reach
# the app, which answers in JSON (eight times nginx's and gunicorn's 8 KB a line, far beyond a
# browser's cookies). Granian (hyper) refuses a request far over it (414 or 431: with this
# buffer from 114,689 bytes, measured), one with more header fields than MAX_HEADER_FIELDS
# (431) or one that is not HTTP/1.1 (400), with an empty body. Its default, 408 KiB, let
# requests of 420 to 520 KB through or not, by how the bytes arrived.
HTTP1_BUFFER_BYTES = 65_536
MAX_HEADER_FIELDS = 100  # Granian's (hyper's) own limit
# Seconds a connection has to send its request line and headers; then Granian closes it. A
# half-sent request never holds a thread (Granian reads in Rust), and this drops it soon.
HEADER_READ_SECONDS = 5
# Seconds a worker has at a stop (SIGTERM) to answer the requests in flight before it is
# killed: the longest an upload's preview or publish (an import) may take.
STOP_SECONDS = 300


def is_loopback(name: str) -> bool:
    """A name or address of this machine only: localhost, *.localhost, 127.0.0.0/8, ::1 (an
    IPv6 address may be in brackets; a trailing dot and case do not count)."""
    name = name.strip().strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
