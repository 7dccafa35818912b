{#- Spark with the session method (a local PySpark): load a seed's CSV file with Spark's own
    CSV reader in one statement, instead of dbt-spark's batches of `insert ... values`, so a
    sheet of 100,000+ rows lands in seconds. Values read the way dbt reads seeds: every column
    as text, a blank (or 'null') cell as null; written as one file, so the table keeps the
    sheet's row order. A cluster that cannot see this machine's files (a thrift or http target)
    sets the var spark_seeds_from_files to false and keeps dbt-spark's loader, as does any
    other adapter that dispatches here (dbt-databricks). -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- if target.type != 'spark' or not var('spark_seeds_from_files', true) -%}
        {%- set adapter_loader = dbt.get(target.type ~ '__load_csv_rows') or dbt.spark__load_csv_rows -%}
        {{ return(adapter_loader(model, agate_table)) }}
    {%- endif -%}
    {#- The project folder as dbt was given it (absolute when --project-dir is): a Thrift
        server resolves a relative path against its own working folder, not this one. -#}
    {%- set project_dir = model.root_path if model.root_path.startswith('/')
        else (invocation_args_dict.get('project_dir') or model.root_path) -%}
    {#- An import on a cluster lands the workbook's sheets as files in the cluster's landing
        area and names them in the var landed_seeds (seed -> absolute path); every other seed
        is read from the project's seeds/ folder. -#}
    {%- set landed = var('landed_seeds', {}).get(model.name) -%}
    {%- set csv_path = (landed or (project_dir ~ '/' ~ model.original_file_path)) | replace("'", "\\'") -%}
    {%- if not csv_path.startswith('/') and target.host != 'localhost' -%}
        {{ exceptions.raise_compiler_error(
            "seed " ~ model.name ~ ": a Spark server over the network (host " ~ target.host
            ~ ") would read " ~ csv_path ~ " relative to its own working folder: run dbt with "
            ~ "an absolute --project-dir (for example --project-dir $PWD/dbt_project)"
        ) }}
    {%- endif -%}
    {%- set csv_view = this.identifier ~ '__csv' -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {% call statement('_') %}
        create or replace temporary view {{ csv_view }} (
            {%- for column_name in agate_table.column_names %}
            _c{{ loop.index0 }} string{{ ',' if not loop.last }}
            {%- endfor %}
        )
        using csv
        options (path '{{ csv_path }}', header 'true', multiLine 'true', escape '"', mode 'PERMISSIVE')
    {% endcall %}
    {% set sql %}
        insert into {{ this.render() }}
        select /*+ coalesce(1) */
        {%- for column_name in agate_table.column_names %}
            {%- set type = column_override.get(column_name, adapter.convert_type(agate_table, loop.index0)) %}
            cast(_c{{ loop.index0 }} as {{ type }}){{ ',' if not loop.last }}
        {%- endfor %}
        from {{ csv_view }}
    {% endset %}
    {% call statement('_') %}{{ sql }}{% endcall %}
    {% call statement('_') %}drop view if exists {{ csv_view }}{% endcall %}
    {{ return(sql) }}
{% endmacro %}
