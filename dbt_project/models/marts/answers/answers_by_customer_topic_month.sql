{#- The answer of GET /api/v1/interactions/{customer_id}/monthly?topic=: a view, computed for
    the one customer asked about, as answers_by_customer_month. Every month from the customer's
    first interaction about the topic to their last × every channel, zeros included; no row
    for a topic the customer never talked about. -#}
{{ config(materialized='view') }}

with

by_month as {{ inlined() }} (

    select * from {{ view_ref('interactions_by_customer_month') }}

),

months as (

    select * from {{ view_ref('dim_months') }}

),

channels as (

    select * from {{ view_ref('dim_channels') }}

),

spans as (

    select
        customer_id,
        topic,
        min(month_index) as first_index,
        max(month_index) as last_index

    from by_month
    group by 1, 2

),

grid as (

    select
        spans.customer_id,
        spans.topic,
        months.month_index,
        months.calendar_month,
        channels.channel,
        channels.display_order

    from spans
    inner join months
        on months.month_index between spans.first_index and spans.last_index
    cross join channels

),

final as (

    select
        grid.customer_id,
        grid.topic,
        grid.month_index,
        grid.calendar_month,
        grid.channel,
        grid.display_order,
        cast(coalesce(by_month.interaction_count, 0) as bigint) as interaction_count

    from grid
    left join by_month
        on
            grid.customer_id = by_month.customer_id
            and grid.topic = by_month.topic
            and grid.month_index = by_month.month_index
            and grid.channel = by_month.channel

)

select * from final
