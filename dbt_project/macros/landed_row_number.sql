{#- Each row's position in its landed (seed) table, 1 first: the row of the sheet it came from.
    PostgreSQL and DuckDB number a freshly loaded table in load order with `over ()`; Spark
    requires an ordered window (a single-file seed table scans in load order) and numbers rows
    with an int, so it casts to the bigint the other warehouses give. -#}
{% macro landed_row_number() -%}
    {{ return(adapter.dispatch('landed_row_number', 'interactions')()) }}
{%- endmacro %}

{% macro default__landed_row_number() -%}
    row_number() over ()
{%- endmacro %}

{% macro spark__landed_row_number() -%}
    cast(row_number() over (order by monotonically_increasing_id()) as bigint)
{%- endmacro %}
