{#- The version bookkeeping's tables (source imports, models/staging/_imports__sources.yml),
    made where a build finds them missing: a plain `dbt build` (the development target) lands
    none, so they are empty there, one text column per declared column. An import's build
    lands them in bulk before dbt runs (interactions/landing.py), and on a Spark cluster from
    the files its landing area holds (var landed_seeds, as the workbook's seeds are read,
    macros/spark_seeds.sql). Run by on-run-start. -#}
{% macro create_import_sources() -%}
    {%- if execute -%}
        {%- for source in graph.sources.values() if source.source_name == 'imports' -%}
            {%- set relation = api.Relation.create(
                database=source.database, schema=source.schema, identifier=source.identifier
            ) -%}
            {%- do create_import_source(
                relation, source.columns.keys() | list, var('landed_seeds', {}).get(source.name)
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{% macro create_import_source(relation, columns, landed_file) -%}
    {%- do return(adapter.dispatch('create_import_source', 'interactions')(
        relation, columns, landed_file
    )) -%}
{%- endmacro %}

{% macro default__create_import_source(relation, columns, landed_file) -%}
    {%- do adapter.create_schema(relation) -%}
    {%- call statement('_') -%}
        create table if not exists {{ relation }} (
            {%- for column in columns %}
            {{ adapter.quote(column) }} text{{ ',' if not loop.last }}
            {%- endfor %}
        )
    {%- endcall -%}
    {#- Committed now: the hook's connection holds an open transaction of its own. -#}
    {%- do adapter.commit() -%}
{%- endmacro %}

{#- Spark: from the landed CSV file when the build has one (read as the seeds are: every value
    text, a blank cell null), else empty. -#}
{% macro spark__create_import_source(relation, columns, landed_file) -%}
    {%- do adapter.create_schema(relation) -%}
    {%- if not landed_file -%}
        {%- call statement('_') -%}
            create table if not exists {{ relation }} (
                {%- for column in columns %}
                {{ column }} string{{ ',' if not loop.last }}
                {%- endfor %}
            ) using parquet
        {%- endcall -%}
        {{ return('') }}
    {%- endif -%}
    {%- set csv_view = relation.identifier ~ '__csv' -%}
    {%- call statement('_') -%}
        create or replace temporary view {{ csv_view }} (
            {%- for column in columns %}
            _c{{ loop.index0 }} string{{ ',' if not loop.last }}
            {%- endfor %}
        )
        using csv
        options (path '{{ landed_file | replace("'", "\\'") }}', header 'true', multiLine 'true', escape '"', mode 'PERMISSIVE')
    {%- endcall -%}
    {%- call statement('_') -%}drop table if exists {{ relation }}{%- endcall -%}
    {%- call statement('_') -%}
        create table {{ relation }} using parquet as
        select /*+ coalesce(1) */
        {%- for column in columns %}
            _c{{ loop.index0 }} as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
        from {{ csv_view }}
    {%- endcall -%}
    {%- call statement('_') -%}drop view if exists {{ csv_view }}{%- endcall -%}
{%- endmacro %}
