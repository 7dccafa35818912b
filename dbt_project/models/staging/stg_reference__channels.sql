with

source as (

    select * from {{ ref('channels') }}

),

renamed as (

    select
        cast(trim(display_order) as integer) as display_order,
        trim(channel) as channel,
        coalesce(trim(aliases), '') as aliases

    from source

)

select * from renamed
