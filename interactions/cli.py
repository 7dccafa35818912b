"""`interactions`: the command-line tool that scripts use (the Makefile calls it too).

interactions build     rebuild the live version's marts with dbt and make them live atomically
interactions serve     serve the API and website with Granian (PORT, default 5000)
interactions import WORKBOOK.xlsx  land a new Excel export as a new version, live atomically
interactions import --preview WORKBOOK.xlsx  what the export would change; nothing changes
                         (--json: the report as JSON; --expect-live N: only if N is live;
                         --fixit F.xlsx: its quarantined rows as a workbook to fix)
interactions history   the kept versions, newest first (--json)
interactions rollback [N]  make kept version N (default: the one before the live) live again
interactions apikey new  print a new random API key and its SHA-256 digest (API_KEY_HASHES);
                         --admin: an admin key, its entry <digest>:admin
"""

import argparse
import ipaddress
import json
import os
import secrets
import sys
from pathlib import Path

from core import serving
from core import settings as settings_module
from core.api_keys import ANONYMOUS_VARIABLE, VARIABLE, anonymous_allowed, digest, parse_keys
from core.exit_codes import EXIT_LIVE_CHANGED
from interactions import release, versions
from interactions.build import BuildError


def _cmd_build(args) -> int:
    settings = settings_module.load()
    published = release.rebuild(settings)
    seconds = published.result.seconds
    if published.version is None:
        print(f"build: the {settings.warehouse} marts are live ({seconds:.1f} s)")
    else:
        print(
            f"build: the {settings.warehouse} marts are live: version {published.version} "
            f"({seconds:.1f} s)"
        )
    return 0


def _cmd_import(args) -> int:
    from interactions import import_json
    from interactions.importer import ANY_LIVE, ImportFailed, LiveChanged, format_summary
    from interactions.release import import_workbook

    settings = settings_module.load()
    try:
        result = import_workbook(
            settings,
            args.workbook,
            echo=args.verbose and not args.json,
            preview=args.preview,
            allow_shrink=args.allow_shrink,
            note=args.note,
            expect_live=ANY_LIVE if args.expect_live is None else args.expect_live,
            fixit=args.fixit,
        )
    except ImportFailed as error:
        if args.json:
            changed = isinstance(error, LiveChanged)
            print(json.dumps(import_json.failure(str(error), live_changed=changed)))
            return EXIT_LIVE_CHANGED if changed else 1
        print(f"interactions import: {error}", file=sys.stderr)
        return 1
    summary = format_summary(result)
    if args.json:
        print(json.dumps(import_json.report(result, summary.splitlines()[0])))
    else:
        print(summary)
    if result.refusal:  # a preview the guard would refuse
        print(f"interactions import: {result.refusal}", file=sys.stderr)
        return 1
    return 0


def _cmd_history(args) -> int:
    settings = settings_module.load()
    store = versions.Store(settings)
    live = versions.live_version(settings)
    if args.json:
        entries = [version.history_entry(live) for version in reversed(store.versions(live))]
        print(json.dumps(entries, indent=2))
    else:
        print(versions.format_history(store, live))
    return 0


def _cmd_rollback(args) -> int:
    settings = settings_module.load()
    try:
        published = release.rollback(settings, args.version)
    except versions.VersionError as error:
        if not args.json:
            raise
        print(json.dumps({"version": None, "message": str(error), "not_kept": True}))
        return 1
    if args.json:
        print(json.dumps({"version": published.version, "previous": published.previous}))
        return 0
    print(
        f"rollback: version {published.version} of the {settings.warehouse} marts is live "
        f"(was {published.previous}; {published.result.seconds:.1f} s); nothing was deleted"
    )
    return 0


def listen_address(environ) -> str:
    """HOST, 127.0.0.1 when unset: a fresh install answers this machine only. Listening
    beyond it without API keys is refused, unless API_ALLOW_ANONYMOUS=true says so."""
    host = environ.get("HOST", "").strip() or "127.0.0.1"
    keys = parse_keys(environ.get(VARIABLE))  # a bad API_KEY_HASHES fails here too
    anonymous = anonymous_allowed(environ.get(ANONYMOUS_VARIABLE))
    if keys is None and not anonymous and not serving.is_loopback(host):
        raise ValueError(
            f"HOST={host} would let other machines reach the API, and API keys are off "
            f"({VARIABLE} is not set): set {VARIABLE} (`interactions apikey new` prints a key "
            "and its digest), or set API_ALLOW_ANONYMOUS=true to serve anyone who can reach "
            "it, or leave HOST unset to listen on 127.0.0.1 only"
        )
    return host


def bind_address(host: str) -> str:
    """The IP address Granian binds for HOST: localhost is 127.0.0.1; an IPv6 address may be
    written in brackets; any other name is refused (Granian binds addresses, not names)."""
    if host.lower() == "localhost":
        return "127.0.0.1"
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        raise ValueError(
            f"HOST={host} is not an IP address: set HOST to the address to listen on "
            "(127.0.0.1, 0.0.0.0, ::1, ...)"
        ) from None


