{#
    The raw-file layer on Apache Spark (docs/spark.md). Spark SQL has no glob() or read_csv(): files
    are listed with the binaryFile source and each file is read on its own through a temporary view
    with its own header, so columns match by name (Spark's CSV reader matches a folder's files by
    position and takes the first file's schema). raw_<table> models are tables on Spark: a view
    cannot read temporary views.
#}


{% macro raw_materialization() -%}
    {#- How raw_<table> models are materialized: views on DuckDB (its readers prune files), tables
        where a file is read through a temporary view (Spark). -#}
    {{ return(adapter.dispatch('raw_materialization', 'journey_metrics')()) }}
{%- endmacro %}


{% macro default__raw_materialization() -%}
    {{ return('view') }}
{%- endmacro %}


{% macro spark__raw_materialization() -%}
    {{ return('table') }}
{%- endmacro %}


{% macro spark_raw_path(uri) -%}
    {#- A path Spark lists (a URI) as DuckDB's glob() writes it: without the file: scheme of a local
        folder, so source_file is the same on both engines. -#}
    {%- if not raw_dir().startswith('file:') and uri.startswith('file:///') -%}
        {{ return(uri[7:]) }}
    {%- elif not raw_dir().startswith('file:') and uri.startswith('file:/') -%}
        {{ return(uri[5:]) }}
    {%- endif -%}
    {{ return(uri) }}
{%- endmacro %}


{% macro spark_raw_listing() %}
    {#- Every .csv and .parquet file under raw_dir() (recursive) as [{'path', 'uri'}], in path
        order, through the temporary view journey_raw_listing (path, length, content). Spark skips
        files and folders whose name starts with _ or . -#}
    {% do run_query(
        "create or replace temporary view journey_raw_listing using binaryFile options (path "
        ~ spark_string(raw_dir()) ~ ", recursiveFileLookup 'true')") %}
    {% set rows = run_query(
        "select path from journey_raw_listing"
        ~ " where lower(path) like '%.csv' or lower(path) like '%.parquet' order by path").rows %}
    {% set files = [] %}
    {% for row in rows %}
        {% do files.append({'path': spark_raw_path(row[0]), 'uri': row[0]}) %}
    {% endfor %}
    {{ return(files) }}
{% endmacro %}


{% macro spark_string(value) -%}
    {#- `value` as a Spark SQL string literal (backslash escapes). -#}
    '{{ value | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}


{% macro spark__count_raw_dir_entries() %}
    {{ return(spark_raw_listing() | length) }}
{% endmacro %}


{% macro spark__list_raw_files(table_name) %}
    {% set folder = raw_dir() ~ '/' ~ table_name %}
    {% set found = [] %}
    {% for f in spark_raw_listing() if f.path.startswith(folder ~ '/') %}
        {% do found.append(f) %}
    {% endfor %}
    {% if found | length == 0 %}
        {{ exceptions.raise_compiler_error(
            "Raw data contract: table '" ~ table_name ~ "' has no .csv or .parquet file under '" ~ folder
            ~ "' (set JOURNEY_RAW_DIR; an empty table is a folder holding a header-only CSV).") }}
    {% endif %}
    {% set csv_files = [] %}
    {% set parquet_files = [] %}
    {% for f in found %}
        {% do (csv_files if f.path.lower().endswith('.csv') else parquet_files).append(f.path) %}
    {% endfor %}
    {{ return({'csv': csv_files, 'parquet': parquet_files, 'folder': folder, 'files': found}) }}
{% endmacro %}


{% macro spark_raw_view(table_name, file, index) %}
    {#- A temporary view over one raw file, read with its own header (CSV) or schema (Parquet), all
        columns as text; returns its name. -#}
    {% set name = 'journey_raw_' ~ table_name ~ '_' ~ index %}
    {% if file.path.lower().endswith('.csv') %}
        {% do run_query(
            "create or replace temporary view " ~ name ~ " using csv options (path " ~ spark_string(file.uri)
            ~ ", header 'true', multiLine 'true', quote '\"', escape '\"', mode 'PERMISSIVE',"
            ~ " encoding 'UTF-8', inferSchema 'false')") %}
    {% else %}
        {% do run_query(
            "create or replace temporary view " ~ name ~ " using parquet options (path "
            ~ spark_string(file.uri) ~ ")") %}
    {% endif %}
    {{ return(name) }}
{% endmacro %}


{% macro spark__check_raw_files(table_name, files) %}
    {#- As duckdb__check_raw_files, with the same messages: no line numbers, and no check for lines
        with more fields than the header (Spark's reader drops the extra fields). -#}
    {% set problems = [] %}
    {% if files.csv %}
        {% set unreadable %}
            select
                path,
                case when length = 0 then 'is empty: a CSV needs at least its header row'
                    else 'is not UTF-8 encoded: save it as UTF-8' end as problem
            from journey_raw_listing
            where path in ({% for f in files.files if f.path.lower().endswith('.csv') %}{{ spark_string(f.uri) }}{{ ", " if not loop.last }}{% endfor %})
                and (length = 0 or not is_valid_utf8(content))
            order by path
        {% endset %}
        {% for row in run_query(unreadable).rows %}
            {% do problems.append("  table '" ~ table_name ~ "', file '" ~ spark_raw_path(row[0]) ~ "' " ~ row[1]) %}
        {% endfor %}
    {% endif %}
    {% if problems %}
        {{ exceptions.raise_compiler_error("Raw data contract broken: unreadable file.\n" ~ (problems | join("\n"))) }}
    {% endif %}
    {% set required = raw_columns(table_name) %}
    {% set lines = [] %}
    {% for f in files.files %}
        {% set view = spark_raw_view(table_name, f, loop.index) %}
        {% set found = run_query("select * from " ~ view ~ " limit 0").column_names | map('lower') | list %}
        {% set missing = [] %}
        {% for c in required | sort if c not in found %}{% do missing.append(c) %}{% endfor %}
        {% if missing %}
            {% set hint = namespace(text='') %}
            {% if found | length == 1 %}
                {% for mark, name in [[';', '";" (semicolon)'], ['|', '"|" (pipe)'], ['\t', 'a tab']] %}
                    {% if mark in found[0] and not hint.text %}
                        {% set hint.text = ': its header is one column, separated by ' ~ name
                            ~ " — the contract's CSV files are comma-separated: export with delimiter \",\"" %}
                    {% endif %}
                {% endfor %}
            {% endif %}
            {% do lines.append("  table '" ~ table_name ~ "', file '" ~ f.path ~ "'" ~ hint.text
                ~ ": missing column(s) " ~ (missing | join(', '))) %}
        {% endif %}
    {% endfor %}
    {% if lines %}
        {{ exceptions.raise_compiler_error(
            "Raw data contract broken: a file does not match its table's columns.\n" ~ (lines | join("\n"))
            ~ "\nRequired columns of '" ~ table_name ~ "': " ~ (required | join(', '))) }}
    {% endif %}
{% endmacro %}


{% macro spark__read_raw(table_name) %}
    {#- As duckdb__read_raw: every contract column as text plus _source_file, one branch per
        file. -#}
    {% if not execute %}
        select cast(null as string) as _source_file
    {% else %}
        {% set columns = raw_columns(table_name) %}
        {% set files = list_raw_files(table_name) %}
        {% if not raw_contract_checked_on_run_start() %}
            {% do check_raw_files(table_name, files) %}
        {% endif %}
        {% for file in files.files %}
            select
                {% for c in columns %}
                cast({{ adapter.quote(c) }} as string) as {{ c }},
                {% endfor %}
                {{ spark_string(file.path) }} as _source_file
            from {{ spark_raw_view(table_name, file, loop.index) }}
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
    {% endif %}
{% endmacro %}
