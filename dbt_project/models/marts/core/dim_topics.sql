with

products_by_month as (

    select * from {{ ref('int_products_by_month') }}

),

products as (

    select
        topic,
        false as is_unknown,
        count(*) as month_count

    from products_by_month
    group by 1

),

unknown_topic as (

    select
        '{{ var("unknown_topic") }}' as topic,
        0 as month_count,
        true as is_unknown

),

final as (

    select
        topic,
        month_count,
        is_unknown
    from products
    union all
    select
        topic,
        month_count,
        is_unknown
    from unknown_topic

)

select * from final
