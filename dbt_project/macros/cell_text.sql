{#- The rules for a cell's text, written once for every engine (the docs block
    cleaning_rules, models/staging/_staging__docs.md). Only string functions that behave the same on PostgreSQL, DuckDB and
    Spark are used (translate, replace, trim of ' ', lower of ASCII text, regular expressions
    of ASCII classes), so no engine's own idea of whitespace, case or digits decides. -#}

{#- Every character Python's str.isspace() calls whitespace, but the space itself: tabs, line
    breaks (\n \r \v \f, U+0085, U+2028, U+2029), the file/group/record/unit separators, the
    no-break spaces (U+00A0, U+202F), and the Unicode spaces (U+1680, U+2000-U+200A, U+205F,
    U+3000). Each counts as a space. -#}
{% macro _whitespace_characters() -%}
    {{ return("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000") }}
{%- endmacro %}

{#- Characters that show nothing and are removed wherever they are: zero-width space,
    non-joiner and joiner, word joiner, the byte-order mark, the soft hyphen. -#}
{% macro _invisible_characters() -%}
    {{ return("\u200b\u200c\u200d\u2060\ufeff\xad") }}
{%- endmacro %}

{#- A cell's text, cleaned of whitespace: invisible characters removed, every whitespace
    character read as a space, runs of spaces inside made one, spaces around removed; null when
    nothing is left. Text that is already clean (printable ASCII words separated by single
    spaces: nearly every cell) takes the first branch and costs one regular expression. The
    cleaning expression appears once, so no engine computes it for the clean cells (DuckDB
    would hoist a repeated one out of the case). Then blank_text, in a later CTE. -#}
{% macro clean_text(expression) -%}
    {%- set whitespace = interactions._whitespace_characters() -%}
    {%- set marker = "\x1c\x1d" -%}
    {%- set spaced = "translate(" ~ expression ~ ", '" ~ whitespace ~ interactions._invisible_characters() ~ "', '" ~ (" " * (whitespace | length)) ~ "')" -%}
    {#- Runs of spaces become one: each space becomes a marker pair, adjacent pairs meet as the
        reversed pair, which is removed; the markers are whitespace, so none is left from the
        cell itself. -#}
    {%- set collapsed = "replace(replace(replace(" ~ spaced ~ ", ' ', '" ~ marker ~ "'), '" ~ marker[::-1] ~ "', ''), '" ~ marker ~ "', ' ')" -%}
    case
        when {{ interactions.regexp_full_match(expression, '[!-~]+( [!-~]+)*') }} then {{ expression }}
        else nullif(trim(both ' ' from {{ collapsed }}), '')
    end
{%- endmacro %}

{#- A cleaned cell (clean_text) that says nothing is null: one of the var blank_cell_texts in
    any case ('NULL', 'N/A', 'none', ...). The words are ASCII, so "in any case" is spelled out
    as every ASCII spelling of each word and compared exactly, the same on every engine (and
    without lower(), whose cost is most of a million rows' cleaning on PostgreSQL). -#}
{% macro blank_text(column) -%}
    {%- set spellings = [] -%}
    {%- for word in var('blank_cell_texts') -%}
        {%- set ns = namespace(variants=['']) -%}
        {%- for character in word.lower() -%}
            {%- set options = [character] if character == character.upper() else [character, character.upper()] -%}
            {%- set longer = [] -%}
            {%- for prefix in ns.variants -%}
                {%- for option in options -%}
                    {%- do longer.append(prefix ~ option) -%}
                {%- endfor -%}
            {%- endfor -%}
            {%- set ns.variants = longer -%}
        {%- endfor -%}
        {%- do spellings.extend(ns.variants) -%}
    {%- endfor -%}
    case when {{ column }} not in ('{{ spellings | join("', '") }}') then {{ column }} end
{%- endmacro %}

{#- Text in one case for matching: ASCII and Latin-1 capitals (A-Z, À-Þ) to small letters, one
    for one. Engines' lower() disagree on some letters (Spark gives a final sigma 'ς' where the
    others give 'σ'), so the mapping is spelled out. -#}
{% macro fold_case(expression) -%}
    translate({{ expression }}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞ', 'abcdefghijklmnopqrstuvwxyzàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþ')
{%- endmacro %}

{#- True when the whole of `expression` matches the regular expression `pattern` (ASCII
    classes only; no backslashes). Java's `$` also matches before a final line break, so Spark
    anchors with \z. -#}
{% macro regexp_full_match(expression, pattern) -%}
    {{ return(adapter.dispatch('regexp_full_match', 'interactions')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regexp_full_match(expression, pattern) -%}
    ({{ expression }} ~ '^(?:{{ pattern }})$')
{%- endmacro %}

{% macro duckdb__regexp_full_match(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regexp_full_match(expression, pattern) -%}
    ({{ expression }} rlike '^(?:{{ pattern }})\\z')
{%- endmacro %}

{#- The text of the one capturing group of `pattern` when the whole of `expression` matches it,
    else null. -#}
{% macro regexp_group(expression, pattern) -%}
    {{ return(adapter.dispatch('regexp_group', 'interactions')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regexp_group(expression, pattern) -%}
    substring({{ expression }} from '^{{ pattern }}$')
{%- endmacro %}

{% macro duckdb__regexp_group(expression, pattern) -%}
    nullif(regexp_extract({{ expression }}, '^{{ pattern }}$', 1), '')
{%- endmacro %}

{% macro spark__regexp_group(expression, pattern) -%}
    nullif(regexp_extract({{ expression }}, '^{{ pattern }}\\z', 1), '')
{%- endmacro %}

{#- One row per `delimiter`-separated part of `expression` (a set-returning select item). -#}
{% macro split_to_rows(expression, delimiter) -%}
    {{ return(adapter.dispatch('split_to_rows', 'interactions')(expression, delimiter)) }}
{%- endmacro %}

{% macro default__split_to_rows(expression, delimiter) -%}
    unnest(string_to_array({{ expression }}, '{{ delimiter }}'))
{%- endmacro %}

{% macro duckdb__split_to_rows(expression, delimiter) -%}
    unnest(string_split({{ expression }}, '{{ delimiter }}'))
{%- endmacro %}

{% macro spark__split_to_rows(expression, delimiter) -%}
    explode(split({{ expression }}, '[{{ delimiter }}]'))
{%- endmacro %}

{#- Ends a CTE whose columns the next ones read several times, so that they are computed once:
    PostgreSQL would otherwise inline the CTE and repeat each expression where it is read
    (`offset 0` keeps it a subquery). DuckDB and Spark compute a projection once. -#}
{% macro evaluate_once() -%}
    {{ return(adapter.dispatch('evaluate_once', 'interactions')()) }}
{%- endmacro %}

{% macro default__evaluate_once() -%}
    offset 0
{%- endmacro %}

{% macro duckdb__evaluate_once() -%}
{%- endmacro %}

{% macro spark__evaluate_once() -%}
{%- endmacro %}
