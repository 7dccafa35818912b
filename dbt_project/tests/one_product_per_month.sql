{{ config(severity='error') }}
-- Two different products for one month is a data error: the month's topic would be ambiguous.
-- Fails the build listing each such month and its products.
with

products_by_month as (

    select * from {{ ref('int_products_by_month') }}

),

ambiguous_months as (

    select
        product_month,
        count(*) as product_count,
        min(topic) as first_product,
        max(topic) as last_product

    from products_by_month
    group by 1
    having count(*) > 1

)

select * from ambiguous_months
