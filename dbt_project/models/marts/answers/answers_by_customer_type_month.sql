{#- The answer of GET /api/v1/interactions/by-customer-type/monthly: every customer type ×
    every month of dim_months (one range for every type, so their charts line up) × every
    channel, zeros included: answers_by_customer_type_topic_month with the topics summed (a few
    thousand rows; reading the customers' months again would cost a second at a million
    interactions). -#}
with

by_type_topic_month as (

    select * from {{ ref('answers_by_customer_type_topic_month') }}

),

final as (

    select
        customer_type,
        month_index,
        calendar_month,
        channel,
        display_order,
        cast(sum(interaction_count) as bigint) as interaction_count

    from by_type_topic_month
    group by 1, 2, 3, 4, 5

)

select * from final
