{#- The order a table shaped for lookups is stored in (an ORDER BY of the model's final select,
    by column names). On DuckDB a lookup of one key then reads one block of the table and
    skips the others by their min/max (1M interactions: a customer's topics in 1.2 ms instead
    of 2.5 ms). PostgreSQL finds the rows through the mart's index, where sorting a million
    rows would only add a second to the build, and the API never reads Spark: no order there. -#}
{% macro lookup_order(columns) -%}
    {{ return(adapter.dispatch('lookup_order', 'interactions')(columns)) }}
{%- endmacro %}

{% macro default__lookup_order(columns) -%}
{%- endmacro %}

{% macro duckdb__lookup_order(columns) -%}
    order by {{ columns | join(', ') }}
{%- endmacro %}
