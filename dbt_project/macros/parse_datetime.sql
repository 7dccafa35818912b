{#- Dates written as text, read with a strftime-style format (%d %m %Y %H %M %S and literal
    characters), the same way on every engine, in three steps, each a column of its own CTE
    (evaluate_once) so that the next step reads it instead of repeating it:

    1. datetime_fixed_text(cleaned text, format): the text in the format's zero-padded,
       fixed-width shape ('04/10/2019 09:00'), or null when the text does not have the
       format's shape. Text already so (what imports write) is checked by its digit mask;
       other text is read with the format's regular expression, where a day, month, hour,
       minute or second has one or two digits and a year four or two (a two-digit year is
       Excel's: 00-29 are 2000-2029, 30-99 are 1930-1999). Digits are ASCII 0-9 only.
    2. datetime_fields(fixed text, format, prefix): the fields as integer columns
       <prefix>_year, _month, _day, _hour, _minute, _second (those the format lacks are the
       start: day 1, 00:00:00).
    3. timestamp_from_fields(prefix): the timestamp, or null when the fields name no real
       moment (31/02/2020, month 13, 24:00, year 0).

    The text must already be cleaned (clean_text: one space between words, none around). -#}

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

{#- The format's regular expression: one or two digits per field, a year four or two. Only the
    field `capture` (a token letter, or none) is a group. -#}
{% macro _datetime_format_regex(elements, capture=none) -%}
    {%- set ns = namespace(regex='') -%}
    {%- for kind, value in elements -%}
        {%- if kind == 'token' -%}
            {%- set field = '[0-9]{4}|[0-9]{2}' if value == 'Y' else '[0-9]{1,2}' -%}
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

{#- Each token's position and width in the format's fixed-width shape: {letter: (start, width)}. -#}
{% macro _datetime_positions(elements) -%}
    {%- set positions = {} -%}
    {%- set ns = namespace(position=1) -%}
    {%- for kind, value in elements -%}
        {%- set width = (4 if value == 'Y' else 2) if kind == 'token' else 1 -%}
        {%- if kind == 'token' -%}
            {%- do positions.update({value: (ns.position, width)}) -%}
        {%- endif -%}
        {%- set ns.position = ns.position + width -%}
    {%- endfor -%}
    {{ return(positions) }}
{%- endmacro %}

{% macro datetime_fixed_text(expression, format) -%}
    {%- set elements = interactions._datetime_format_elements(format) -%}
    {%- set ns = namespace(mask='') -%}
    {%- set loose = [] -%}
    {%- for kind, value in elements -%}
        {%- if kind == 'token' -%}
            {%- set ns.mask = ns.mask ~ ('0000' if value == 'Y' else '00') -%}
            {%- set group = interactions.regexp_group(expression, interactions._datetime_format_regex(elements, value)) -%}
            {%- if value == 'Y' -%}
                {%- do loose.append("case when length(" ~ group ~ ") = 2 then case when cast(" ~ group ~ " as int) < 30 then '20' else '19' end || " ~ group ~ " else " ~ group ~ " end") -%}
            {%- else -%}
                {%- do loose.append("lpad(" ~ group ~ ", 2, '0')") -%}
            {%- endif -%}
        {%- else -%}
            {%- if value in '0123456789' -%}
                {{ exceptions.raise_compiler_error("datetime_fixed_text: the format '" ~ format ~ "' has a digit outside its tokens") }}
            {%- endif -%}
            {%- set ns.mask = ns.mask ~ (value ~ value if value == "'" else value) -%}
            {%- do loose.append("'" ~ (value ~ value if value == "'" else value) ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    case
        when translate({{ expression }}, '0123456789', '0000000000') = '{{ ns.mask }}' then {{ expression }}
        when {{ interactions.regexp_full_match(expression, interactions._datetime_format_regex(elements)) }}
            then {{ loose | join(' || ') }}
    end
{%- endmacro %}

{% macro datetime_fields(expression, format, prefix) -%}
    {%- set positions = interactions._datetime_positions(interactions._datetime_format_elements(format)) -%}
    {%- set defaults = {'Y': 1, 'm': 1, 'd': 1, 'H': 0, 'M': 0, 'S': 0} -%}
    {%- set names = {'Y': 'year', 'm': 'month', 'd': 'day', 'H': 'hour', 'M': 'minute', 'S': 'second'} -%}
    {%- for letter in ['Y', 'm', 'd', 'H', 'M', 'S'] -%}
        {%- if letter in positions -%}
            cast(substr({{ expression }}, {{ positions[letter][0] }}, {{ positions[letter][1] }}) as int)
        {%- else -%}
            case when {{ expression }} is not null then {{ defaults[letter] }} end
        {%- endif %} as {{ prefix }}_{{ names[letter] }}{{ ',' if not loop.last }}
    {% endfor -%}
{%- endmacro %}

{% macro timestamp_from_fields(prefix) -%}
    {%- set year = prefix ~ "_year" -%}
    {%- set month = prefix ~ "_month" -%}
    {%- set day = prefix ~ "_day" -%}
    {%- set hour = prefix ~ "_hour" -%}
    {%- set minute = prefix ~ "_minute" -%}
    {%- set second = prefix ~ "_second" -%}
    case
        when {{ year }} is null then null
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
