{#- Per sheet: rows landed (staging), rows counted (marts) and rows quarantined, each from
    its own model, so the reconciliation test compares independent counts. -#}
with

landed_customers as (

    select count(*) as row_count from {{ ref('stg_workbook__customers') }}

),

landed_interactions as (

    select count(*) as row_count from {{ ref('stg_workbook__interactions') }}

),

landed_products as (

    select count(*) as row_count from {{ ref('stg_workbook__products') }}

),

counted_customers as (

    select count(*) as row_count from {{ ref('dim_customers') }}
    where is_in_customer_sheet

),

counted_interactions as (

    select count(*) as row_count from {{ ref('fct_interactions') }}

),

counted_products as (

    select count(*) as row_count from {{ ref('int_products_checked') }}
    where quarantine_reason is null

),

quarantined as (

    select * from {{ ref('quarantined_rows') }}

),

landed as (

    select
        {{ sheet_in_marts('raw_customers') }} as sheet_name,
        row_count
    from landed_customers
    union all
    select
        {{ sheet_in_marts('raw_external_interactions') }} as sheet_name,
        row_count
    from landed_interactions
    union all
    select
        {{ sheet_in_marts('raw_products_of_discussion') }} as sheet_name,
        row_count
    from landed_products

),

counted as (

    select
        {{ sheet_in_marts('raw_customers') }} as sheet_name,
        row_count
    from counted_customers
    union all
    select
        {{ sheet_in_marts('raw_external_interactions') }} as sheet_name,
        row_count
    from counted_interactions
    union all
    select
        {{ sheet_in_marts('raw_products_of_discussion') }} as sheet_name,
        row_count
    from counted_products

),

quarantined_per_sheet as (

    select
        sheet_name,
        count(*) as row_count

    from quarantined
    group by 1

),

final as (

    select
        landed.sheet_name,
        landed.row_count as rows_landed,
        counted.row_count as rows_counted,
        coalesce(quarantined_per_sheet.row_count, 0) as rows_quarantined

    from landed
    inner join counted
        on landed.sheet_name = counted.sheet_name
    left join quarantined_per_sheet
        on landed.sheet_name = quarantined_per_sheet.sheet_name

)

select * from final