def _cmd_serve(args) -> int:
    warehouse = settings_module.load().warehouse  # fail fast on a bad WAREHOUSE
    if warehouse not in ("duckdb", "postgres"):
        raise ValueError(
            f"the API serves the duckdb or postgres marts, not WAREHOUSE={warehouse} "
            "(a spark_cluster build is served with WAREHOUSE=postgres; docs/SPARK.md)"
        )
    argv = granian_argv(os.environ)
    os.execv(argv[0], argv)  # noqa: S606 - replaces this process with Granian
    return 0  # pragma: no cover


def granian_argv(environ) -> list[str]:
    """The Granian command line of `interactions serve` (core/serving.py): HOST (127.0.0.1
    unless set), PORT (5000; 0: a port the kernel picks), WEB_CONCURRENCY worker processes
    (2), each running the app on WEB_THREADS threads (2)."""
    host = bind_address(listen_address(environ))
    return [
        os.path.join(os.path.dirname(sys.executable), "granian"),
        "--interface",
        "wsgi",
        "--factory",
        "--host",
        host,
        "--port",
        environ.get("PORT", "5000"),
        "--workers",
        environ.get("WEB_CONCURRENCY", str(serving.WORKERS)),
        # A worker's threads share its answer file, warehouse reader and pool. Granian's own
        # default (half the backpressure: 256) is GIL-bound threads by the hundred.
        "--blocking-threads",
        environ.get("WEB_THREADS", str(serving.BLOCKING_THREADS)),
        "--backpressure",
        str(serving.BACKPRESSURE),
        "--runtime-threads",
        "1",
        # HTTP/1.1 only, as browsers speak it without TLS; no WebSockets.
        "--http",
        "1",
        "--no-ws",
        "--http1-buffer-size",
        str(serving.HTTP1_BUFFER_BYTES),
        "--http1-header-read-timeout",
        str(serving.HEADER_READ_SECONDS * 1000),
        # A worker that dies is replaced; at SIGTERM the requests in flight are answered.
        "--respawn-failed-workers",
        "--workers-kill-timeout",
        str(serving.STOP_SECONDS),
        # The app writes the access log itself, secrets redacted (api/access_log.py).
        "--no-access-log",
        "api:create_app",
    ]


def _cmd_apikey(args) -> int:
    key = secrets.token_urlsafe(32)  # 256 random bits
    entry = f"{digest(key)}:admin" if args.admin else digest(key)
    print(f"key:    {key}")
    print(f"sha256: {entry}")
    kind = "an admin key: it may also change the data" if args.admin else "a read key"
    print(
        f"This is {kind}. Give the key to its caller (it is stored nowhere); add the sha256 "
        "entry to API_KEY_HASHES (comma-separated).",
        file=sys.stderr,
    )
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="interactions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="build the marts (dbt build) and make them live atomically")
    commands.add_parser("serve", help="serve the API and website with Granian on PORT (5000)")
    importing = commands.add_parser(
        "import",
        help="import an Excel workbook (.xlsx/.xlsm): seeds, warehouse and marts go live together",
    )
    importing.add_argument("workbook", help="the business's Excel export (.xlsx or .xlsm)")
    importing.add_argument("--verbose", action="store_true", help="also print dbt's output")
    importing.add_argument(
        "--preview",
        action="store_true",
        help="build and test it, print what it would change, change nothing (exit 1: would fail)",
    )
    importing.add_argument(
        "--allow-shrink",
        action="store_true",
        help="import even when it drops more than IMPORT_MAX_SHRINK (0.2) of the live data",
    )
    importing.add_argument("--note", default="", help="a note kept with the version")
    importing.add_argument(
        "--json",
        action="store_true",
        help="print the report as one JSON object (also when it fails)",
    )
    importing.add_argument(
        "--expect-live",
        type=_live_version,
        metavar="N",
        help="change nothing unless version N is live ('none': nothing is); exit "
        f"{EXIT_LIVE_CHANGED} if another is",
    )
    importing.add_argument(
        "--fixit",
        type=Path,
        metavar="FILE.xlsx",
        help="also write the fix-it workbook (its quarantined rows, their sheet rows, reasons "
        "and cells) to FILE.xlsx once its checks pass",
    )
    history = commands.add_parser("history", help="the kept versions, newest first")
    history.add_argument("--json", action="store_true", help="a JSON list")
    rolling = commands.add_parser(
        "rollback", help="make kept version N live again (default: the one before the live one)"
    )
    rolling.add_argument("version", nargs="?", type=_version_number, help="the version number")
    rolling.add_argument("--json", action="store_true", help="print the outcome as JSON")
    apikey = commands.add_parser("apikey", help="API keys for API_KEY_HASHES")
    new_key = apikey.add_subparsers(dest="apikey_command", required=True).add_parser(
        "new", help="print a new random API key and its SHA-256 digest"
    )
    new_key.add_argument(
        "--admin",
        action="store_true",
        help="an admin key (it may also change the data): its entry is <digest>:admin",
    )
    return root


def _live_version(text: str) -> int | None:
    return None if text == "none" else _version_number(text)


def _version_number(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a version is a whole number from 1, not {text!r}")
    return int(text)


HANDLERS = {
    "build": _cmd_build,
    "serve": _cmd_serve,
    "apikey": _cmd_apikey,
    "import": _cmd_import,
    "history": _cmd_history,
    "rollback": _cmd_rollback,
}


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return HANDLERS[args.command](args)
    except (BuildError, ValueError) as error:
        print(f"interactions {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
