"""The API's SQL, written once for both warehouses (lowercase, dbt Labs style).

Parameters are named `:name` (api/warehouse.py adapts them to each driver). Each answer is
one statement, so on PostgreSQL it sees the marts of one build (a build swaps them in one
transaction). Every query selects from schema `marts` only; no cleaning or business rules
here: the marts hold the answers, these queries only zero-fill and filter them.
"""

# One row per channel (display order) with the customer's count, zero-filled; the flags say
# whether the customer and the topic filter (:topic, or null for every topic) exist.
CUSTOMER_INTERACTIONS = """
with

request as (

    select
        exists (
            select 1 from marts.dim_customers
            where customer_id = :customer_id
        ) as is_customer_known,
        (
            cast(:topic as text) is null
            or exists (select 1 from marts.dim_topics where topic = :topic)
        ) as is_topic_known

),

counts as (

    select
        channel,
        sum(interaction_count) as interaction_count
    from marts.interactions_by_customer_channel
    where
        customer_id = :customer_id
        and (cast(:topic as text) is null or topic = :topic)
    group by channel

),

channel_counts as (

    select
        dim_channels.channel,
        dim_channels.display_order,
        cast(coalesce(counts.interaction_count, 0) as bigint) as interaction_count
    from marts.dim_channels
    left join counts
        on dim_channels.channel = counts.channel

)

select
    request.is_customer_known,
    request.is_topic_known,
    channel_counts.channel,
    channel_counts.interaction_count
from request
left join channel_counts on true
order by channel_counts.display_order
"""

# Per topic the customer talked about (known topics by name, then 'Unknown'), one row per
# channel in display order, zero-filled.
CUSTOMER_TOPICS = """
with

request as (

    select
        exists (
            select 1 from marts.dim_customers
            where customer_id = :customer_id
        ) as is_customer_known

),

counts as (

    select
        topic,
        channel,
        interaction_count
    from marts.interactions_by_customer_channel
    where customer_id = :customer_id

),

customer_topics as (

    select distinct
        counts.topic,
        coalesce(dim_topics.is_unknown, false) as is_unknown
    from counts
    left join marts.dim_topics
        on counts.topic = dim_topics.topic

),

topic_channel_counts as (

    select
        customer_topics.topic,
        customer_topics.is_unknown,
        dim_channels.channel,
        dim_channels.display_order,
        cast(coalesce(counts.interaction_count, 0) as bigint) as interaction_count
    from customer_topics
    cross join marts.dim_channels
    left join counts
        on
            customer_topics.topic = counts.topic
            and dim_channels.channel = counts.channel

)

select
    request.is_customer_known,
    topic_channel_counts.topic,
    topic_channel_counts.channel,
    topic_channel_counts.interaction_count
from request
left join topic_channel_counts on true
order by
    topic_channel_counts.is_unknown,
    topic_channel_counts.topic,
    topic_channel_counts.display_order
"""

# Per customer type (every type of dim_customers, 'Unknown' included), one row per channel
# in display order, zero-filled; :topic filters (null for every topic).
CUSTOMER_TYPE_INTERACTIONS = """
with

request as (

    select
        (
            cast(:topic as text) is null
            or exists (select 1 from marts.dim_topics where topic = :topic)
        ) as is_topic_known

),

customer_types as (

    select customer_type from marts.dim_customers
    union
    select customer_type from marts.interactions_by_customer_type_channel

),

counts as (

    select
        customer_type,
        channel,
        sum(interaction_count) as interaction_count
    from marts.interactions_by_customer_type_channel
    where cast(:topic as text) is null or topic = :topic
    group by customer_type, channel

),

type_channel_counts as (

    select
        customer_types.customer_type,
        dim_channels.channel,
        dim_channels.display_order,
        cast(coalesce(counts.interaction_count, 0) as bigint) as interaction_count
    from customer_types
    cross join marts.dim_channels
    left join counts
        on
            customer_types.customer_type = counts.customer_type
            and dim_channels.channel = counts.channel

)

select
    request.is_topic_known,
    type_channel_counts.customer_type,
    type_channel_counts.channel,
    type_channel_counts.interaction_count
from request
left join type_channel_counts on true
order by type_channel_counts.customer_type, type_channel_counts.display_order
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

# The legacy stats endpoint: rows landed from one sheet (no row: an unknown name).
SHEET_ROWS_LANDED = """
select rows_landed
from marts.sheet_reconciliation
where sheet_name = :sheet_name
"""

# The build's headline figures with, on the same rows, each sheet's reconciliation
# (kind 'sheet') and each quarantine reason's row count (kind 'reason').
DATA_QUALITY = """
with

sheets as (

    select
        'sheet' as kind,
        sheet_name as name,
        rows_landed,
        rows_counted,
        rows_quarantined
    from marts.sheet_reconciliation

),

reasons as (

    select
        'reason' as kind,
        quarantine_reason as name,
        cast(null as bigint) as rows_landed,
        cast(null as bigint) as rows_counted,
        cast(count(*) as bigint) as rows_quarantined
    from marts.quarantined_rows
    group by quarantine_reason

),

facts as (

    select * from sheets
    union all
    select * from reasons

)

select
    build_info.built_at,
    build_info.interactions_without_topic,
    build_info.customers_not_in_sheet,
    facts.kind,
    facts.name,
    facts.rows_landed,
    facts.rows_counted,
    facts.rows_quarantined
from marts.build_info
left join facts on true
order by facts.kind desc, facts.name
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
