"""`interactions import --json`: the import's report as one JSON object, for scripts and for
the API's upload (POST /api/v1/imports answers its diff, quarantined and message).

The same figures as the printed report (importer.format_summary, changes.format_changes):
- would_go_live: the workbook passed every check (a preview) or went live (an import);
- message: the report's first line, or why it would not go live (the importer's message, the
  shrink guard's refusal);
- diff: the changes against the live version (null when the workbook failed before dbt
  passed); lists of customers are the first LISTED, with their counts in full;
- quarantined: the rows quarantined, by sheet and reason, with their first sheet rows
  (null, as diff).
"""

from interactions.changes import Changes
from interactions.importer import ImportResult

LISTED = 100  # customers listed per kind of change (the counts are complete)


def report(result: ImportResult, message: str) -> dict:
    """A preview's or an import's report."""
    return {
        "would_go_live": result.refusal is None,
        "version": result.version,
        "preview": result.preview,
        "message": result.refusal or message,
        "diff": diff(result.changes) if result.changes is not None else None,
        "quarantined": quarantined(result),
        "sheets": [
            {
                "sheet": figures.name,
                "rows_read": figures.rows_read,
                "rows_counted": figures.rows_counted,
                "rows_quarantined": figures.rows_quarantined,
            }
            for figures in result.sheets
        ],
        "warnings": list(result.warnings),
    }


def failure(message: str, *, live_changed=False) -> dict:
    """An import that stopped before going live: nothing changed."""
    return {
        "would_go_live": False,
        "message": message,
        "diff": None,
        "quarantined": None,
        "live_changed": live_changed,
    }


def diff(changes: Changes) -> dict:
    return {
        "live_version": changes.live_version,
        "customers": {
            "live": changes.live_customers,
            "new": changes.candidate_customers,
            "added": len(changes.customers_added),
            "removed": len(changes.customers_removed),
            "changed": len(changes.customers_changed),
            "added_ids": changes.customers_added[:LISTED],
            "removed_ids": changes.customers_removed[:LISTED],
            "changed_rows": [
                {
                    "customer_id": customer_id,
                    "occupation": [old_occupation, new_occupation],
                    "customer_type": [old_type, new_type],
                }
                for (
                    customer_id,
                    old_occupation,
                    new_occupation,
                    old_type,
                    new_type,
                ) in changes.customers_changed[:LISTED]
            ],
        },
        "interactions": {
            "live": changes.live_interactions,
            "new": changes.candidate_interactions,
            "added": changes.interactions_added,
            "removed": changes.interactions_removed,
            "by_channel": [
                {"channel": channel, "live": live, "new": candidate}
                for channel, live, candidate in changes.channels
            ],
        },
        "quarantined": [
            {"sheet": sheet, "reason": reason, "live": live, "new": candidate}
            for sheet, reason, live, candidate in changes.quarantined
        ],
        "topics": {"added": changes.topics_added, "removed": changes.topics_removed},
    }


def quarantined(result: ImportResult) -> dict:
    return {
        "rows": sum(item.rows for item in result.quarantined),
        "by_reason": [
            {
                "sheet": item.sheet,
                "reason": item.reason,
                "rows": item.rows,
                "examples": [
                    {"sheet_row": sheet_row, "values": values}
                    for sheet_row, values in item.examples
                ],
            }
            for item in result.quarantined
        ],
    }
