{#- Every kept version of the data, and which one this build is (var data_version): the API's
    /api/v1/versions. The figures of the version being built come from this build itself; the
    others' from when they were last built. -#}
with

versions as (

    select * from {{ ref('stg_imports__versions') }}

),

interactions as (

    select * from {{ ref('fct_interactions') }}

),

reconciliation as (

    select * from {{ ref('sheet_reconciliation') }}

),

this_build as (

    select
        (select count(*) as interaction_count from interactions) as interactions_counted,
        (
            select sum(rows_quarantined) as quarantined_count from reconciliation
        ) as rows_quarantined

),

final as (

    select
        versions.version,
        versions.file_name,
        versions.file_sha256,
        versions.note,
        cast(
            case
                when versions.version = {{ var('data_version') }}
                    then this_build.interactions_counted
                else versions.interactions_counted
            end as bigint
        ) as interactions_counted,
        cast(
            case
                when versions.version = {{ var('data_version') }}
                    then this_build.rows_quarantined
                else versions.rows_quarantined
            end as bigint
        ) as rows_quarantined,
        versions.version = {{ var('data_version') }} as is_live,
        versions.imported_at

    from versions
    cross join this_build

)

select * from final
