with

source as (

    select * from {{ ref('raw_external_interactions') }}

),

landed as (

    select
        {{ landed_row_number() }} as source_row_number,
        date_start as started_at_text,
        interaction as channel_text,
        customers as customer_id_text,
        {{ clean_text('date_start') }} as started_at_trimmed,
        {{ clean_text('interaction') }} as channel_trimmed,
        {{ clean_text('customers') }} as customer_id_trimmed

    from source
    {{ evaluate_once() }}

),

cleaned as (

    select
        source_row_number,
        started_at_text,
        channel_text,
        customer_id_text,
        {{ blank_text('started_at_trimmed') }} as started_at_cleaned,
        {{ blank_text('channel_trimmed') }} as channel_cleaned,
        {{ blank_text('customer_id_trimmed') }} as customer_id_cleaned,
        {{ datetime_fixed_text('started_at_trimmed', var('interaction_datetime_format')) }}
            as started_at_fixed

    from landed
    {{ evaluate_once() }}

),

date_fields as (

    select
        *,
        {{ datetime_fields('started_at_fixed', var('interaction_datetime_format'), 'started_at') }}

    from cleaned
    {{ evaluate_once() }}

),

renamed as (

    select
        source_row_number,
        {{ to_whole_number('customer_id_cleaned') }} as customer_id,
        customer_id_text,
        customer_id_cleaned,
        started_at_text,
        channel_text,
        channel_cleaned,
        coalesce(started_at_cleaned, channel_cleaned, customer_id_cleaned) is null as is_blank_row,
        {{ timestamp_from_fields('started_at') }} as started_at

    from date_fields

)

select * from renamed
