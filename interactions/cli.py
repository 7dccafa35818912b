"""`interactions`: the command-line tool that scripts use (the Makefile calls it too).

interactions build     rebuild the live version's marts with dbt and make them live atomically
interactions serve     serve the API and website with gunicorn (PORT, default 5000)
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

from core import settings as settings_module
from core.api_keys import VARIABLE, digest, parse_keys
from core.exit_codes import EXIT_LIVE_CHANGED
from interactions import release, versions
from interactions.build import BuildError

# gunicorn's worker timeout under `interactions serve`: the longest an upload's preview or
# publish (an import) may take before the worker, and with it the import, is stopped.
IMPORT_SECONDS = "300"


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
    anonymous = environ.get("API_ALLOW_ANONYMOUS", "").strip().lower() == "true"
    if keys is None and not anonymous and not is_loopback(host):
        raise ValueError(
            f"HOST={host} would let other machines reach the API, and API keys are off "
            f"({VARIABLE} is not set): set {VARIABLE} (`interactions apikey new` prints a key "
            "and its digest), or set API_ALLOW_ANONYMOUS=true to serve anyone who can reach "
            "it, or leave HOST unset to listen on 127.0.0.1 only"
        )
    return host


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost; any other name or address may be reachable."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _cmd_serve(args) -> int:
    warehouse = settings_module.load().warehouse  # fail fast on a bad WAREHOUSE
    if warehouse not in ("duckdb", "postgres"):
        raise ValueError(
            f"the API serves the duckdb or postgres marts, not WAREHOUSE={warehouse} "
            "(a spark_cluster build is served with WAREHOUSE=postgres; docs/SPARK.md)"
        )
    host = listen_address(os.environ)
    port = os.environ.get("PORT", "5000")
    workers = os.environ.get("WEB_CONCURRENCY", "2")
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    argv = [
        gunicorn,
        "--bind",
        f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "--workers",
        workers,
        "--access-logfile",
        "-",
        # Query values named like secrets (?api_key=...) never reach the access log.
        "--logger-class",
        "api.access_log.RedactingLogger",
        # gunicorn 27's control socket is one path per user (~/.gunicorn/gunicorn.ctl): two
        # servers on one machine would share it. Nothing here uses it.
        "--no-control-socket",
        # What gunicorn answers by itself (431, 414, 400, ...) is the API's JSON error too.
        # Sync workers, measured against gthread (docs/ARCHITECTURE.md): a kept-alive
        # connection stays with the worker that accepted it, so one worker could serve all.
        "--worker-class",
        "api.gunicorn_worker.JsonErrorWorker",
        # No request header may set SCRIPT_NAME or PATH_INFO, not even from 127.0.0.1 (a
        # client's `SCRIPT_NAME: /api` would move the path out from under the key check).
        "--forwarder-headers=",
        # A worker answering POST /api/v1/imports waits for the import it runs (a million
        # interactions: about 20 s); gunicorn's default (30 s) would kill it midway.
        "--timeout",
        IMPORT_SECONDS,
        "api:create_app()",
    ]
    os.execv(gunicorn, argv)  # noqa: S606 - replaces this process with gunicorn
    return 0  # pragma: no cover


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
    commands.add_parser("serve", help="serve the API and website with gunicorn on PORT (5000)")
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
