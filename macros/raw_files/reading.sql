{#
    Reading a raw table: files read together (Parquet files in groups of one schema) and matched by
    column name; extra columns are ignored. Every contract column is returned as text, whatever its
    type in the file, and staging casts it defensively.
#}


{% macro csv_options() -%}
    {#- The options of read_csv for the contract's CSV dialect: UTF-8, a header, comma-separated,
        double quotes, every column as text, files matched by column name. -#}
    header = true,
    all_varchar = true,
    delim = ',',
    quote = '"',
    escape = '"',
    union_by_name = true,
    filename = true,
    null_padding = true
{%- endmacro %}


{% macro read_raw(table_name) %}
    {#-
        A select of one raw table: every contract column as text (as it arrived) plus
        `_source_file`. At parse time, when nothing may be read, a typed empty stand-in.
        The files' columns are checked here only when the on-run-start hook has not already done so.
    -#}
    {{ return(adapter.dispatch('read_raw', 'journey_metrics')(table_name)) }}
{% endmacro %}


{% macro duckdb__read_raw(table_name) %}
    {% if not execute %}
        select cast(null as varchar) as _source_file
    {% else %}
        {% set columns = raw_columns(table_name) %}
        {% set files = list_raw_files(table_name) %}
        {% if not raw_contract_checked_on_run_start() %}
            {% do check_raw_files(table_name, files) %}
        {% endif %}
        {% set branches = [] %}
        {% if files.csv %}
            {% do branches.append(
                "read_csv(" ~ sql_string(files.folder ~ '/**/*.csv') ~ ", " ~ csv_options() ~ ")"
            ) %}
        {% endif %}
        {% for group in parquet_schema_groups(files) %}
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


{% macro parquet_schema_groups(files) %}
    {#- The Parquet files of `files` (list_raw_files()) grouped by their schema (every column's name
        and physical and logical type):
        read_parquet unifies the types of the files it reads together, and one file whose column has
        another type (an epoch BIGINT where the others hold a TIMESTAMP) would fail the whole read.
        Each group is read on its own and every column cast to text, so one bad value rejects its
        row in staging instead. -#}
    {% set parquet_groups = [] %}
    {% if files.parquet %}
        {% set schemas %}
            select
                file_name,
                string_agg(
                    lower(name) || ':' || coalesce(type, '') || ':' || coalesce(converted_type, '')
                        || ':' || coalesce(cast(logical_type as varchar), ''),
                    ',' order by lower(name), type, converted_type, cast(logical_type as varchar)
                ) as signature
            from parquet_schema({{ sql_string(files.folder ~ '/**/*.parquet') }})
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
    {{ return(parquet_groups) }}
{% endmacro %}


{% macro raw_cte_hint(table_name) -%}
    {#- How a model's CTEs over raw table `table_name` are hinted (`<name> as {{ hint }} (`), for a
        CTE read more than once: DuckDB materialises such a CTE, holding every row with all its
        columns (the raw record too) until the query ends. Where the table's files are all Parquet,
        `not materialized`: each reader reads the files again, only the columns it needs, which is
        cheaper and holds nothing (base_events at 10M events: 12.6-13.1 s -> 10.2-11.0 s). A CSV
        file is parsed whole each time it is read: then nothing, and DuckDB materialises. Empty at
        parse time, in a unit test (its inputs are fixtures: no files to list) and on other
        engines. -#}
    {{ return(adapter.dispatch('raw_cte_hint', 'journey_metrics')(table_name)) }}
{%- endmacro %}


{% macro duckdb__raw_cte_hint(table_name) -%}
    {%- if execute and model.resource_type != 'unit_test' and not list_raw_files(table_name).csv -%}
        {{ return('not materialized') }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}


{% macro default__raw_cte_hint(table_name) -%}
    {{ return('') }}
{%- endmacro %}
