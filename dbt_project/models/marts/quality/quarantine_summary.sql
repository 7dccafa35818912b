{#- How many rows each sheet quarantined for each reason: the import's summary and
    GET /api/v1/data-quality read it. -#}
with

quarantined as (

    select * from {{ ref('quarantined_rows') }}

),

final as (

    select
        sheet_name,
        quarantine_reason,
        count(*) as rows_quarantined

    from quarantined
    group by 1, 2

)

select * from final
