{#
    Reading the raw-data folder.

    Each raw table is a sub-folder `<raw_dir>/<table>/` of `.csv` (with header) and/or `.parquet`
    files, searched recursively (so `events/event_date=2024-01-01/part-0.parquet` works). Files are
    read together (Parquet files in groups of one schema) and matched by column name; extra columns
    are ignored. Every contract column is returned as text, whatever its type in the file, and
    staging casts it defensively.
#}

{% macro raw_table_names() %}
    {#- The tables of the raw contract, in dependency order. Their columns live in _sources.yml. -#}
    {{ return([
        'customers',
        'events',
        'orders',
        'survey_responses',
        'referrals',
        'support_tickets',
        'experiments',
        'experiment_assignments',
        'activity_costs',
    ]) }}
{% endmacro %}


{% macro raw_dir() %}
    {{ return(var('raw_dir') | string | trim | replace('\\', '/') ) }}
{% endmacro %}


{% macro sql_string(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}


{% macro raw_columns(table_name) %}
    {#- The contract's columns of one raw table, in order, from the `raw` source in _sources.yml.
        The graph is only filled at execution; at parse time there is nothing to read. -#}
    {% if not execute %}
        {{ return([]) }}
    {% endif %}
    {% set found = namespace(columns=none) %}
    {% for node in graph.sources.values() %}
        {% if node.source_name == 'raw' and node.name == table_name %}
            {% set found.columns = node.columns.keys() | list %}
        {% endif %}
    {% endfor %}
    {% if found.columns is none %}
        {{ exceptions.raise_compiler_error(
            "Raw table '" ~ table_name ~ "' is not declared in the `raw` source (models/staging/_sources.yml).") }}
    {% endif %}
    {{ return(found.columns) }}
{% endmacro %}


{% macro csv_options() -%}
    header = true,
    all_varchar = true,
    delim = ',',
    quote = '"',
    escape = '"',
    union_by_name = true,
    filename = true,
    null_padding = true
{%- endmacro %}


{% macro raw_files(table_name, check_columns=true, group_parquet=false) %}
    {#-
        Lists a raw table's files and (unless check_columns is false) checks that every file can be
        read and holds every contract column. With group_parquet (read_raw), also groups the Parquet
        files by schema; the run-start check does not need the groups and skips that metadata scan.
        Returns {'csv': [paths], 'parquet': [paths], 'parquet_groups': [[paths]], 'folder': path}. Raises a clear error naming the table, the
        folder or file, and the missing columns, instead of failing deep inside a model.
    -#}
    {% set folder = raw_dir() ~ '/' ~ table_name %}
    {% set listing %}
        select file
        from glob({{ sql_string(folder ~ '/**/*.csv') }})
        union all
        select file
        from glob({{ sql_string(folder ~ '/**/*.parquet') }})
        order by file
    {% endset %}
    {% set files = run_query(listing).columns[0].values() | list %}
    {% set csv_files = [] %}
    {% set parquet_files = [] %}
    {% for f in files %}
        {% do (csv_files if f.lower().endswith('.csv') else parquet_files).append(f) %}
    {% endfor %}
    {% if files | length == 0 %}
        {{ exceptions.raise_compiler_error(
            "Raw data contract: table '" ~ table_name ~ "' has no .csv or .parquet file under '" ~ folder
            ~ "' (set JOURNEY_RAW_DIR; an empty table is a folder holding a header-only CSV).") }}
    {% endif %}

    {#- Parquet files grouped by their schema (every column's name and physical and logical type):
        read_parquet unifies the types of the files it reads together, and one file whose column has
        another type (an epoch BIGINT where the others hold a TIMESTAMP) would fail the whole read.
        Each group is read on its own and every column cast to text, so one bad value rejects its
        row in staging instead. -#}
    {% set parquet_groups = [] %}
    {% if parquet_files and group_parquet %}
        {% set schemas %}
            select
                file_name,
                string_agg(
                    lower(name) || ':' || coalesce(type, '') || ':' || coalesce(converted_type, '')
                        || ':' || coalesce(cast(logical_type as varchar), ''),
                    ',' order by lower(name), type, converted_type, cast(logical_type as varchar)
                ) as signature
            from parquet_schema({{ sql_string(folder ~ '/**/*.parquet') }})
            group by file_name
            order by file_name
        {% endset %}
        {% set by_signature = {} %}
        {% set signatures = [] %}
        {% for row in run_query(schemas).rows %}
            {% if row[1] not in by_signature %}
                {% do by_signature.update({row[1]: []}) %}
                {% do signatures.append(row[1]) %}
            {% endif %}
            {% do by_signature[row[1]].append(row[0]) %}
        {% endfor %}
        {% for signature in signatures %}
            {% do parquet_groups.append(by_signature[signature]) %}
        {% endfor %}
    {% endif %}
    {% set found_files = {
        'csv': csv_files,
        'parquet': parquet_files,
        'parquet_groups': parquet_groups,
        'folder': folder,
    } %}

    {% if not check_columns %}
        {{ return(found_files) }}
    {% endif %}

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
            select unnest([{% for f in files %}{{ sql_string(f) }}{{ ", " if not loop.last }}{% endfor %}]) as file
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
    {{ return(found_files) }}
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


{% macro read_raw(table_name) %}
    {#-
        A select of one raw table: every contract column as text (as it arrived) plus
        `_source_file`. At parse time, when nothing may be read, a typed empty stand-in.
        The files' columns are checked here only when the on-run-start hook has not already done so.
    -#}
    {% if not execute %}
        select cast(null as varchar) as _source_file
    {% else %}
        {% set columns = raw_columns(table_name) %}
        {% set files = raw_files(
            table_name, check_columns=not raw_contract_checked_on_run_start(), group_parquet=true
        ) %}
        {% set branches = [] %}
        {% if files.csv %}
            {% do branches.append(
                "read_csv(" ~ sql_string(files.folder ~ '/**/*.csv') ~ ", " ~ csv_options() ~ ")"
            ) %}
        {% endif %}
        {% for group in files.parquet_groups %}
            {% set paths = [] %}
            {% for f in group %}{% do paths.append(sql_string(f)) %}{% endfor %}
            {% do branches.append("read_parquet([" ~ (paths | join(', '))
                ~ "], union_by_name = true, filename = true, hive_partitioning = false)") %}
        {% endfor %}
        {% for reader in branches %}
            select
                {% for c in columns %}
                cast({{ adapter.quote(c) }} as varchar) as {{ c }},
                {% endfor %}
                filename as _source_file
            from {{ reader }}
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
    {% endif %}
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
                "raw_table_names() (macros/raw_files.sql) lists " ~ (raw_table_names() | sort | join(', '))
                ~ " but the `raw` source declares " ~ (declared | sort | join(', ')) ~ ": keep them the same.") }}
        {% endif %}
        {% set entries = run_query(
            "select count(*) from glob(" ~ sql_string(raw_dir() ~ '/**') ~ ")"
        ).columns[0].values()[0] %}
        {% if entries == 0 %}
            {{ exceptions.raise_compiler_error(
                "raw folder not found: " ~ raw_dir() ~ " (it does not exist or holds no file): set JOURNEY_RAW_DIR to the"
                ~ " folder holding one sub-folder per raw table (" ~ (raw_table_names() | join(', ')) ~ ").") }}
        {% endif %}
        {% for table_name in raw_table_names() %}
            {% do raw_files(table_name) %}
        {% endfor %}
    {% endif %}
    select 1
{% endmacro %}
