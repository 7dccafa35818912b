{#- Marts go live with planner statistics. On PostgreSQL each mart is analysed as soon as it is
    built (a post-hook), so long before the build's schemas are swapped in: the API's first
    query of a new build plans with the real row counts and value distributions, not a guess
    (a fresh table has none: at a million rows the planner guessed 340,000 rows for one
    customer and paid for JIT compilation on every request). DuckDB keeps a table's statistics
    as it writes it, and the API never reads Spark's marts: nothing to do there. -#}
{% macro analyze_table(relation) -%}
    {{ return(adapter.dispatch('analyze_table', 'interactions')(relation)) }}
{%- endmacro %}

{% macro default__analyze_table(relation) -%}
{%- endmacro %}

{% macro postgres__analyze_table(relation) -%}
    analyze {{ relation }}
{%- endmacro %}
