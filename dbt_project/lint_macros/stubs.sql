{#- Stand-ins for this project's macros, used only by sqlfluff's jinja templater (dbt never
    reads this folder): each renders a plausible expression of the same shape. -#}
{% macro to_whole_number(expression) %}cast({{ expression }} as bigint){% endmacro %}
{% macro parse_datetime(expression, format) %}cast({{ expression }} as timestamp){% endmacro %}
{% macro regexp_like(expression, pattern) %}({{ expression }} ~ '{{ pattern }}'){% endmacro %}
{% macro landed_row_number() %}row_number() over (){% endmacro %}
