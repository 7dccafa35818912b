with

source as (

    select * from {{ ref('channels') }}

),

renamed as (

    select
        cast({{ clean_text('display_order') }} as integer) as display_order,
        {{ clean_text('channel') }} as channel,
        aliases

    from source

)

select * from renamed
