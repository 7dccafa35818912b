"""What a candidate build changes against the live one: the diff of `interactions import
--preview` (and of every import's summary), and the shrink guard's figures.

Both builds are read in one connection: on DuckDB the candidate file and the live file attached
read-only as `candidate` and `live`; on PostgreSQL the schemas marts__next and marts of one
database. Interactions are compared by fct_interactions.interaction_key (their content, not
their position in the sheet).
"""

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psycopg

SHOWN = 10  # customers listed per kind of change

FIGURES = """
select
    (select count(*) from {m}.fct_interactions) as interactions,
    (select count(*) from {m}.dim_customers) as customers
"""
CUSTOMERS_ADDED = """
select customer_id from {candidate}.dim_customers
except
select customer_id from {live}.dim_customers
order by customer_id
"""
CUSTOMERS_REMOVED = """
select customer_id from {live}.dim_customers
except
select customer_id from {candidate}.dim_customers
order by customer_id
"""
CUSTOMERS_CHANGED = """
select
    candidate_customers.customer_id,
    live_customers.occupation as old_occupation,
    candidate_customers.occupation as new_occupation,
    live_customers.customer_type as old_customer_type,
    candidate_customers.customer_type as new_customer_type
from {candidate}.dim_customers as candidate_customers
inner join {live}.dim_customers as live_customers
    on candidate_customers.customer_id = live_customers.customer_id
where
    candidate_customers.occupation <> live_customers.occupation
    or candidate_customers.customer_type <> live_customers.customer_type
order by candidate_customers.customer_id
"""
CHANNELS = """
with

channels as (
    select channel, display_order, 0 as side from {candidate}.dim_channels
    union all
    select channel, display_order, 1 as side from {live}.dim_channels
),

ordered as (
    select channel, min(side * 1000000 + display_order) as position
    from channels
    group by channel
),

live_counts as (
    select channel, count(*) as interaction_count
    from {live}.fct_interactions
    group by channel
),

candidate_counts as (
    select channel, count(*) as interaction_count
    from {candidate}.fct_interactions
    group by channel
)

select
    ordered.channel,
    coalesce(live_counts.interaction_count, 0) as live_count,
    coalesce(candidate_counts.interaction_count, 0) as candidate_count
from ordered
left join live_counts on ordered.channel = live_counts.channel
left join candidate_counts on ordered.channel = candidate_counts.channel
order by ordered.position, ordered.channel
"""
INTERACTIONS_ADDED = """
select count(*) from (
    select interaction_key from {candidate}.fct_interactions
    except
    select interaction_key from {live}.fct_interactions
) as added
"""
INTERACTIONS_REMOVED = """
select count(*) from (
    select interaction_key from {live}.fct_interactions
    except
    select interaction_key from {candidate}.fct_interactions
) as removed
"""
QUARANTINED = """
with

live_reasons as (
    select sheet_name, quarantine_reason, count(*) as row_count
    from {live}.quarantined_rows
    group by sheet_name, quarantine_reason
),

candidate_reasons as (
    select sheet_name, quarantine_reason, count(*) as row_count
    from {candidate}.quarantined_rows
    group by sheet_name, quarantine_reason
)

select
    coalesce(live_reasons.sheet_name, candidate_reasons.sheet_name) as sheet_name,
    coalesce(live_reasons.quarantine_reason, candidate_reasons.quarantine_reason) as reason,
    coalesce(live_reasons.row_count, 0) as live_count,
    coalesce(candidate_reasons.row_count, 0) as candidate_count
from live_reasons
full outer join candidate_reasons
    on
        live_reasons.sheet_name = candidate_reasons.sheet_name
        and live_reasons.quarantine_reason = candidate_reasons.quarantine_reason
order by 1, 2
"""
TOPICS_ADDED = """
select topic from {candidate}.dim_topics
except
select topic from {live}.dim_topics
order by 1
"""
TOPICS_REMOVED = """
select topic from {live}.dim_topics
except
select topic from {candidate}.dim_topics
order by 1
"""
SHEET_ORDER = {"customers": 0, "interactions": 1, "products": 2}


