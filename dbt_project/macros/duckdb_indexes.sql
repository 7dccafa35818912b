{#- dbt-duckdb's drop_indexes_on_relation, as its own (dbt/include/duckdb/macros/adapters.sql)
    but the drops are committed before the table swap that follows them. dbt-duckdb's table
    materialization drops an existing table's indexes and renames it to __dbt_backup inside
    the model's transaction; until that transaction commits, every other connection still sees
    the dropped index, and DuckDB's duckdb_indexes() then fails on it for the whole catalog
    ("Table with name <model>__dbt_backup does not exist!"). With several threads, another
    model's listing meets that window: a rebuild of an existing DuckDB file (the dev target's
    second `dbt build`) failed every time. Committed first, the drops are gone for everyone
    before any rename; the swap itself stays one transaction (the rename opens a new one). A
    new file (every live build) has no existing table, so this never runs there. -#}
{% macro drop_indexes_on_relation(relation) -%}
  {% do adapter.commit() %}
  {% call statement('get_indexes_on_relation', fetch_result=True, auto_begin=False) %}
    select index_name
    from duckdb_indexes()
    where database_name = '{{ relation.database }}'
      and schema_name = '{{ relation.schema }}'
      and table_name = '{{ relation.identifier }}'
  {% endcall %}
  {% for row in load_result('get_indexes_on_relation').table %}
    {% call statement('drop_index_' ~ loop.index, auto_begin=False) %}
      drop index "{{ relation.database }}"."{{ relation.schema }}"."{{ row[0] }}"
    {% endcall %}
  {% endfor %}
{%- endmacro %}
