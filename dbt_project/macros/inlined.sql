{#- A CTE that is a view's import of a table, read more than once: `with x as {{ inlined() }}
    (select ...)`. PostgreSQL and DuckDB would otherwise compute such a CTE once, whole, before
    the view's filter applies (a view of one customer's rows would read every customer's);
    inlined, the filter reaches the table's index or min/max. Spark always inlines. -#}
{% macro inlined() -%}
    {{ return(adapter.dispatch('inlined', 'interactions')()) }}
{%- endmacro %}

{% macro default__inlined() -%}
    not materialized
{%- endmacro %}

{% macro spark__inlined() -%}
{%- endmacro %}

{#- A model a view reads, named without its database: DuckDB keeps a view's SQL as written and
    resolves the names in it within the view's own database file, which the API attaches under
    a name of its own (api/warehouse.py); the file's name at build time must not be in it. -#}
{% macro view_ref(model_name) -%}
    {{ return(ref(model_name).include(database=False)) }}
{%- endmacro %}
