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
        'customers' as sheet_name,
        source_row_number,
        quarantine_reason,
        {{ dbt.concat([
            "'Customer_Id='", "coalesce(customer_id_text, '')",
            "'; Occupation='", "coalesce(occupation, '')",
            "'; Type='", "coalesce(customer_type, '')",
        ]) }} as row_values

    from customers
    where quarantine_reason is not null

),

quarantined_interactions as (

    select
        'interactions' as sheet_name,
        source_row_number,
        quarantine_reason,
        {{ dbt.concat([
            "'Date Start='", "coalesce(started_at_text, '')",
            "'; Interaction='", "coalesce(channel_text, '')",
            "'; Customers='", "coalesce(customer_id_text, '')",
        ]) }} as row_values

    from interactions
    where quarantine_reason is not null

),

quarantined_products as (

    select
        'products' as sheet_name,
        source_row_number,
        quarantine_reason,
        {{ dbt.concat([
            "'Date='", "coalesce(month_text, '')",
            "'; Product='", "coalesce(product, '')",
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
