{{ config(severity='error') }}
-- depends_on: {{ ref('int_products_checked') }}
-- Two different products for one month is a data error: the month's topic would be ambiguous.
-- Fails the build naming each such month, its products and their rows of the sheet (numbered as
-- source_row_number: 1 is the first row under the header). The rows are read while dbt build
-- or dbt test runs this test, once the products are built; the query below fails it too.
{%- if execute and flags.WHICH in ('build', 'test') %}
    {%- set conflicts = run_query(
        "select products_by_month.product_month, products.product, products.source_row_number"
        ~ " from " ~ ref('int_products_by_month') ~ " as products_by_month"
        ~ " inner join " ~ ref('int_products_checked') ~ " as products"
        ~ " on products_by_month.product_month = products.product_month"
        ~ " and products_by_month.topic = products.product"
        ~ " where products.quarantine_reason is null and products_by_month.product_month in ("
        ~ "select product_month from " ~ ref('int_products_by_month')
        ~ " group by product_month having count(*) > 1)"
        ~ " order by 1, 3"
    ) -%}
    {%- if conflicts.rows | length > 0 -%}
        {%- set months = {} -%}
        {%- for month, product, row_number in conflicts.rows -%}
            {%- set key = month.strftime('%m-%Y') -%}
            {%- do months.setdefault(key, []).append("row " ~ row_number ~ " '" ~ product ~ "'") -%}
        {%- endfor -%}
        {%- set lines = [] -%}
        {%- for month, rows in months.items() -%}
            {%- do lines.append("month " ~ month ~ ": " ~ rows | join(', ')) -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(
            "Products of discussion: a month has more than one product, so its topic is ambiguous"
            ~ " (rows numbered from 1, the first row under the header): " ~ lines | join('; ')
            ~ ". Keep one product per month."
        ) }}
    {%- endif -%}
{%- endif %}
with

products_by_month as (

    select * from {{ ref('int_products_by_month') }}

),

ambiguous_months as (

    select
        product_month,
        count(*) as product_count,
        min(topic) as first_product,
        max(topic) as last_product

    from products_by_month
    group by 1
    having count(*) > 1

)

select * from ambiguous_months
