{#- Dates written as text, read with a strftime-style format (%d %m %Y %H %M %S and literal
    characters), the same way on every engine, in two steps:

    1. datetime_digits(cleaned text, format): the text's fields as one 14-digit text,
       'YYYYMMDDhhmmss' (fields the format lacks are the start: day 01, 00:00:00), or null
       when the text does not have the format's shape. Text in the format's zero-padded shape
       ('04/10/2019 09:00', what imports write) is read by position; other text is read with
       the format's regular expression, where a day, month, hour, minute or second has one or
       two digits and a year four or two (a two-digit year is Excel's: 00-29 are 2000-2029,
       30-99 are 1930-1999). Digits are ASCII 0-9 only.
    2. timestamp_from_digits(digits): the timestamp, or null when it names no real moment
       (31/02/2020, month 13, 24:00, year 0).

    The text must already be cleaned (clean_text: one space between words, none around), and
    each step's result should be a column of its own CTE (evaluate_once), so that the next
    step reads it instead of repeating it. -#}

{#- The format as a list of ('token', letter) and ('literal', character). -#}
{% macro _datetime_format_elements(format) -%}
    {%- set ns = namespace(elements=[], pending_percent=false) -%}
    {%- for character in format -%}
        {%- if ns.pending_percent -%}
            {%- if character not in 'YmdHMS' -%}
                {{ exceptions.raise_compiler_error("parse_datetime: unsupported token %" ~ character ~ " in format '" ~ format ~ "'") }}
            {%- endif -%}
            {%- set ns.elements = ns.elements + [('token', character)] -%}
            {%- set ns.pending_percent = false -%}
        {%- elif character == '%' -%}
            {%- set ns.pending_percent = true -%}
        {%- else -%}
            {%- set ns.elements = ns.elements + [('literal', character)] -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(ns.elements) }}
{%- endmacro %}

{#- The format's regular expression. `fixed`: zero-padded fields; else one or two digits (a
    year four or two). Only the field `capture` (a token letter, or none) is a group. -#}
{% macro _datetime_format_regex(elements, fixed, capture=none) -%}
    {%- set ns = namespace(regex='') -%}
    {%- for kind, value in elements -%}
        {%- if kind == 'token' -%}
            {%- if fixed -%}
                {%- set field = '[0-9]{4}' if value == 'Y' else '[0-9]{2}' -%}
            {%- else -%}
                {%- set field = '[0-9]{4}|[0-9]{2}' if value == 'Y' else '[0-9]{1,2}' -%}
            {%- endif -%}
            {%- set ns.regex = ns.regex ~ ('(' if value == capture else '(?:') ~ field ~ ')' -%}
        {%- elif value in '.^$*+?()[]{}|\\' -%}
            {%- set ns.regex = ns.regex ~ '[' ~ value ~ ']' -%}
        {%- elif value == "'" -%}
            {%- set ns.regex = ns.regex ~ "''" -%}
        {%- else -%}
            {%- set ns.regex = ns.regex ~ value -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(ns.regex) }}
{%- endmacro %}

{% macro datetime_digits(expression, format) -%}
    {%- set elements = interactions._datetime_format_elements(format) -%}
    {%- set tokens = [] -%}
    {%- set positions = {} -%}
    {%- set ns = namespace(position=1) -%}
    {%- for kind, value in elements -%}
        {%- if kind == 'token' -%}
            {%- do tokens.append(value) -%}
            {%- do positions.update({value: ns.position}) -%}
            {%- set ns.position = ns.position + (4 if value == 'Y' else 2) -%}
        {%- else -%}
            {%- set ns.position = ns.position + 1 -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set defaults = {'Y': "'0001'", 'm': "'01'", 'd': "'01'", 'H': "'00'", 'M': "'00'", 'S': "'00'"} -%}
    {%- set fixed_fields = [] -%}
    {%- set loose_fields = [] -%}
    {%- for letter in ['Y', 'm', 'd', 'H', 'M', 'S'] -%}
        {%- if letter in tokens -%}
            {%- do fixed_fields.append("substr(" ~ expression ~ ", " ~ positions[letter] ~ ", " ~ (4 if letter == 'Y' else 2) ~ ")") -%}
            {%- set group = interactions.regexp_group(expression, interactions._datetime_format_regex(elements, false, letter)) -%}
            {%- if letter == 'Y' -%}
                {%- do loose_fields.append("case when length(" ~ group ~ ") = 2 then case when cast(" ~ group ~ " as int) < 30 then '20' else '19' end || " ~ group ~ " else " ~ group ~ " end") -%}
            {%- else -%}
                {%- do loose_fields.append("lpad(" ~ group ~ ", 2, '0')") -%}
            {%- endif -%}
        {%- else -%}
            {%- do fixed_fields.append(defaults[letter]) -%}
            {%- do loose_fields.append(defaults[letter]) -%}
        {%- endif -%}
    {%- endfor -%}
    case
        when {{ interactions.regexp_full_match(expression, interactions._datetime_format_regex(elements, true)) }}
            then {{ fixed_fields | join(' || ') }}
        when {{ interactions.regexp_full_match(expression, interactions._datetime_format_regex(elements, false)) }}
            then {{ loose_fields | join(' || ') }}
    end
{%- endmacro %}

{% macro timestamp_from_digits(digits) -%}
    {%- set year = "cast(substr(" ~ digits ~ ", 1, 4) as int)" -%}
    {%- set month = "cast(substr(" ~ digits ~ ", 5, 2) as int)" -%}
    {%- set day = "cast(substr(" ~ digits ~ ", 7, 2) as int)" -%}
    {%- set hour = "cast(substr(" ~ digits ~ ", 9, 2) as int)" -%}
    {%- set minute = "cast(substr(" ~ digits ~ ", 11, 2) as int)" -%}
    {%- set second = "cast(substr(" ~ digits ~ ", 13, 2) as int)" -%}
    case
        when {{ digits }} is null then null
        when {{ month }} not between 1 and 12 then null
        when {{ day }} < 1 then null
        when {{ day }} > case
            when {{ month }} in (4, 6, 9, 11) then 30
            when {{ month }} = 2 and (
                ({{ year }} % 4 = 0 and {{ year }} % 100 != 0) or {{ year }} % 400 = 0
            ) then 29
            when {{ month }} = 2 then 28
            else 31
        end then null
        when {{ year }} < 1 or {{ hour }} > 23 or {{ minute }} > 59 or {{ second }} > 59 then null
        else make_timestamp({{ year }}, {{ month }}, {{ day }}, {{ hour }}, {{ minute }}, {{ second }})
    end
{%- endmacro %}
