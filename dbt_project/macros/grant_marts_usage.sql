{#- The grants config gives the API role SELECT on each mart; the role also needs USAGE on
    the marts schema, and nothing on raw or staging. Run at the end of every dbt run on a live
    PostgreSQL target; a development target (*_dev) grants nothing. -#}
{% macro grant_marts_usage() -%}
    {%- if target.type == 'postgres' and not is_development_target() and execute -%}
        grant usage on schema {{ generate_schema_name('marts', none) }} to {{ var('api_role') }};
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
