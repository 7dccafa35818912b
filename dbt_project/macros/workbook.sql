{#- The workbook's shape, as seeds/_seeds.yml declares it (its one declaration): a workbook
    seed's meta and its columns' headers, read from dbt's graph when a model runs. -#}

{#- The seed's node in the graph (an empty one while dbt parses: the graph is not built yet). -#}
{% macro workbook_seed(seed) -%}
    {%- if not execute -%}
        {{ return({'config': {'meta': {}}, 'columns': {}}) }}
    {%- endif -%}
    {{ return(graph.nodes['seed.' ~ project_name ~ '.' ~ seed]) }}
{%- endmacro %}

{#- The sheet's name in the marts (meta sheet_in_marts), as a SQL string literal. -#}
{% macro sheet_in_marts(seed) -%}
    '{{ workbook_seed(seed).config.meta.get('sheet_in_marts', '') }}'
{%- endmacro %}

{#- A row's cells as one text, "Header=value; Header=value" (null cells as empty), each header
    as the workbook spells it; `cells` are the SQL expressions of the seed's columns, in order. -#}
{% macro sheet_row_values(seed, cells) -%}
    {%- set columns = workbook_seed(seed).columns.values() | list -%}
    {%- set parts = [] -%}
    {%- for cell in cells -%}
        {%- set header = columns[loop.index0].config.meta.header if columns else '' -%}
        {%- do parts.append("'" ~ ('; ' if not loop.first else '') ~ header | replace("'", "''") ~ "='") -%}
        {%- do parts.append("coalesce(" ~ cell ~ ", '')") -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}
