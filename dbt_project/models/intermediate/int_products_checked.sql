with

products as (

    select * from {{ ref('stg_workbook__products') }}

),

checked as (

    select
        *,
        case
            when is_blank_row then 'blank row'
            when product_month is null then 'unparseable month'
            when product is null then 'missing product'
            when
                {{ fold_case('product') }} = {{ fold_case("'" ~ var('unknown_topic') ~ "'") }}
                then 'reserved product name'
        end as quarantine_reason

    from products

)

select * from checked
