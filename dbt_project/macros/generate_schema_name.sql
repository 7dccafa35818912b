{#- Use the configured schema names (raw, staging, marts) as they are on every target, so the
    API and the grants always find the marts in `marts`. A build that must go live atomically
    (interactions build/import on PostgreSQL) sets DBT_SCHEMA_SUFFIX, builds into raw__next,
    staging__next and marts__next, and swaps them in when every test has passed. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set base = target.schema if custom_schema_name is none else custom_schema_name | trim -%}
    {{ base ~ env_var('DBT_SCHEMA_SUFFIX', '') }}
{%- endmacro %}
