{#- The answers of GET /api/v1/interactions/{customer_id}/topics and ?topic=: every topic a
    customer talked about × every channel, zeros included: a zero for each, plus the counts,
    summed (a join of the grid with the counts costs PostgreSQL twice as much at a million
    rows). Stored in customer order on DuckDB (macro lookup_order). -#}
with

channels as (

    select * from {{ ref('dim_channels') }}

),

topics as (

    select * from {{ ref('dim_topics') }}

),

by_customer_channel as (

    select * from {{ ref('interactions_by_customer_channel') }}

),

customer_topics as (

    select
        customer_id,
        topic

    from by_customer_channel
    group by 1, 2

),

zeros as (

    select
        customer_topics.customer_id,
        customer_topics.topic,
        channels.channel,
        0 as interaction_count

    from customer_topics
    cross join channels

),

counts_and_zeros as (

    select
        customer_id,
        topic,
        channel,
        interaction_count
    from by_customer_channel

    union all

    select
        customer_id,
        topic,
        channel,
        interaction_count
    from zeros

),

summed as (

    select
        customer_id,
        topic,
        channel,
        sum(interaction_count) as interaction_count

    from counts_and_zeros
    group by 1, 2, 3

),

final as (

    select
        summed.customer_id,
        summed.topic,
        topics.is_unknown as is_unknown_topic,
        summed.channel,
        channels.display_order,
        cast(summed.interaction_count as bigint) as interaction_count

    from summed
    inner join topics
        on summed.topic = topics.topic
    inner join channels
        on summed.channel = channels.channel

)

select * from final
{{ lookup_order(['customer_id', 'is_unknown_topic', 'topic', 'display_order']) }}
