{#- The counted interactions per customer, month, topic and channel (only what happened: no
    zeros). The monthly answers zero-fill it (answers_by_customer_month and the others).
    Stored in customer order on DuckDB (macro lookup_order). -#}
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

aggregated as (

    select
        customer_id,
        {{ month_index('interaction_month') }} as month_index,
        topic,
        channel,
        count(*) as interaction_count

    from interactions
    group by 1, 2, 3, 4

),

final as (

    select
        customer_id,
        month_index,
        topic,
        channel,
        cast(interaction_count as bigint) as interaction_count

    from aggregated

)

select * from final
{{ lookup_order(['customer_id', 'month_index']) }}
