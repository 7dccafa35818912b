{{ config(severity='warn') }}
-- A finding, not an error: customers with interactions who are missing from the Customers
-- sheet. They are counted, with occupation and type 'Unknown'.
select * from {{ ref('dim_customers') }}
where not is_in_customer_sheet
