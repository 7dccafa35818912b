with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

aggregated as (

    select
        customer_id,
        channel,
        topic,
        count(*) as interaction_count

    from interactions
    group by 1, 2, 3

)

select * from aggregated
