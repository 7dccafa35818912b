with

source as (

    select * from {{ ref('channels') }}

),

trimmed as (

    select
        {{ clean_text('display_order') }} as display_order,
        {{ clean_text('channel') }} as channel,
        aliases

    from source

),

renamed as (

    select
        cast(display_order as integer) as display_order,
        channel,
        aliases

    from trimmed

)

select * from renamed
