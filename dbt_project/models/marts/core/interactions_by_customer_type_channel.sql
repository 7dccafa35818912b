with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

aggregated as (

    select
        customers.customer_type,
        interactions.channel,
        interactions.topic,
        count(*) as interaction_count

    from interactions
    inner join customers
        on interactions.customer_id = customers.customer_id
    group by 1, 2, 3

)

select * from aggregated
