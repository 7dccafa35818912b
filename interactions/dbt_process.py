"""A dbt process that starts before the data it will build is loaded.

`python -m interactions.dbt_process --project-dir ... --profiles-dir ...` imports dbt and
parses the project (together about 4 s) while the parent loads the warehouse, then reads one
line from stdin: the dbt command to run, as a JSON list (e.g. ["build", "--exclude", ...]).
It runs that command on the manifest it has already parsed and exits as the dbt CLI would
(0 success, 1 failure, 2 error). An empty line or end of input means "nothing to do".
The parse writes no JSON artifacts: the command writes target/manifest.json and
run_results.json (writing the manifest twice cost 0.3 s an import).
dbt's log file (dbt_project/logs/dbt.log) is written at the info level: each node's result and
every error, not each statement (the statements a node ran are in target/run/). At dbt's
default, debug, the log cost 0.3 to 0.5 s of a 6 s DuckDB import. DBT_LOG_LEVEL_FILE=debug brings
it back.
build.py drives it (see DbtProcess there).
"""

import json
import os
import sys

LOG_LEVEL_FILE = "info"


def main(project_args: list[str]) -> int:
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", LOG_LEVEL_FILE)
    from dbt.cli.main import dbtRunner

    parsed = dbtRunner().invoke(["parse", "--no-write-json", *project_args])
    line = sys.stdin.readline()
    if not line.strip():
        return 0
    command = [str(argument) for argument in json.loads(line)]
    # A failed parse is reported again by the command itself, without the manifest.
    runner = dbtRunner(manifest=parsed.result) if parsed.success else dbtRunner()
    result = runner.invoke([*command, *project_args])
    if result.success:
        return 0
    return 2 if result.exception is not None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
