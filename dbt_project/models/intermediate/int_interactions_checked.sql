with

interactions as (

    select * from {{ ref('stg_workbook__interactions') }}

),

channel_lookup as (

    select * from {{ ref('int_channel_lookup') }}

),

products_by_month as (

    select * from {{ ref('int_products_by_month') }}

),

spellings as (

    select distinct channel_cleaned

    from interactions
    where channel_cleaned is not null

),

channel_of_spelling as (

    select
        spellings.channel_cleaned,
        channel_lookup.channel

    from spellings
    inner join channel_lookup
        on {{ fold_case('spellings.channel_cleaned') }} = channel_lookup.lookup_key

),

with_month as (

    select
        *,
        cast({{ dbt.date_trunc('month', 'started_at') }} as date) as interaction_month

    from interactions

),

matched as (

    select
        with_month.source_row_number,
        with_month.customer_id,
        channel_of_spelling.channel,
        with_month.customer_id_text,
        with_month.started_at_text,
        with_month.channel_text,
        with_month.is_blank_row,
        with_month.interaction_month,
        with_month.started_at,
        coalesce(products_by_month.topic, '{{ var("unknown_topic") }}') as topic,
        products_by_month.topic is null as is_without_topic,
        case
            when with_month.is_blank_row then 'blank row'
            when with_month.started_at is null then 'unparseable date'
            when
                with_month.started_at
                < cast('{{ var("earliest_interaction_date") }}' as timestamp)
                or with_month.started_at
                >= cast('{{ var("latest_interaction_date") }}' as timestamp)
                then 'date out of range'
            when with_month.customer_id_cleaned is null then 'missing customer id'
            when
                with_month.customer_id is null or with_month.customer_id = 0
                then 'invalid customer id'
            when with_month.channel_cleaned is null then 'missing channel'
            when channel_of_spelling.channel is null then 'unknown channel'
        end as quarantine_reason

    from with_month
    left join channel_of_spelling
        on with_month.channel_cleaned = channel_of_spelling.channel_cleaned
    left join products_by_month
        on with_month.interaction_month = products_by_month.product_month

)

select * from matched
