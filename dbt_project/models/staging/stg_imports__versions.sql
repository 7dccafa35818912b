with

source as (

    select * from {{ source('imports', 'raw_data_versions') }}

),

renamed as (

    select
        file_name,
        file_sha256,
        cast(trim(version) as bigint) as version,
        cast(trim(interactions_counted) as bigint) as interactions_counted,
        cast(trim(rows_quarantined) as bigint) as rows_quarantined,
        cast(trim(imported_at) as timestamp) as imported_at,
        coalesce(note, '') as note

    from source

)

select * from renamed
