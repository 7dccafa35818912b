#!/usr/bin/env bash
# Run a command N times in a row while busy loops keep every core busy; stop at the first
# failure. How a flaky test is hunted and a fix proven (issue 13):
#   scripts/under_load.sh 20 .venv/bin/pytest -q tests/test_outage.py::test_name
set -u
runs=$1
shift
busy=()
for _ in $(seq "$(nproc)"); do
    python3 -c "while True: pass" &
    busy+=($!)
done
trap 'kill "${busy[@]}" 2>/dev/null' EXIT
for run in $(seq "$runs"); do
    started=$(date +%s)
    if ! "$@"; then
        echo "under_load: run $run of $runs failed, with $(nproc) busy loops" >&2
        exit 1
    fi
    echo "under_load: run $run of $runs passed in $(($(date +%s) - started)) s" >&2
done
echo "under_load: $runs of $runs passed, with $(nproc) busy loops" >&2
