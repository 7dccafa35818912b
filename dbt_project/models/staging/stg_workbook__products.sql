with

source as (

    select * from {{ ref('raw_products_of_discussion') }}

),

landed as (

    select
        {{ landed_row_number() }} as source_row_number,
        date as month_text,
        product as product_text,
        {{ clean_text('date') }} as month_trimmed,
        {{ clean_text('product') }} as product_trimmed

    from source
    {{ evaluate_once() }}

),

cleaned as (

    select
        source_row_number,
        month_text,
        product_text,
        {{ blank_text('month_trimmed') }} as month_cleaned,
        {{ blank_text('product_trimmed') }} as product,
        {{ datetime_fixed_text('month_trimmed', var('product_month_format')) }} as month_fixed

    from landed
    {{ evaluate_once() }}

),

month_fields as (

    select
        *,
        {{ datetime_fields('month_fixed', var('product_month_format'), 'month') }}

    from cleaned
    {{ evaluate_once() }}

),

renamed as (

    select
        source_row_number,
        month_text,
        product_text,
        product,
        coalesce(month_cleaned, product) is null as is_blank_row,
        cast({{ timestamp_from_fields('month') }} as date) as product_month

    from month_fields

)

select * from renamed
