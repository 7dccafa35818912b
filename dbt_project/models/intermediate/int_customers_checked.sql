with

customers as (

    select * from {{ ref('stg_workbook__customers') }}

),

numbered as (

    select
        *,
        row_number() over (
            partition by customer_id order by source_row_number
        ) as occurrence_of_customer_id

    from customers

),

checked as (

    select
        source_row_number,
        customer_id,
        customer_id_text,
        occupation_text,
        customer_type_text,
        occupation,
        customer_type,
        is_blank_row,
        case
            when is_blank_row then 'blank row'
            when customer_id_cleaned is null then 'missing customer id'
            when customer_id is null or customer_id = 0 then 'invalid customer id'
            when occurrence_of_customer_id > 1 then 'duplicate customer id'
        end as quarantine_reason

    from numbered

)

select * from checked
