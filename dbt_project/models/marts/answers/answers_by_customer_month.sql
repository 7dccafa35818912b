{#- The answer of GET /api/v1/interactions/{customer_id}/monthly: a view, computed for the one
    customer asked about (the grid of every customer's months would hold tens of millions of
    rows at a million interactions). Every month from the customer's first interaction to
    their last × every channel, zeros included. -#}
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

counts as (

    select
        customer_id,
        month_index,
        channel,
        sum(interaction_count) as interaction_count

    from by_month
    group by 1, 2, 3

),

spans as (

    select
        customer_id,
        min(month_index) as first_index,
        max(month_index) as last_index

    from by_month
    group by 1

),

grid as (

    select
        spans.customer_id,
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
        grid.month_index,
        grid.calendar_month,
        grid.channel,
        grid.display_order,
        cast(coalesce(counts.interaction_count, 0) as bigint) as interaction_count

    from grid
    left join counts
        on
            grid.customer_id = counts.customer_id
            and grid.month_index = counts.month_index
            and grid.channel = counts.channel

)

select * from final
