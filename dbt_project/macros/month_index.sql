{#- A month as a whole number, year × 12 + month - 1 (October 2019: 24237), so that months
    are consecutive integers on every engine; and back: the month's text 'YYYY-MM' and its first
    day. One rule for the monthly answers (dim_months, interactions_by_customer_month). -#}
{% macro month_index(month_start) -%}
    cast(
        extract(year from {{ month_start }}) * 12 + extract(month from {{ month_start }}) - 1
        as integer
    )
{%- endmacro %}

{% macro month_of_index_year(index) -%}
    cast(floor({{ index }} / 12.0) as integer)
{%- endmacro %}

{% macro month_of_index_month(index) -%}
    cast({{ index }} - 12 * floor({{ index }} / 12.0) + 1 as integer)
{%- endmacro %}

{% macro month_text(index) -%}
    {{ dbt.concat([
        dbt.cast(month_of_index_year(index), dbt.type_string()),
        "'-'",
        "lpad(" ~ dbt.cast(month_of_index_month(index), dbt.type_string()) ~ ", 2, '0')",
    ]) }}
{%- endmacro %}

{% macro month_start(index) -%}
    make_date({{ month_of_index_year(index) }}, {{ month_of_index_month(index) }}, 1)
{%- endmacro %}
