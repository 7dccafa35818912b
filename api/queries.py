"""The API's SQL, written once for both warehouses (lowercase, dbt Labs style).

Parameters are named `:name` (api/warehouse.py adapts them to each driver). Each answer is
one statement, so on PostgreSQL it sees the marts of one build (a build swaps them in one
transaction). Every query selects from schema `marts` only; no cleaning, business rules,
joins or zero-filling here: the marts hold the answers (dbt_project/models/marts/answers,
every channel in display order, zeros included) and these queries look them up.
"""

from core import fixit

# A lookup that may be a 404 is one statement: its rows of one kind ('count', or 'row') and a
# row of kind 'customer', 'channel' or 'topic' for each of those the request names that exists
# (else the answer is a 404). Each is written by the helpers below: select(), exists(), union().
EXISTS = {
    "customer": ("marts.dim_customers", "customer_id = :customer_id"),
    "channel": ("marts.dim_channels", "channel = :channel"),
    "topic": ("marts.dim_topics", "topic = :topic"),
}


def select(kind: str, columns: tuple[str, ...], source: str, where: str | None = None) -> str:
    """Rows of `kind`: `columns` of `source` (a mart, or a subquery), filtered by `where`."""
    listed = "".join(f",\n    {column}" for column in columns)
    text = f"select\n    '{kind}' as kind{listed}\nfrom {source}"
    return f"{text}\nwhere {where}" if where else text


def exists(kind: str, columns: tuple[str, ...]) -> str:
    """One row of `kind` (null in every column of the answer) if the customer, channel or
    topic the parameters name exists."""
    table, where = EXISTS[kind]
    return select(kind, tuple(f"null as {column}" for column in columns), table, where)


def union(*parts: str, order_by: str) -> str:
    return "\n" + "\nunion all\n".join(parts) + f"\norder by {order_by}\n"


# GET /interactions/{customer_id} when the worker's answer cache has no copy (api/cache.py).
CUSTOMER_INTERACTIONS = """
select
    channel,
    interaction_count
from marts.answers_by_customer
where customer_id = :customer_id
order by display_order
"""

# GET /interactions/{customer_id}?topic=: the customer's counts about the topic (none when the
# customer never talked about it), the customer's channels (kind 'customer', the answer's
# channels when there are no counts) and whether the topic exists.
_CHANNEL_COUNTS = ("channel", "display_order", "interaction_count")
CUSTOMER_TOPIC_INTERACTIONS = union(
    select(
        "count",
        _CHANNEL_COUNTS,
        "marts.answers_by_customer_topic",
        "customer_id = :customer_id and topic = :topic",
    ),
    select("customer", _CHANNEL_COUNTS, "marts.answers_by_customer", "customer_id = :customer_id"),
    exists("topic", _CHANNEL_COUNTS),
    order_by="kind, display_order",
)

# GET /interactions/{customer_id}/topics: per topic the customer talked about (products by
# name, then 'Unknown'), every channel.
_TOPIC_COUNTS = ("is_unknown_topic", "topic", "display_order", "channel", "interaction_count")
CUSTOMER_TOPICS = union(
    select("count", _TOPIC_COUNTS, "marts.answers_by_customer_topic", "customer_id = :customer_id"),
    exists("customer", _TOPIC_COUNTS),
    order_by="kind, is_unknown_topic, topic, display_order",
)

# GET /interactions/by-customer-type: every customer type, every channel.
CUSTOMER_TYPE_INTERACTIONS = """
select
    customer_type,
    channel,
    interaction_count
from marts.answers_by_customer_type
order by customer_type, display_order
"""

# GET /interactions/by-customer-type?topic=: every customer type, every channel, about the
# topic.
_TYPE_COUNTS = ("customer_type", "display_order", "channel", "interaction_count")
CUSTOMER_TYPE_TOPIC_INTERACTIONS = union(
    select("count", _TYPE_COUNTS, "marts.answers_by_customer_type_topic", "topic = :topic"),
    exists("topic", _TYPE_COUNTS),
    order_by="kind, customer_type, display_order",
)

# GET /interactions/{customer_id}/monthly: every month of the customer's, every channel.
_MONTH_COUNTS = ("month_index", "calendar_month", "display_order", "channel", "interaction_count")
CUSTOMER_MONTHLY = union(
    select("count", _MONTH_COUNTS, "marts.answers_by_customer_month", "customer_id = :customer_id"),
    exists("customer", _MONTH_COUNTS),
    order_by="kind, month_index, display_order",
)

# GET /interactions/{customer_id}/monthly?topic=: as CUSTOMER_MONTHLY about one topic.
CUSTOMER_TOPIC_MONTHLY = union(
    select(
        "count",
        _MONTH_COUNTS,
        "marts.answers_by_customer_topic_month",
        "customer_id = :customer_id and topic = :topic",
    ),
    exists("customer", _MONTH_COUNTS),
    exists("topic", _MONTH_COUNTS),
    order_by="kind, month_index, display_order",
)

# GET /interactions/by-customer-type/monthly: every customer type, month and channel.
CUSTOMER_TYPE_MONTHLY = """
select
    customer_type,
    calendar_month,
    channel,
    interaction_count
from marts.answers_by_customer_type_month
order by customer_type, month_index, display_order
"""

