"""`interactions`: the command-line tool that scripts use (the Makefile calls it too).

interactions build     build the marts with dbt and make them live atomically
interactions serve     serve the API and website with gunicorn (PORT, default 5000)
interactions import WORKBOOK.xlsx  land a new Excel export and make it live atomically
interactions apikey new  print a new random API key and its SHA-256 digest (API_KEY_HASHES)
"""

import argparse
import os
import secrets
import sys

from interactions import settings as settings_module
from interactions.build import BuildError, build


def _cmd_build(args) -> int:
    settings = settings_module.load()
    result = build(settings)
    print(f"build: the {settings.warehouse} marts are live ({result.seconds:.1f} s)")
    return 0


def _cmd_import(args) -> int:
    from interactions.importer import ImportFailed, format_summary, import_workbook

    settings = settings_module.load()
    try:
        result = import_workbook(settings, args.workbook, echo=args.verbose)
    except ImportFailed as error:
        print(f"interactions import: {error}", file=sys.stderr)
        return 1
    print(format_summary(result))
    return 0


def _cmd_serve(args) -> int:
    if settings_module.load().warehouse == "spark":  # fail fast on a bad WAREHOUSE
        raise ValueError(
            "the API serves the duckdb or postgres marts, not WAREHOUSE=spark "
            "(README: Running on Spark / Databricks)"
        )
    from api.auth import VARIABLE, parse_hashes

    parse_hashes(os.environ.get(VARIABLE))  # ... and on a bad API_KEY_HASHES
    port = os.environ.get("PORT", "5000")
    workers = os.environ.get("WEB_CONCURRENCY", "2")
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    argv = [
        gunicorn,
        "--bind",
        f"{os.environ.get('HOST', '0.0.0.0')}:{port}",  # noqa: S104 - a server's job
        "--workers",
        workers,
        "--access-logfile",
        "-",
        "api:create_app()",
    ]
    os.execv(gunicorn, argv)  # noqa: S606 - replaces this process with gunicorn
    return 0  # pragma: no cover


def _cmd_apikey(args) -> int:
    from api.auth import digest

    key = secrets.token_urlsafe(32)  # 256 random bits
    print(f"key:    {key}")
    print(f"sha256: {digest(key)}")
    print(
        "Give the key to its caller (it is stored nowhere); add the sha256 digest to "
        "API_KEY_HASHES (comma-separated).",
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
    apikey = commands.add_parser("apikey", help="API keys for API_KEY_HASHES")
    apikey.add_subparsers(dest="apikey_command", required=True).add_parser(
        "new", help="print a new random API key and its SHA-256 digest"
    )
    return root


HANDLERS = {"build": _cmd_build, "serve": _cmd_serve, "apikey": _cmd_apikey, "import": _cmd_import}


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return HANDLERS[args.command](args)
    except (BuildError, ValueError) as error:
        print(f"interactions {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
