{{ config(severity='warn') }}
-- A finding, not an error: interactions in a month with no product of discussion get the
-- topic 'Unknown'. Warns with their count so the build reports it.
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

without_topic as (

    select
        interaction_id,
        customer_id,
        channel,
        interaction_month

    from interactions
    where is_without_topic

)

select * from without_topic
