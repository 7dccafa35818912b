with

interactions as (

    select * from {{ ref('int_interactions_checked') }}

),

counted as (

    select
        source_row_number as interaction_id,
        customer_id,
        channel,
        topic,
        is_without_topic,
        interaction_month,
        started_at as interaction_started_at

    from interactions
    where quarantine_reason is null

)

select * from counted
