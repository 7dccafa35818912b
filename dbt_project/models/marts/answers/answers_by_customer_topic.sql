{#- The answers of GET /api/v1/interactions/{customer_id}/topics and ?topic=: every topic a
    customer talked about × every channel, zeros included.
    Stored in customer order (then is_unknown_topic, topic, display_order), as
    answers_by_customer. -#}
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

    select distinct
        customer_id,
        topic

    from by_customer_channel

),

final as (

    select
        customer_topics.customer_id,
        customer_topics.topic,
        topics.is_unknown as is_unknown_topic,
        channels.channel,
        channels.display_order,
        cast(coalesce(by_customer_channel.interaction_count, 0) as bigint) as interaction_count

    from customer_topics
    inner join topics
        on customer_topics.topic = topics.topic
    cross join channels
    left join by_customer_channel
        on
            customer_topics.customer_id = by_customer_channel.customer_id
            and customer_topics.topic = by_customer_channel.topic
            and channels.channel = by_customer_channel.channel

)

select * from final
order by 1, 3, 2, 5