@dataclass
class Changes:
    """The candidate against the live version (live_version None: nothing was live)."""

    live_version: int | None
    live_interactions: int = 0
    candidate_interactions: int = 0
    live_customers: int = 0
    candidate_customers: int = 0
    customers_added: list[int] = field(default_factory=list)
    customers_removed: list[int] = field(default_factory=list)
    # (customer_id, old occupation, new occupation, old type, new type)
    customers_changed: list[tuple] = field(default_factory=list)
    channels: list[tuple[str, int, int]] = field(default_factory=list)
    interactions_added: int = 0
    interactions_removed: int = 0
    quarantined: list[tuple[str, str, int, int]] = field(default_factory=list)
    topics_added: list[str] = field(default_factory=list)
    topics_removed: list[str] = field(default_factory=list)

    def shrink_refusal(self, allowed: float) -> str | None:
        """Why the candidate drops too much of the live version, or None."""
        if self.live_version is None:
            return None
        problems = []
        for what, live, candidate in (
            ("interactions counted", self.live_interactions, self.candidate_interactions),
            ("customers", self.live_customers, self.candidate_customers),
        ):
            if live and candidate < live * (1 - allowed):
                problems.append(
                    f"{what}: {candidate} in this export against {live} in the live version "
                    f"{self.live_version} ({(live - candidate) / live:.0%} fewer)"
                )
        if not problems:
            return None
        return (
            f"this export would drop more than IMPORT_MAX_SHRINK={allowed:g} of the live data: "
            + "; ".join(problems)
            + ". Is it a partial export? Import it with --allow-shrink if it is meant to "
            "replace everything"
        )


SHEET_FIGURES = (
    "select sheet_name, rows_landed, rows_counted, rows_quarantined from sheet_reconciliation"
)


def connect_to_marts(warehouse: str, env: dict[str, str]):
    """A connection whose search path is the candidate's marts (marts__next on PostgreSQL)."""
    if warehouse == "duckdb":
        connection = duckdb.connect(env["DUCKDB_PATH"], read_only=True)
        connection.execute("set search_path = 'marts'")
        return connection
    connection = psycopg.connect(connect_timeout=5)
    marts = "marts" + env.get("DBT_SCHEMA_SUFFIX", "")
    connection.execute("select set_config('search_path', %s, false)", [marts])
    return connection


def read_figures(warehouse: str, env: dict[str, str]) -> dict:
    """A candidate build's headline figures, as a version records them."""
    with connect_to_marts(warehouse, env) as connection:
        sheets = {
            sheet: {"landed": landed, "counted": counted, "quarantined": quarantined}
            for sheet, landed, counted, quarantined in connection.execute(SHEET_FIGURES).fetchall()
        }
        interactions, customers = connection.execute(
            "select (select count(*) from fct_interactions), (select count(*) from dim_customers)"
        ).fetchone()
    return {
        "interactions_counted": interactions,
        "customers_counted": customers,
        "rows_quarantined": sum(sheet["quarantined"] for sheet in sheets.values()),
        "sheets": sheets,
    }


SERVED_CUSTOMERS = (
    "select cast({version} as bigint) as version, customer_id, occupation, customer_type"
    " from {marts}.dim_customers order by customer_id"
)


def export_served_customers(warehouse: str, env: dict[str, str], version: int, path: Path):
    """The candidate's dim_customers as the version's customers_served.csv (written beside,
    then renamed over it)."""
    staged = path.with_name(f".{path.name}.writing")
    if warehouse == "duckdb":
        with duckdb.connect(env["DUCKDB_PATH"], read_only=True) as connection:
            query = SERVED_CUSTOMERS.format(version=int(version), marts="marts")
            literal = "'" + str(staged).replace("'", "''") + "'"
            connection.execute(f"copy ({query}) to {literal} (format csv, header true)")
    else:
        marts = "marts" + env.get("DBT_SCHEMA_SUFFIX", "")
        query = SERVED_CUSTOMERS.format(version=int(version), marts=f'"{marts}"')
        with psycopg.connect(connect_timeout=5) as connection, open(staged, "wb") as out:
            with connection.cursor().copy(
                f"copy ({query}) to stdout (format csv, header true)"  # noqa: S608
            ) as copy:
                for chunk in copy:
                    out.write(chunk)
    staged.replace(path)


def _duckdb_attach(connection, path: Path, alias: str) -> None:
    literal = "'" + str(path).replace("'", "''") + "'"
    connection.execute(f"attach {literal} as {alias} (read_only)")


