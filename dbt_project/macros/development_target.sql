{#- A development target: a name ending in _dev (duckdb_dev, postgres_dev, spark_dev; the
    default target of a plain `dbt build`, profiles.yml). It builds schemas of its own (*_dev)
    and grants the API nothing. dbt_project.yml's grants config states the same rule inline
    (macros do not run there). -#}
{% macro is_development_target() -%}
    {{ return(target.name.endswith('_dev')) }}
{%- endmacro %}
