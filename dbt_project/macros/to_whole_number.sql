{#- An identifier typed into a spreadsheet, as a bigint: "4", " 4 " and "4.0" (Excel's
    float export) give 4; anything else ("12in", "4.5", "-1", "", a number of 19 or more
    digits) gives null, so the row can be quarantined instead of failing the load. -#}
{% macro to_whole_number(expression) -%}
    case
        when {{ regexp_like('trim(' ~ expression ~ ')', '^[0-9]{1,18}([.]0*)?$') }}
            then cast({{ dbt.split_part('trim(' ~ expression ~ ')', "'.'", 1) }} as bigint)
    end
{%- endmacro %}
