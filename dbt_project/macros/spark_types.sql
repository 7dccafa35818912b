{#- Spark: the project's portable type names (the contracts' `text`, `integer`,
    `timestamp with time zone`) as Spark SQL types wherever dbt casts to a declared type: the
    contract check casts null to each column's declared type. Spark has no `text` type and
    one timestamp type (UTC here, spark.sql.session.timeZone). -#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ interactions.spark_type(type) }})
{%- endmacro %}

{% macro spark_type(type) -%}
    {%- set spark_names = {
        'text': 'string',
        'integer': 'int',
        'timestamp with time zone': 'timestamp',
        'timestamptz': 'timestamp',
    } -%}
    {{ return(spark_names.get(type | trim | lower, type)) }}
{%- endmacro %}
