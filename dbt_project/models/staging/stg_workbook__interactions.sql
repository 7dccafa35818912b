with

source as (

    select * from {{ ref('raw_external_interactions') }}

),

renamed as (

    select
        {{ landed_row_number() }} as source_row_number,
        {{ to_whole_number('customers') }} as customer_id,
        customers as customer_id_text,
        date_start as started_at_text,
        interaction as channel_text,
        lower(trim(interaction)) as channel_key,
        coalesce(trim(date_start), '') = ''
        and coalesce(trim(interaction), '') = ''
        and coalesce(trim(customers), '') = '' as is_blank_row,
        {{ parse_datetime('date_start', var('interaction_datetime_format')) }} as started_at

    from source

)

select * from renamed
