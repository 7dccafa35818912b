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
        started_at as interaction_started_at,
        {{ sheet_row_number('source_row_number', 'interactions') }} as sheet_row_number,
        started_at_text,
        channel_text,
        customer_id_text

    from interactions
    where quarantine_reason is null

),

keyed as (

    select
        *,
        {{ dbt.concat([
            dbt.cast('interaction_started_at', dbt.type_string()),
            "'|'", 'channel',
            "'|'", dbt.cast('customer_id', dbt.type_string()),
            "'|'", dbt.cast(
                'row_number() over (partition by interaction_started_at, channel, customer_id'
                ~ ' order by interaction_id)',
                dbt.type_string())
        ]) }} as interaction_key

    from counted

)

select * from keyed
{{ lookup_order(['customer_id', 'sheet_row_number']) }}
