with

customers as (

    select * from {{ ref('int_customers_checked') }}

),

interactions as (

    select * from {{ ref('fct_interactions') }}

),

listed_customers as (

    select
        customer_id,
        coalesce(occupation, 'Unknown') as occupation,
        coalesce(customer_type, 'Unknown') as customer_type

    from customers
    where quarantine_reason is null

),

interaction_totals as (

    select
        customer_id,
        count(*) as interaction_count

    from interactions
    group by 1

),

unlisted_customers as (

    select
        interaction_totals.customer_id,
        'Unknown' as occupation,
        'Unknown' as customer_type

    from interaction_totals
    left join listed_customers
        on interaction_totals.customer_id = listed_customers.customer_id
    where listed_customers.customer_id is null

),

all_customers as (

    select
        customer_id,
        occupation,
        customer_type,
        true as is_in_customer_sheet
    from listed_customers

    union all

    select
        customer_id,
        occupation,
        customer_type,
        false as is_in_customer_sheet
    from unlisted_customers

),

final as (

    select
        all_customers.customer_id,
        all_customers.occupation,
        all_customers.customer_type,
        all_customers.is_in_customer_sheet,
        coalesce(interaction_totals.interaction_count, 0) as interaction_count

    from all_customers
    left join interaction_totals
        on all_customers.customer_id = interaction_totals.customer_id

)

select * from final