def compare(warehouse: str, env: dict[str, str], live_path: Path | None, live_version) -> Changes:
    """The changes from the live marts to the candidate's (the build `env` points at)."""
    changes = Changes(live_version=live_version)
    if warehouse == "duckdb":
        connection = duckdb.connect(":memory:", config={"python_enable_replacements": False})
        _duckdb_attach(connection, Path(env["DUCKDB_PATH"]), "candidate")
        names = {"candidate": "candidate.marts", "live": "live.marts"}
        has_live = live_path is not None and live_path.exists()
        if has_live:
            _duckdb_attach(connection, live_path, "live")
            has_live = bool(
                connection.execute(
                    "select count(*) from duckdb_tables()"
                    " where database_name = 'live' and schema_name = 'marts'"
                    " and table_name = 'build_info'"
                ).fetchone()[0]
            )
    else:
        connection = psycopg.connect(connect_timeout=5)
        names = {"candidate": "marts" + env.get("DBT_SCHEMA_SUFFIX", ""), "live": "marts"}
        has_live = connection.execute("select to_regclass('marts.build_info') is not null")
        has_live = has_live.fetchone()[0]
    with connection:

        def rows(query: str, **extra) -> list[tuple]:
            return connection.execute(query.format(**names, **extra)).fetchall()

        (changes.candidate_interactions, changes.candidate_customers) = rows(
            FIGURES, m=names["candidate"]
        )[0]
        if not has_live:
            changes.live_version = None
            return changes
        (changes.live_interactions, changes.live_customers) = rows(FIGURES, m=names["live"])[0]
        changes.customers_added = [row[0] for row in rows(CUSTOMERS_ADDED)]
        changes.customers_removed = [row[0] for row in rows(CUSTOMERS_REMOVED)]
        changes.customers_changed = [tuple(row) for row in rows(CUSTOMERS_CHANGED)]
        changes.channels = [tuple(row) for row in rows(CHANNELS)]
        changes.interactions_added = rows(INTERACTIONS_ADDED)[0][0]
        changes.interactions_removed = rows(INTERACTIONS_REMOVED)[0][0]
        quarantined = [tuple(row) for row in rows(QUARANTINED)]
        changes.quarantined = sorted(quarantined, key=lambda r: (SHEET_ORDER.get(r[0], 9), r[1]))
        changes.topics_added = [row[0] for row in rows(TOPICS_ADDED)]
        changes.topics_removed = [row[0] for row in rows(TOPICS_REMOVED)]
    return changes


def _listed(items: list, render=str) -> str:
    shown = ", ".join(render(item) for item in items[:SHOWN])
    more = f", ... ({len(items) - SHOWN} more)" if len(items) > SHOWN else ""
    return shown + more


def format_changes(changes: Changes) -> list[str]:
    """The diff, as lines of the import's report."""
    if changes.live_version is None:
        return ["Changes: nothing is live yet; everything in this export is new."]
    lines = [f"Changes against the live version {changes.live_version}:"]
    lines.append(
        f"  customers: {changes.live_customers} -> {changes.candidate_customers}"
        f" ({len(changes.customers_added)} added, {len(changes.customers_removed)} removed,"
        f" {len(changes.customers_changed)} changed)"
    )
    if changes.customers_added:
        lines.append(f"    added: {_listed(changes.customers_added)}")
    if changes.customers_removed:
        lines.append(f"    removed: {_listed(changes.customers_removed)}")
    for (
        customer_id,
        old_occupation,
        new_occupation,
        old_type,
        new_type,
    ) in changes.customers_changed[:SHOWN]:
        parts = []
        if old_occupation != new_occupation:
            parts.append(f"occupation {old_occupation!r} -> {new_occupation!r}")
        if old_type != new_type:
            parts.append(f"type {old_type!r} -> {new_type!r}")
        lines.append(f"    changed: customer {customer_id}: {'; '.join(parts)}")
    if len(changes.customers_changed) > SHOWN:
        lines.append(f"    ... and {len(changes.customers_changed) - SHOWN} more changed")
    lines.append(
        f"  interactions: {changes.live_interactions} -> {changes.candidate_interactions}"
        f" ({changes.interactions_added} added, {changes.interactions_removed} removed)"
    )
    for channel, live, candidate in changes.channels:
        lines.append(f"    {channel}: {live} -> {candidate}")
    if changes.quarantined:
        lines.append("  quarantined rows by reason:")
        for sheet, reason, live, candidate in changes.quarantined:
            lines.append(f"    {sheet}: {reason}: {live} -> {candidate}")
    else:
        lines.append("  quarantined rows: none before, none now")
    lines.append(
        f"  topics added: {_listed(changes.topics_added) or 'none'};"
        f" removed: {_listed(changes.topics_removed) or 'none'}"
    )
    return lines
