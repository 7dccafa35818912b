{#- Customers across the kept versions up to this one (var data_version): one row per run of
    consecutive versions in which a customer had the same occupation and type. "Since which
    export is customer 3 Blue?" is the first_version of its row with is_current. -#}
with

earlier_versions as (

    select * from {{ ref('stg_imports__customer_versions') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

served as (

    select
        customer_id,
        version,
        occupation,
        customer_type

    from earlier_versions
    where version < {{ var('data_version') }}

    union all

    select
        customer_id,
        cast({{ var('data_version') }} as bigint) as version,
        occupation,
        customer_type

    from customers

),

version_ranks as (

    select
        version,
        dense_rank() over (order by version) as version_rank

    from (select distinct version from served) as versions

),

ranked as (

    select
        served.customer_id,
        served.version,
        served.occupation,
        served.customer_type,
        version_ranks.version_rank

    from served
    inner join version_ranks
        on served.version = version_ranks.version

),

runs as (

    select
        *,
        version_rank - row_number() over (
            partition by customer_id, occupation, customer_type
            order by version_rank
        ) as run_number

    from ranked

),

grouped as (

    select
        customer_id,
        occupation,
        customer_type,
        run_number,
        min(version) as first_version,
        max(version) as last_version

    from runs
    group by 1, 2, 3, 4

),

final as (

    select
        customer_id,
        occupation,
        customer_type,
        first_version,
        last_version,
        last_version = {{ var('data_version') }} as is_current

    from grouped

)

select * from final
