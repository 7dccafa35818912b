{#- A landed row's number in its workbook sheet: the header's sheet row (var sheet_header_rows,
    which an import sets from the workbook; row 1 for the sample's CSVs) plus its landed row
    number, so the business finds the row in its own file. -#}
{% macro sheet_row_number(source_row_number, sheet) -%}
    ({{ source_row_number }} + {{ var('sheet_header_rows')[sheet] }})
{%- endmacro %}
