"""The contracts the command-line tool (`interactions/`) and the API (`api/`) share, below
both: configuration, the workbook's sheets, the fix-it workbook, the PostgreSQL notification of
a build, the commands' exit codes, API keys and the child-process helper. It imports neither
package; `interactions` and `api` import each other never (tests/test_layers.py)."""
