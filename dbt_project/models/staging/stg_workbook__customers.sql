with

source as (

    select * from {{ ref('raw_customers') }}

),

landed as (

    select
        {{ landed_row_number() }} as source_row_number,
        customer_id as customer_id_text,
        occupation as occupation_text,
        type as customer_type_text,
        {{ clean_text('customer_id') }} as customer_id_trimmed,
        {{ clean_text('occupation') }} as occupation_trimmed,
        {{ clean_text('type') }} as customer_type_trimmed

    from source
    {{ evaluate_once() }}

),

cleaned as (

    select
        source_row_number,
        customer_id_text,
        occupation_text,
        customer_type_text,
        {{ blank_text('customer_id_trimmed') }} as customer_id_cleaned,
        {{ blank_text('occupation_trimmed') }} as occupation,
        {{ blank_text('customer_type_trimmed') }} as customer_type

    from landed
    {{ evaluate_once() }}

),

renamed as (

    select
        source_row_number,
        {{ to_whole_number('customer_id_cleaned') }} as customer_id,
        customer_id_text,
        occupation_text,
        customer_type_text,
        customer_id_cleaned,
        occupation,
        customer_type,
        coalesce(customer_id_cleaned, occupation, customer_type) is null as is_blank_row

    from cleaned

)

select * from renamed
