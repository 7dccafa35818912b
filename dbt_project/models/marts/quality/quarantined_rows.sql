with

customers as (

    select * from {{ ref('int_customers_checked') }}

),

interactions as (

    select * from {{ ref('int_interactions_checked') }}

),

products as (

    select * from {{ ref('int_products_checked') }}

),

quarantined_customers as (

    select
        {{ sheet_in_marts('raw_customers') }} as sheet_name,
        source_row_number,
        {{ sheet_row_number('source_row_number', 'customers') }} as sheet_row_number,
        quarantine_reason,
        customer_id_text as cell_1,
        occupation_text as cell_2,
        customer_type_text as cell_3,
        {{ sheet_row_values('raw_customers', [
            'customer_id_text', 'occupation', 'customer_type'
        ]) }} as row_values

    from customers
    where quarantine_reason is not null

),

quarantined_interactions as (

    select
        {{ sheet_in_marts('raw_external_interactions') }} as sheet_name,
        source_row_number,
        {{ sheet_row_number('source_row_number', 'interactions') }} as sheet_row_number,
        quarantine_reason,
        started_at_text as cell_1,
        channel_text as cell_2,
        customer_id_text as cell_3,
        {{ sheet_row_values('raw_external_interactions', [
            'started_at_text', 'channel_text', 'customer_id_text'
        ]) }} as row_values

    from interactions
    where quarantine_reason is not null

),

quarantined_products as (

    select
        {{ sheet_in_marts('raw_products_of_discussion') }} as sheet_name,
        source_row_number,
        {{ sheet_row_number('source_row_number', 'products') }} as sheet_row_number,
        quarantine_reason,
        month_text as cell_1,
        product_text as cell_2,
        cast(null as {{ dbt.type_string() }}) as cell_3,
        {{ sheet_row_values('raw_products_of_discussion', [
            'month_text', 'product'
        ]) }} as row_values

    from products
    where quarantine_reason is not null

),

final as (

    select * from quarantined_customers
    union all
    select * from quarantined_interactions
    union all
    select * from quarantined_products

)

select * from final
