with

channels as (

    select * from {{ ref('stg_reference__channels') }}

),

final as (

    select
        channel,
        aliases,
        display_order

    from channels

)

select * from final
