with

source as (

    select * from {{ ref('raw_customers') }}

),

renamed as (

    select
        {{ landed_row_number() }} as source_row_number,
        {{ to_whole_number('customer_id') }} as customer_id,
        customer_id as customer_id_text,
        nullif(trim(occupation), '') as occupation,
        nullif(trim(type), '') as customer_type,
        coalesce(trim(customer_id), '') = ''
        and coalesce(trim(occupation), '') = ''
        and coalesce(trim(type), '') = '' as is_blank_row

    from source

)

select * from renamed
