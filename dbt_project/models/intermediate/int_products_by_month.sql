with

products as (

    select * from {{ ref('int_products_checked') }}

),

usable as (

    select distinct
        product as topic,
        product_month

    from products
    where quarantine_reason is null

)

select * from usable
