{#- The answer of GET /api/v1/interactions/{customer_id}: every customer × every channel,
    zeros included. Stored in customer order (customer_id, display_order), so that a lookup of
    one customer reads one block of the table: DuckDB skips the others by their min/max, and on
    PostgreSQL the rows sit together. -#}
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

channel_totals as (

    select
        customer_id,
        channel,
        sum(interaction_count) as interaction_count

    from by_customer_channel
    group by 1, 2

),

final as (

    select
        customers.customer_id,
        channels.channel,
        channels.display_order,
        cast(coalesce(channel_totals.interaction_count, 0) as bigint) as interaction_count

    from customers
    cross join channels
    left join channel_totals
        on
            customers.customer_id = channel_totals.customer_id
            and channels.channel = channel_totals.channel

)

select * from final
order by 1, 3
