with

source as (

    select * from {{ ref('raw_external_interactions') }}

),

cleaned as (

    select
        {{ landed_row_number() }} as source_row_number,
        date_start as started_at_text,
        interaction as channel_text,
        customers as customer_id_text,
        {{ clean_text('date_start') }} as started_at_cleaned,
        {{ clean_text('interaction') }} as channel_cleaned,
        {{ clean_text('customers') }} as customer_id_cleaned

    from source
    {{ evaluate_once() }}

),

read_dates as (

    select
        *,
        {{ datetime_digits('started_at_cleaned', var('interaction_datetime_format')) }}
            as started_at_digits

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
        {{ fold_case('channel_cleaned') }} as channel_key,
        coalesce(started_at_cleaned, channel_cleaned, customer_id_cleaned) is null as is_blank_row,
        {{ timestamp_from_digits('started_at_digits') }} as started_at

    from read_dates

)

select * from renamed
