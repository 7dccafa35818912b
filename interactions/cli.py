"""`interactions`: the command-line tool that scripts use (the Makefile calls it too).

interactions build     build the marts with dbt and make them live atomically
interactions serve     serve the API and website with gunicorn (PORT, default 5000)
"""

import argparse
import os
import sys

from interactions import settings as settings_module
from interactions.build import BuildError, build


def _cmd_build(args) -> int:
    settings = settings_module.load()
    result = build(settings)
    print(f"build: the {settings.warehouse} marts are live ({result.seconds:.1f} s)")
    return 0


def _cmd_serve(args) -> int:
    settings_module.load()  # fail fast on a bad WAREHOUSE
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


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="interactions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="build the marts (dbt build) and make them live atomically")
    commands.add_parser("serve", help="serve the API and website with gunicorn on PORT (5000)")
    return root


HANDLERS = {"build": _cmd_build, "serve": _cmd_serve}


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return HANDLERS[args.command](args)
    except (BuildError, ValueError) as error:
        print(f"interactions {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
