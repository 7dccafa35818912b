with

source as (

    select * from {{ ref('raw_products_of_discussion') }}

),

cleaned as (

    select
        {{ landed_row_number() }} as source_row_number,
        date as month_text,
        {{ clean_text('date') }} as month_cleaned,
        {{ clean_text('product') }} as product

    from source
    {{ evaluate_once() }}

),

read_months as (

    select
        *,
        {{ datetime_digits('month_cleaned', var('product_month_format')) }} as month_digits

    from cleaned
    {{ evaluate_once() }}

),

renamed as (

    select
        source_row_number,
        month_text,
        product,
        coalesce(month_cleaned, product) is null as is_blank_row,
        cast({{ timestamp_from_digits('month_digits') }} as date) as product_month

    from read_months

)

select * from renamed
