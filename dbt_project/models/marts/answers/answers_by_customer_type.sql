{#- The answer of GET /api/v1/interactions/by-customer-type: every customer type × every
    channel, zeros included. -#}
with

customers as (

    select * from {{ ref('dim_customers') }}

),

channels as (

    select * from {{ ref('dim_channels') }}

),

by_customer_type_channel as (

    select * from {{ ref('interactions_by_customer_type_channel') }}

),

customer_types as (

    select distinct customer_type

    from customers

),

channel_totals as (

    select
        customer_type,
        channel,
        sum(interaction_count) as interaction_count

    from by_customer_type_channel
    group by 1, 2

),

final as (

    select
        customer_types.customer_type,
        channels.channel,
        channels.display_order,
        cast(coalesce(channel_totals.interaction_count, 0) as bigint) as interaction_count

    from customer_types
    cross join channels
    left join channel_totals
        on
            customer_types.customer_type = channel_totals.customer_type
            and channels.channel = channel_totals.channel

)

select * from final
