{#- The answer of GET /api/v1/interactions/by-customer-type/monthly: every customer type ×
    every month of dim_months (one range for every type, so their charts line up) × every
    channel, zeros included. -#}
with

customers as (

    select * from {{ ref('dim_customers') }}

),

by_month as (

    select * from {{ ref('interactions_by_customer_month') }}

),

months as (

    select * from {{ ref('dim_months') }}

),

channels as (

    select * from {{ ref('dim_channels') }}

),

customer_types as (

    select distinct customer_type

    from customers

),

counts as (

    select
        customers.customer_type,
        by_month.month_index,
        by_month.channel,
        sum(by_month.interaction_count) as interaction_count

    from by_month
    inner join customers
        on by_month.customer_id = customers.customer_id
    group by 1, 2, 3

),

final as (

    select
        customer_types.customer_type,
        months.month_index,
        months.calendar_month,
        channels.channel,
        channels.display_order,
        cast(coalesce(counts.interaction_count, 0) as bigint) as interaction_count

    from customer_types
    cross join months
    cross join channels
    left join counts
        on
            customer_types.customer_type = counts.customer_type
            and months.month_index = counts.month_index
            and channels.channel = counts.channel

)

select * from final
