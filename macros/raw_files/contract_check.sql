{#
    The raw-data contract check: every file readable and holding every contract column, checked by
    the on-run-start hook before any model, with errors naming the table, the file and the columns.
#}


{% macro check_raw_files(table_name, files) %}
    {#-
        Checks that every file of `files` (list_raw_files()) can be read and holds every contract
        column of `table_name`. Raises a clear error naming the table, the file and the missing
        columns (or what makes the file unreadable), instead of failing deep inside a model.
    -#}
    {{ return(adapter.dispatch('check_raw_files', 'journey_metrics')(table_name, files)) }}
{% endmacro %}


{% macro duckdb__check_raw_files(table_name, files) %}
    {% set folder = files.folder %}
    {% set csv_files = files.csv %}
    {% set parquet_files = files.parquet %}
    {% set all_files = files.csv + files.parquet %}
    {% set required = raw_columns(table_name) %}
    {% set problems = [] %}
    {% if csv_files %}
        {#- files no reader can make sense of: empty (not even a header) or not UTF-8 -#}
        {% set unreadable_check %}
            select
                filename,
                case when size = 0 then 'is empty: a CSV needs at least its header row'
                    else 'is not UTF-8 encoded: save it as UTF-8' end as problem
            from read_blob([{% for f in csv_files %}{{ sql_string(f) }}{{ ", " if not loop.last }}{% endfor %}])
            where size = 0 or try(decode(content)) is null
            order by filename
        {% endset %}
        {% for row in run_query(unreadable_check).rows %}
            {% set where = '' %}
            {% if row[1].startswith('is not UTF-8') %}
                {% set line = first_bad_csv_line(row[0], 'INVALID ENCODING') %}
                {% set where = ' (line ' ~ line ~ ')' if line is not none else '' %}
            {% endif %}
            {% do problems.append("  table '" ~ table_name ~ "', file '" ~ row[0] ~ "'" ~ where ~ " " ~ row[1]) %}
        {% endfor %}
    {% endif %}
    {% if problems %}
        {{ exceptions.raise_compiler_error("Raw data contract broken: unreadable file.\n" ~ (problems | join("\n"))) }}
    {% endif %}
    {% set check %}
        with expected as (
            select unnest([{% for c in required %}{{ sql_string(c) }}{{ ", " if not loop.last }}{% endfor %}]) as column_name
        ),

        files as (
            select unnest([{% for f in all_files %}{{ sql_string(f) }}{{ ", " if not loop.last }}{% endfor %}]) as file
        ),

        found as (
            select
                cast(null as varchar) as file,
                cast(null as varchar) as column_name
            {% if parquet_files %}
            union all
            select
                file_name as file,
                lower(name) as column_name
            from parquet_schema({{ sql_string(folder ~ '/**/*.parquet') }})
            {% endif %}
            {% for f in csv_files %}
            union all
            select
                {{ sql_string(f) }} as file,
                lower(column_name) as column_name
            from (describe select * from read_csv({{ sql_string(f) }}, {{ csv_options() }}))
            {% endfor %}
        ),

        -- a header read as one column that holds another delimiter: the file is not comma-separated
        single_column as (
            select
                file,
                max(column_name) as header
            from found
            where file is not null
                and column_name <> 'filename'
            group by file
            having count(*) = 1
        ),

        delimiters as (
            select
                file,
                case
                    when contains(header, ';') then '";" (semicolon)'
                    when contains(header, '|') then '"|" (pipe)'
                    when contains(header, chr(9)) then 'a tab'
                end as delimiter
            from single_column
        ),

        missing as (
            select
                files.file,
                coalesce(
                    ': its header is one column, separated by ' || any_value(delimiters.delimiter)
                        || ' — the contract''s CSV files are comma-separated: export with delimiter ","',
                    ''
                )
                || ': missing column(s) ' || string_agg(expected.column_name, ', ' order by expected.column_name) as problem
            from files
            cross join expected
            anti join found
                on found.file = files.file
                and found.column_name = expected.column_name
            left join delimiters
                on delimiters.file = files.file
                and delimiters.delimiter is not null
            group by files.file
        ),

        -- a CSV line with more fields than the header shows up as an unnamed column
        overlong as (
            select
                file,
                ': has lines with more fields than its header (a stray delimiter or an unquoted comma?)' as problem
            from found
            where regexp_matches(column_name, '^column[0-9]+$')
                and column_name not in (select column_name from expected)
            group by file
        )

        select file, problem from missing
        union all
        select file, problem from overlong
        order by file, problem
    {% endset %}
    {% set missing = run_query(check) %}
    {% if missing.rows | length > 0 %}
        {% set lines = [] %}
        {% for row in missing.rows %}
            {% set where = '' %}
            {% if row[1].startswith(': has lines with more fields') %}
                {% set line = first_bad_csv_line(row[0], 'TOO MANY COLUMNS') %}
                {% set where = ' (first on line ' ~ line ~ ')' if line is not none else '' %}
            {% endif %}
            {% do lines.append("  table '" ~ table_name ~ "', file '" ~ row[0] ~ "'" ~ row[1] ~ where) %}
        {% endfor %}
        {{ exceptions.raise_compiler_error(
            "Raw data contract broken: a file does not match its table's columns.\n" ~ (lines | join("\n"))
            ~ "\nRequired columns of '" ~ table_name ~ "': " ~ (required | join(', '))) }}
    {% endif %}
{% endmacro %}


{% macro first_bad_csv_line(path, error_type) %}
    {#- The first line (1 = the header) of a CSV file that DuckDB's strict reader rejects with
        `error_type` ('TOO MANY COLUMNS', 'INVALID ENCODING'); none when it finds none. Run only for
        a file already known to be broken, so a healthy build never reads its files twice. -#}
    {% set scan %}
        -- every value is used, so every line is decoded and checked (count(*) alone would skip them)
        select max(length(concat_ws(',', *columns(*))))
        from read_csv({{ sql_string(path) }},
            header = true, all_varchar = true, delim = ',', quote = '"', escape = '"',
            null_padding = false, strict_mode = true,
            store_rejects = true, rejects_table = 'journey_raw_rejects', rejects_scan = 'journey_raw_reject_scans')
    {% endset %}
    {% do run_query(scan) %}
    {% set found = run_query(
        "select min(line) from journey_raw_rejects where error_type = " ~ sql_string(error_type)
    ).columns[0].values() | list %}
    {% do run_query("drop table if exists journey_raw_rejects") %}
    {% do run_query("drop table if exists journey_raw_reject_scans") %}
    {{ return(found[0] if found and found[0] is not none else none) }}
{% endmacro %}


{% macro raw_contract_checked_on_run_start() %}
    {#- The commands whose on-run-start hook (check_raw_contract) checks every raw file first. -#}
    {{ return(flags.WHICH in ('run', 'build', 'test', 'compile')) }}
{% endmacro %}


{% macro check_raw_contract() %}
    {#- on-run-start: fail fast, before any model, when a raw file breaks the contract. -#}
    {% if execute and raw_contract_checked_on_run_start() %}
        {% set declared = [] %}
        {% for node in graph.sources.values() if node.source_name == 'raw' %}
            {% do declared.append(node.name) %}
        {% endfor %}
        {% if declared | sort != raw_table_names() | sort %}
            {{ exceptions.raise_compiler_error(
                "raw_table_names() (macros/raw_files/listing.sql) lists " ~ (raw_table_names() | sort | join(', '))
                ~ " but the `raw` source declares " ~ (declared | sort | join(', ')) ~ ": keep them the same.") }}
        {% endif %}
        {% set entries = count_raw_dir_entries() %}
        {% if entries == 0 %}
            {{ exceptions.raise_compiler_error(
                "raw folder not found: " ~ raw_dir() ~ " (it does not exist or holds no file): set JOURNEY_RAW_DIR to the"
                ~ " folder holding one sub-folder per raw table (" ~ (raw_table_names() | join(', ')) ~ ").") }}
        {% endif %}
        {% for table_name in raw_table_names() %}
            {% do check_raw_files(table_name, list_raw_files(table_name)) %}
        {% endfor %}
    {% endif %}
    select 1
{% endmacro %}


{% macro count_raw_dir_entries() %}
    {#- How many files raw_dir() holds (0 when it does not exist). -#}
    {{ return(adapter.dispatch('count_raw_dir_entries', 'journey_metrics')()) }}
{% endmacro %}


{% macro duckdb__count_raw_dir_entries() %}
    {{ return(run_query(
        "select count(*) from glob(" ~ sql_string(raw_dir() ~ '/**') ~ ")"
    ).columns[0].values()[0]) }}
{% endmacro %}
