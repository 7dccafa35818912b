{#- An identifier typed into a spreadsheet, from its cleaned text (clean_text), as a bigint:
    "4" and "4.0" (Excel's float export) give 4, as does "007"; anything else ("12in", "4.5",
    "-1", "1e3", full-width "４", a number of 19 or more digits) gives null, so the row can be
    quarantined instead of failing the load. -#}
{% macro to_whole_number(expression) -%}
    case
        when {{ interactions.regexp_full_match(expression, '[0-9]{1,18}([.]0*)?') }}
            then cast({{ dbt.split_part(expression, "'.'", 1) }} as bigint)
    end
{%- endmacro %}
