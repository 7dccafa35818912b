{#- The answer of GET /api/v1/interactions/by-customer-type?topic=: every customer type ×
    every topic × every channel, zeros included. -#}
with

customers as (

    select * from {{ ref('dim_customers') }}

),

channels as (

    select * from {{ ref('dim_channels') }}

),

topics as (

    select * from {{ ref('dim_topics') }}

),

by_customer_type_channel as (

    select * from {{ ref('interactions_by_customer_type_channel') }}

),

customer_types as (

    select distinct customer_type

    from customers

),

final as (

    select
        customer_types.customer_type,
        topics.topic,
        channels.channel,
        channels.display_order,
        cast(coalesce(by_customer_type_channel.interaction_count, 0) as bigint)
            as interaction_count

    from customer_types
    cross join topics
    cross join channels
    left join by_customer_type_channel
        on
            customer_types.customer_type = by_customer_type_channel.customer_type
            and topics.topic = by_customer_type_channel.topic
            and channels.channel = by_customer_type_channel.channel

)

select * from final
