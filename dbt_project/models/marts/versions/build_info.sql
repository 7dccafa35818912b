{#- One row, built after every other mart (and after their tests pass, under dbt build):
    its built_at is the time of the last successful build, its data_version the version it
    made live. -#}
-- depends_on: {{ ref('data_versions') }}
-- depends_on: {{ ref('answers_by_customer') }}, {{ ref('answers_by_customer_topic') }}
-- depends_on: {{ ref('answers_by_customer_type') }}, {{ ref('answers_by_customer_type_topic') }}
-- depends_on: {{ ref('quarantine_summary') }}, {{ ref('quarantined_rows') }}
-- depends_on: {{ ref('answers_by_customer_month') }}, {{ ref('answers_by_customer_topic_month') }}
-- depends_on: {{ ref('answers_by_customer_type_month') }}
-- depends_on: {{ ref('answers_by_customer_type_topic_month') }}
-- depends_on: {{ ref('customer_versions') }}, {{ ref('dim_channels') }}, {{ ref('dim_months') }}
-- depends_on: {{ ref('dim_topics') }}, {{ ref('interactions_by_customer_month') }}
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

reconciliation as (

    select * from {{ ref('sheet_reconciliation') }}

),

by_customer_channel as (

    select * from {{ ref('interactions_by_customer_channel') }}

),

by_customer_type_channel as (

    select * from {{ ref('interactions_by_customer_type_channel') }}

),

interaction_figures as (

    select
        cast(coalesce(sum(case when is_without_topic then 1 else 0 end), 0) as bigint)
            as interactions_without_topic,
        count(*) as interactions_counted

    from interactions

),

customer_figures as (

    select
        cast(coalesce(sum(case when is_in_customer_sheet then 0 else 1 end), 0) as bigint)
            as customers_not_in_sheet

    from customers

),

reconciliation_figures as (

    select
        cast(sum(rows_landed) as bigint) as rows_landed,
        cast(sum(rows_quarantined) as bigint) as rows_quarantined

    from reconciliation

),

customer_channel_figures as (

    select sum(interaction_count) as customer_channel_total
    from by_customer_channel

),

customer_type_channel_figures as (

    select sum(interaction_count) as customer_type_channel_total
    from by_customer_type_channel

),

final as (

    select
        cast({{ var('data_version') }} as bigint) as data_version,
        interaction_figures.interactions_counted,
        interaction_figures.interactions_without_topic,
        customer_figures.customers_not_in_sheet,
        reconciliation_figures.rows_landed,
        reconciliation_figures.rows_quarantined,
        cast(coalesce(customer_channel_figures.customer_channel_total, 0) as bigint)
            as customer_channel_total,
        cast(coalesce(customer_type_channel_figures.customer_type_channel_total, 0) as bigint)
            as customer_type_channel_total,
        {{ dbt.current_timestamp() }} as built_at

    from interaction_figures
    cross join customer_figures
    cross join reconciliation_figures
    cross join customer_channel_figures
    cross join customer_type_channel_figures

)

select * from final
