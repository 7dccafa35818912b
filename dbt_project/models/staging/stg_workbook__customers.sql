with

source as (

    select * from {{ ref('raw_customers') }}

),

cleaned as (

    select
        {{ landed_row_number() }} as source_row_number,
        customer_id as customer_id_text,
        {{ clean_text('customer_id') }} as customer_id_cleaned,
        {{ clean_text('occupation') }} as occupation,
        {{ clean_text('type') }} as customer_type

    from source
    {{ evaluate_once() }}

),

renamed as (

    select
        source_row_number,
        {{ to_whole_number('customer_id_cleaned') }} as customer_id,
        customer_id_text,
        customer_id_cleaned,
        occupation,
        customer_type,
        coalesce(customer_id_cleaned, occupation, customer_type) is null as is_blank_row

    from cleaned

)

select * from renamed
