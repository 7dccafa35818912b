with

source as (

    select * from {{ source('imports', 'raw_customer_versions') }}

),

renamed as (

    select
        cast(trim(customer_id) as bigint) as customer_id,
        cast(trim(version) as bigint) as version,
        occupation,
        customer_type

    from source

)

select * from renamed
