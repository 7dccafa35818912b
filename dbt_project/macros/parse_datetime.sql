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

{#- PostgreSQL (and the default): one row's text is trimmed and checked once, in a scalar
    subquery (offset 0 keeps PostgreSQL from inlining, so nothing is computed twice).
    Text in the format's zero-padded, fixed-width shape ('04/10/2019 09:00', what imports
    write) is read by position; any other text that matches the format's regular expression
    ('4/1/2020 9:05') through substring(), one group per field. regexp_match() is avoided:
    it costs about 30 microseconds a call, which is minutes for a million rows. -#}
{% macro default__parse_datetime(expression, format) -%}
    {%- set tokens = interactions._datetime_format_tokens() -%}
    {%- set widths = {'Y': 4, 'm': 2, 'd': 2, 'H': 2, 'M': 2, 'S': 2} -%}
    {%- set ns = namespace(elements=[], pending_percent=false, fixed_width=true) -%}
    {%- for character in format -%}
        {%- if ns.pending_percent -%}
            {%- if character not in tokens -%}
                {{ exceptions.raise_compiler_error("parse_datetime: unsupported token %" ~ character ~ " in format '" ~ format ~ "'") }}
            {%- endif -%}
            {%- set ns.elements = ns.elements + [('token', character)] -%}
            {%- set ns.pending_percent = false -%}
        {%- elif character == '%' -%}
            {%- set ns.pending_percent = true -%}
        {%- else -%}
            {%- if character in '0123456789' -%}{%- set ns.fixed_width = false -%}{%- endif -%}
            {%- set ns.elements = ns.elements + [('literal', character)] -%}
        {%- endif -%}
    {%- endfor -%}
    {#- The whole-format regular expression with one group per field (for the match), and for
        each field the same expression with only that field's group (for substring()). -#}
    {%- set ns.regex = '' -%}
    {%- set ns.mask = '' -%}
    {%- set ns.position = 1 -%}
    {%- set fields = [] -%}
    {%- set field_positions = {} -%}
    {%- for kind, value in ns.elements -%}
        {%- if kind == 'token' -%}
            {%- do fields.append(tokens[value][1]) -%}
            {%- do field_positions.update({tokens[value][1]: (ns.position, widths[value])}) -%}
            {%- set ns.regex = ns.regex ~ tokens[value][0] -%}
            {%- set ns.mask = ns.mask ~ ('0' * widths[value]) -%}
            {%- set ns.position = ns.position + widths[value] -%}
        {%- else -%}
            {%- set ns.regex = ns.regex ~ ('[' ~ value ~ ']' if value in '.^$*+?()[]{}|\\' else value) -%}
            {%- set ns.mask = ns.mask ~ value -%}
            {%- set ns.position = ns.position + 1 -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set defaults = {'year': '1', 'month': '1', 'day': '1', 'hour': '0', 'minute': '0', 'second': '0'} -%}
    (
        select
            case
                when not parts.is_match then null
                when parts.month not between 1 and 12 then null
                when parts.day < 1 then null
                when parts.day > case
                    when parts.month in (4, 6, 9, 11) then 30
                    when parts.month = 2 and (
                        (parts.year % 4 = 0 and parts.year % 100 != 0) or parts.year % 400 = 0
                    ) then 29
                    when parts.month = 2 then 28
                    else 31
                end then null
                when parts.year < 1 or parts.hour > 23 or parts.minute > 59 or parts.second > 59 then null
                else make_timestamp(
                    parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second
                )
            end
        from (
            select
                coalesce(shape.is_fixed_width or shape.value_text ~ '^{{ ns.regex }}$', false) as is_match
                {%- for field in ['year', 'month', 'day', 'hour', 'minute', 'second'] %},
                {%- if field in fields %}
                {%- set field_regex = namespace(text='') -%}
                {%- for kind, value in ns.elements -%}
                    {%- if kind == 'token' -%}
                        {%- set group = tokens[value][0] -%}
                        {%- set field_regex.text = field_regex.text ~ (group if tokens[value][1] == field else group[1:-1]) -%}
                    {%- else -%}
                        {%- set field_regex.text = field_regex.text ~ ('[' ~ value ~ ']' if value in '.^$*+?()[]{}|\\' else value) -%}
                    {%- endif -%}
                {%- endfor %}
                case
                    {%- if ns.fixed_width %}
                    when shape.is_fixed_width
                        then cast(substr(shape.value_text, {{ field_positions[field][0] }}, {{ field_positions[field][1] }}) as integer)
                    {%- endif %}
                    else cast(substring(shape.value_text from '^{{ field_regex.text }}$') as integer)
                end as {{ field }}
                {%- else %}
                {{ defaults[field] }} as {{ field }}
                {%- endif %}
                {%- endfor %}
            from (
                select
                    trim({{ expression }}) as value_text,
                    {%- if ns.fixed_width %}
                    translate(trim({{ expression }}), '0123456789', '0000000000') = '{{ ns.mask }}'
                    {%- else %}
                    false
                    {%- endif %} as is_fixed_width
                offset 0
            ) as shape
            offset 0
        ) as parts
    )
{%- endmacro %}

{#- Spark: the format's regular expression, matched with rlike and read with regexp_extract
    (Java regex; one group per field), and the same checks as default__ before make_timestamp,
    so no text can fail the build. -#}
{% macro spark__parse_datetime(expression, format) -%}
    {%- set parsed = interactions._datetime_format_regex(format) -%}
    {%- set text = "trim(" ~ expression ~ ")" -%}
    {%- set pattern = "'^" ~ parsed.regex | replace('\\', '\\\\') ~ "$'" -%}
    {%- set defaults = {'year': '1', 'month': '1', 'day': '1', 'hour': '0', 'minute': '0', 'second': '0'} -%}
    {%- set part = {} -%}
    {%- for field in ['year', 'month', 'day', 'hour', 'minute', 'second'] -%}
        {%- if field in parsed.fields -%}
            {%- do part.update({field: "cast(regexp_extract(" ~ text ~ ", " ~ pattern ~ ", " ~ (parsed.fields.index(field) + 1) ~ ") as int)"}) -%}
        {%- else -%}
            {%- do part.update({field: defaults[field]}) -%}
        {%- endif -%}
    {%- endfor -%}
    case
        when {{ text }} is null or not {{ text }} rlike {{ pattern }} then null
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

{#- The regular expression (without anchors) that a strftime-style format stands for, and the
    fields its groups capture, in order: {'regex': ..., 'fields': [...]}. -#}
{% macro _datetime_format_regex(format) -%}
    {%- set tokens = interactions._datetime_format_tokens() -%}
    {%- set ns = namespace(regex='', fields=[], pending_percent=false) -%}
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
    {{ return({'regex': ns.regex, 'fields': ns.fields}) }}
{%- endmacro %}
