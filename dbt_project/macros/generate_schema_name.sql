{#- Use the configured schema names (raw, staging, marts) as they are on the live targets, so
    the API and the grants always find the marts in `marts`. A build that must go live
    atomically (interactions build/import/rollback on PostgreSQL) sets DBT_SCHEMA_SUFFIX,
    builds into raw__next, staging__next and marts__next, and swaps them in when every test has
    passed. A development target (a name ending in _dev, the default of a plain `dbt build`)
    builds raw_dev, staging_dev and marts_dev, which nothing serves. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set base = target.schema if custom_schema_name is none else custom_schema_name | trim -%}
    {%- set development = '_dev' if is_development_target() else '' -%}
    {{ base ~ development ~ env_var('DBT_SCHEMA_SUFFIX', '') }}
{%- endmacro %}
