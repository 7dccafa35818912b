{#- Stand-ins for this project's macros, used only by sqlfluff's jinja templater (dbt never
    reads this folder): each renders a plausible expression of the same shape. -#}
{% macro to_whole_number(expression) %}cast({{ expression }} as bigint){% endmacro %}
{% macro clean_text(expression) %}nullif(trim({{ expression }}), ''){% endmacro %}
{% macro fold_case(expression) %}lower({{ expression }}){% endmacro %}
{% macro datetime_fixed_text(expression, format) %}substr({{ expression }}, 1, 16){% endmacro %}
{% macro datetime_fields(expression, format, prefix) %}cast(substr({{ expression }}, 1, 4) as int) as {{ prefix }}_year{% endmacro %}
{% macro timestamp_from_fields(prefix) %}cast({{ prefix }}_year as timestamp){% endmacro %}
{% macro regexp_full_match(expression, pattern) %}({{ expression }} ~ '{{ pattern }}'){% endmacro %}
{% macro split_to_rows(expression, delimiter) %}unnest(string_to_array({{ expression }}, '{{ delimiter }}')){% endmacro %}
{% macro evaluate_once() %}offset 0{% endmacro %}
{% macro sheet_in_marts(seed) %}'{{ seed }}'{% endmacro %}
{% macro sheet_row_values(seed, cells) %}{{ cells | join(' || ') }}{% endmacro %}
{% macro landed_row_number() %}row_number() over (){% endmacro %}
{% macro blank_text(column) %}nullif({{ column }}, 'null'){% endmacro %}
{% macro lookup_order(columns) %}order by {{ columns | join(', ') }}{% endmacro %}
{% macro month_index(expression) %}cast(extract(year from {{ expression }}) as integer){% endmacro %}
{% macro month_text(expression) %}cast({{ expression }} as text){% endmacro %}
{% macro month_start(expression) %}make_date({{ expression }}, 1, 1){% endmacro %}
{% macro inlined() %}not materialized{% endmacro %}
{% macro view_ref(name) %}{{ name }}{% endmacro %}
{% macro sheet_row_number(expression, sheet) %}({{ expression }} + 1){% endmacro %}
