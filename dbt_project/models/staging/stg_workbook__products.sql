with

source as (

    select * from {{ ref('raw_products_of_discussion') }}

),

renamed as (

    select
        {{ landed_row_number() }} as source_row_number,
        date as month_text,
        nullif(trim(product), '') as product,
        coalesce(trim(date), '') = ''
        and coalesce(trim(product), '') = '' as is_blank_row,
        cast({{ parse_datetime('date', var('product_month_format')) }} as date) as product_month

    from source

)

select * from renamed
