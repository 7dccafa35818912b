{#- Parse text with a strftime-style format (%d %m %Y %H %M %S and literal characters) into
    a timestamp. Text that does not match the format, or names a day that does not exist
    (31/02/2020), gives null instead of failing the build, so the row can be quarantined.
    Fields missing from the format default to the start (day 1, 00:00:00). -#}
{% macro parse_datetime(expression, format) -%}
    {{ return(adapter.dispatch('parse_datetime', 'interactions')(expression, format)) }}
{%- endmacro %}

{% macro duckdb__parse_datetime(expression, format) -%}
    try_strptime(trim({{ expression }}), '{{ format }}')
{%- endmacro %}

{#- Format tokens as (regex group, field name); the field order follows the format. -#}
{% macro _datetime_format_tokens() -%}
    {{ return({
        'Y': ('([0-9]{4})', 'year'),
        'm': ('([0-9]{1,2})', 'month'),
        'd': ('([0-9]{1,2})', 'day'),
        'H': ('([0-9]{1,2})', 'hour'),
        'M': ('([0-9]{1,2})', 'minute'),
        'S': ('([0-9]{1,2})', 'second'),
    }) }}
{%- endmacro %}

{% macro default__parse_datetime(expression, format) -%}
    {%- set tokens = interactions._datetime_format_tokens() -%}
    {%- set ns = namespace(regex='^', fields=[], pending_percent=false) -%}
    {%- for character in format -%}
        {%- if ns.pending_percent -%}
            {%- if character not in tokens -%}
                {{ exceptions.raise_compiler_error("parse_datetime: unsupported token %" ~ character ~ " in format '" ~ format ~ "'") }}
            {%- endif -%}
            {%- set ns.regex = ns.regex ~ tokens[character][0] -%}
            {%- set ns.fields = ns.fields + [tokens[character][1]] -%}
            {%- set ns.pending_percent = false -%}
        {%- elif character == '%' -%}
            {%- set ns.pending_percent = true -%}
        {%- elif character in '.^$*+?()[]{}|\\' -%}
            {%- set ns.regex = ns.regex ~ '[' ~ character ~ ']' -%}
        {%- else -%}
            {%- set ns.regex = ns.regex ~ character -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set match = "(regexp_match(trim(" ~ expression ~ "), '" ~ ns.regex ~ "$'))" -%}
    {%- set defaults = {'year': '1', 'month': '1', 'day': '1', 'hour': '0', 'minute': '0', 'second': '0'} -%}
    {%- set part = {} -%}
    {%- for field in ['year', 'month', 'day', 'hour', 'minute', 'second'] -%}
        {%- if field in ns.fields -%}
            {%- do part.update({field: "cast(" ~ match ~ "[" ~ (ns.fields.index(field) + 1) ~ "] as integer)"}) -%}
        {%- else -%}
            {%- do part.update({field: defaults[field]}) -%}
        {%- endif -%}
    {%- endfor -%}
    case
        when {{ match }} is null then null
        when {{ part.month }} not between 1 and 12 then null
        when {{ part.day }} < 1 then null
        when {{ part.day }} > case
            when {{ part.month }} in (4, 6, 9, 11) then 30
            when {{ part.month }} = 2 and (
                ({{ part.year }} % 4 = 0 and {{ part.year }} % 100 != 0) or {{ part.year }} % 400 = 0
            ) then 29
            when {{ part.month }} = 2 then 28
            else 31
        end then null
        when {{ part.year }} < 1 or {{ part.hour }} > 23 or {{ part.minute }} > 59 or {{ part.second }} > 59 then null
        else make_timestamp(
            {{ part.year }}, {{ part.month }}, {{ part.day }},
            {{ part.hour }}, {{ part.minute }}, {{ part.second }}
        )
    end
{%- endmacro %}
