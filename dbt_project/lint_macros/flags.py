"""Stand-in for dbt's `flags`, for sqlfluff's jinja templater: the command being run."""

WHICH = "lint"
