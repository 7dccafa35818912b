{#- The answer of GET /api/v1/interactions/{customer_id}: every customer × every channel,
    zeros included: a zero for each, plus the counts, summed (a join of the grid with the
    counts costs PostgreSQL more at a million rows). Stored in customer order on DuckDB
    (macro lookup_order). -#}
with

customers as (

    select * from {{ ref('dim_customers') }}

),

channels as (

    select * from {{ ref('dim_channels') }}

),

by_customer_channel as (

    select * from {{ ref('interactions_by_customer_channel') }}

),

zeros as (

    select
        customers.customer_id,
        channels.channel,
        0 as interaction_count

    from customers
    cross join channels

),

counts_and_zeros as (

    select
        customer_id,
        channel,
        interaction_count
    from by_customer_channel

    union all

    select
        customer_id,
        channel,
        interaction_count
    from zeros

),

summed as (

    select
        customer_id,
        channel,
        sum(interaction_count) as interaction_count

    from counts_and_zeros
    group by 1, 2

),

final as (

    select
        summed.customer_id,
        summed.channel,
        channels.display_order,
        cast(summed.interaction_count as bigint) as interaction_count

    from summed
    inner join channels
        on summed.channel = channels.channel

)

select * from final
{{ lookup_order(['customer_id', 'display_order']) }}
