{#
    Listing the raw-data folder: the tables of the contract, their columns, and each table's files.

    Each raw table is a sub-folder `<raw_dir>/<table>/` of `.csv` (with header) and/or `.parquet`
    files, searched recursively (so `events/event_date=2024-01-01/part-0.parquet` works).
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
    {#- The raw-data folder (var raw_dir, from JOURNEY_RAW_DIR), trimmed, with forward slashes. -#}
    {{ return(var('raw_dir') | string | trim | replace('\\', '/') ) }}
{% endmacro %}


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


{% macro list_raw_files(table_name) %}
    {#-
        A raw table's files: {'csv': [paths], 'parquet': [paths], 'folder': path}, in path order.
        Raises a clear error naming the table and the folder when it holds no .csv or .parquet file.
        Lists only: check_raw_files() checks what the files hold.
    -#}
    {{ return(adapter.dispatch('list_raw_files', 'journey_metrics')(table_name)) }}
{% endmacro %}


{% macro duckdb__list_raw_files(table_name) %}
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
    {{ return({'csv': csv_files, 'parquet': parquet_files, 'folder': folder}) }}
{% endmacro %}
