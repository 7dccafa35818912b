"""The API's SQL, written once for both warehouses (lowercase, dbt Labs style).

Parameters are named `:name` (api/warehouse.py adapts them to each driver). Each answer is
one statement, so on PostgreSQL it sees the marts of one build (a build swaps them in one
transaction). Every query selects from schema `marts` only; no cleaning, business rules,
joins or zero-filling here: the marts hold the answers (dbt_project/models/marts/answers,
every channel in display order, zeros included) and these queries look them up.
"""

from core import fixit

# Rows of kind 'count' are an answer; a row of kind 'customer' or 'topic' says that the customer
# or the topic exists (else the answer is a 404).

# GET /interactions/{customer_id} when the worker's answer cache has no copy (api/cache.py).
CUSTOMER_INTERACTIONS = """
select
    channel,
    interaction_count
from marts.answers_by_customer
where customer_id = :customer_id
order by display_order
"""

# GET /interactions/{customer_id}?topic=: the customer's counts about the topic (kind 'count';
# none when the customer never talked about it), the customer's channels (kind 'customer')
# and whether the topic exists.
CUSTOMER_TOPIC_INTERACTIONS = """
select
    'count' as kind,
    channel,
    display_order,
    interaction_count
from marts.answers_by_customer_topic
where customer_id = :customer_id and topic = :topic
union all
select
    'customer' as kind,
    channel,
    display_order,
    interaction_count
from marts.answers_by_customer
where customer_id = :customer_id
union all
select
    'topic' as kind,
    null as channel,
    null as display_order,
    null as interaction_count
from marts.dim_topics
where topic = :topic
order by kind, display_order
"""

# GET /interactions/{customer_id}/topics: per topic the customer talked about (products by
# name, then 'Unknown'), every channel; a row of kind 'customer' if the customer exists.
CUSTOMER_TOPICS = """
select
    'count' as kind,
    is_unknown_topic,
    topic,
    display_order,
    channel,
    interaction_count
from marts.answers_by_customer_topic
where customer_id = :customer_id
union all
select
    'customer' as kind,
    null as is_unknown_topic,
    null as topic,
    null as display_order,
    null as channel,
    null as interaction_count
from marts.dim_customers
where customer_id = :customer_id
order by kind, is_unknown_topic, topic, display_order
"""

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
# topic (kind 'count'); a row of kind 'topic' if the topic exists.
CUSTOMER_TYPE_TOPIC_INTERACTIONS = """
select
    'count' as kind,
    customer_type,
    display_order,
    channel,
    interaction_count
from marts.answers_by_customer_type_topic
where topic = :topic
union all
select
    'topic' as kind,
    null as customer_type,
    null as display_order,
    null as channel,
    null as interaction_count
from marts.dim_topics
where topic = :topic
order by kind, customer_type, display_order
"""

# GET /interactions/{customer_id}/monthly: every month of the customer's, every channel (kind
# 'count'); a row of kind 'customer' if the customer exists.
CUSTOMER_MONTHLY = """
select
    'count' as kind,
    month_index,
    calendar_month,
    display_order,
    channel,
    interaction_count
from marts.answers_by_customer_month
where customer_id = :customer_id
union all
select
    'customer' as kind,
    null as month_index,
    null as calendar_month,
    null as display_order,
    null as channel,
    null as interaction_count
from marts.dim_customers
where customer_id = :customer_id
order by kind, month_index, display_order
"""

# GET /interactions/{customer_id}/monthly?topic=: as CUSTOMER_MONTHLY about one topic, and a
# row of kind 'topic' if the topic exists.
CUSTOMER_TOPIC_MONTHLY = """
select
    'count' as kind,
    month_index,
    calendar_month,
    display_order,
    channel,
    interaction_count
from marts.answers_by_customer_topic_month
where customer_id = :customer_id and topic = :topic
union all
select
    'customer' as kind,
    null as month_index,
    null as calendar_month,
    null as display_order,
    null as channel,
    null as interaction_count
from marts.dim_customers
where customer_id = :customer_id
union all
select
    'topic' as kind,
    null as month_index,
    null as calendar_month,
    null as display_order,
    null as channel,
    null as interaction_count
from marts.dim_topics
where topic = :topic
order by kind, month_index, display_order
"""

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

# GET /interactions/by-customer-type/monthly?topic=: about the topic (kind 'count'); a row of
# kind 'topic' if the topic exists.
CUSTOMER_TYPE_TOPIC_MONTHLY = """
select
    'count' as kind,
    customer_type,
    month_index,
    calendar_month,
    display_order,
    channel,
    interaction_count
from marts.answers_by_customer_type_topic_month
where topic = :topic
union all
select
    'topic' as kind,
    null as customer_type,
    null as month_index,
    null as calendar_month,
    null as display_order,
    null as channel,
    null as interaction_count
from marts.dim_topics
where topic = :topic
order by kind, customer_type, month_index, display_order
"""

# A page of customers by id after :after_customer_id; :q (or null) matches the exact id or
# a case-insensitive part of the occupation. :row_limit is one more than the page size, to
# tell whether there is a next page.
CUSTOMERS_PAGE = """
select
    customer_id,
    occupation,
    customer_type,
    is_in_customer_sheet as in_customer_sheet,
    interaction_count
from marts.dim_customers
where
    customer_id > :after_customer_id
    and (
        cast(:q as text) is null
        or cast(customer_id as text) = :q
        or strpos(lower(occupation), lower(:q)) > 0
    )
order by customer_id
limit :row_limit
"""

# GET /interactions/{customer_id}/rows: a page of the customer's counted rows (kind 'row', in
# sheet order after :after_row, :row_limit of them), and rows of kind 'customer', 'channel' and
# 'topic' when they exist (a null :channel or :topic filters nothing).
CUSTOMER_ROWS_PAGE = """
select
    'row' as kind,
    sheet_row_number,
    started_at_text,
    channel_text,
    customer_id_text
from (
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
) as page
union all
select
    'customer' as kind,
    null as sheet_row_number,
    null as started_at_text,
    null as channel_text,
    null as customer_id_text
from marts.dim_customers
where customer_id = :customer_id
union all
select
    'channel' as kind,
    null as sheet_row_number,
    null as started_at_text,
    null as channel_text,
    null as customer_id_text
from marts.dim_channels
where channel = :channel
union all
select
    'topic' as kind,
    null as sheet_row_number,
    null as started_at_text,
    null as channel_text,
    null as customer_id_text
from marts.dim_topics
where topic = :topic
order by kind, sheet_row_number
"""

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