# GET /interactions/by-customer-type/monthly?topic=: about the topic.
_TYPE_MONTH_COUNTS = ("customer_type", *_MONTH_COUNTS)
CUSTOMER_TYPE_TOPIC_MONTHLY = union(
    select(
        "count", _TYPE_MONTH_COUNTS, "marts.answers_by_customer_type_topic_month", "topic = :topic"
    ),
    exists("topic", _TYPE_MONTH_COUNTS),
    order_by="kind, customer_type, month_index, display_order",
)

# GET /customers: a customer's row; CUSTOMER_KEYS, its keys in the answer's order.
_CUSTOMER_COLUMNS = (
    "customer_id",
    "occupation",
    "customer_type",
    "is_in_customer_sheet as in_customer_sheet",
    "interaction_count",
)
CUSTOMER_KEYS = tuple(column.rpartition(" as ")[2] for column in _CUSTOMER_COLUMNS)
_CUSTOMERS = "".join(
    [
        "\nselect\n",
        ",\n".join(f"    {c}" for c in _CUSTOMER_COLUMNS),
        "\nfrom marts.dim_customers\n",
    ]
)
# Every customer by id (the answer file of the pages without q: api/cache.py).
ALL_CUSTOMERS = _CUSTOMERS + "order by customer_id\n"
# A page of customers by id after :after_customer_id; :q (or null) matches the exact id or
# a case-insensitive part of the occupation. :row_limit is one more than the page size, to
# tell whether there is a next page.
CUSTOMERS_PAGE = (
    _CUSTOMERS
    + """where
    customer_id > :after_customer_id
    and (
        cast(:q as text) is null
        or cast(customer_id as text) = :q
        or strpos(lower(occupation), lower(:q)) > 0
    )
order by customer_id
limit :row_limit
"""
)

# GET /interactions/{customer_id}/rows: a page of the customer's counted rows (kind 'row', in
# sheet order after :after_row, :row_limit of them), and whether the customer, the channel and
# the topic exist (a null :channel or :topic filters nothing).
_ROW_CELLS = ("sheet_row_number", "started_at_text", "channel_text", "customer_id_text")
CUSTOMER_ROWS_PAGE = union(
    select(
        "row",
        _ROW_CELLS,
        """(
    select
        sheet_row_number,
        started_at_text,
        channel_text,
        customer_id_text
    from marts.fct_interactions
    where
        customer_id = :customer_id
        and sheet_row_number > :after_row
        and (cast(:channel as text) is null or channel = :channel)
        and (cast(:topic as text) is null or topic = :topic)
    order by sheet_row_number
    limit :row_limit
) as page""",
    ),
    exists("customer", _ROW_CELLS),
    exists("channel", _ROW_CELLS),
    exists("topic", _ROW_CELLS),
    order_by="kind, sheet_row_number",
)

# GET /quarantine.xlsx: every quarantined row of marts.quarantined_rows, by sheet, in sheet
# order, with its cells (the query an import's preview writes its fix-it workbook with).
QUARANTINED_ROWS = fixit.QUARANTINED_ROWS.format(schema="marts.")

# The legacy stats endpoint: rows landed from one sheet (no row: an unknown name).
SHEET_ROWS_LANDED = """
select rows_landed
from marts.sheet_reconciliation
where sheet_name = :sheet_name
"""

# GET /data-quality: the build's headline figures (kind 'build'), each sheet's reconciliation
# (kind 'sheet') and each sheet's rows quarantined per reason (kind 'reason').
DATA_QUALITY = """
select
    'build' as kind,
    built_at,
    interactions_without_topic,
    customers_not_in_sheet,
    null as name,
    null as rows_landed,
    null as rows_counted,
    null as rows_quarantined
from marts.build_info
union all
select
    'sheet' as kind,
    null as built_at,
    null as interactions_without_topic,
    null as customers_not_in_sheet,
    sheet_name as name,
    rows_landed,
    rows_counted,
    rows_quarantined
from marts.sheet_reconciliation
union all
select
    'reason' as kind,
    null as built_at,
    null as interactions_without_topic,
    null as customers_not_in_sheet,
    quarantine_reason as name,
    null as rows_landed,
    null as rows_counted,
    rows_quarantined
from marts.quarantine_summary
order by kind, name
"""

CHANNELS = """
select
    channel,
    display_order
from marts.dim_channels
order by display_order
"""

TOPICS = """
select
    topic,
    is_unknown,
    month_count
from marts.dim_topics
order by is_unknown, topic
"""

# The live build: the version of the data it made live (0 for a development build), and when.
BUILD_INFO = """
select
    data_version,
    built_at
from marts.build_info
"""

# A page of the kept versions, newest first, below :before_version (null for the first page).
# :row_limit is one more than the page size, to tell whether there is a next page.
DATA_VERSIONS_PAGE = """
select
    version,
    imported_at,
    file_name,
    file_sha256,
    interactions_counted,
    rows_quarantined,
    is_live
from marts.data_versions
where cast(:before_version as bigint) is null or version < :before_version
order by version desc
limit :row_limit
"""
