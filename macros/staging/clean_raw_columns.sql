{% macro clean_raw_columns(relation, table_name) %}
    {#-
        Every raw column of `relation` (a raw_<table> view of raw table `table_name`: the contract
        columns as text, plus _source_file) trimmed, blank as null, prefixed raw_; the row as it
        arrived in _raw_record.
    -#}
    {{ return(adapter.dispatch('clean_raw_columns', 'journey_metrics')(relation, table_name)) }}
{% endmacro %}


{% macro duckdb__clean_raw_columns(relation, table_name) %}
    {#- Star expressions, not the contract's column list, so a unit test's fixture works the
        same. -#}
    select
        _source_file,
        struct_pack(*columns(* exclude (_source_file))) as _raw_record,
        nullif(trim(columns(* exclude (_source_file))), '') as 'raw_\0'
    from {{ relation }}
{% endmacro %}


{% macro spark__clean_raw_columns(relation, table_name) %}
    {#- The contract's columns of `table_name`, named one by one (Spark has no columns(*)). -#}
    {%- set columns = raw_columns(table_name) -%}
    select
        _source_file,
        struct({{ columns | join(', ') }}) as _raw_record,
        {% for c in columns -%}
        nullif(trim({{ c }}), '') as raw_{{ c }}{{ "," if not loop.last }}
        {% endfor -%}
    from {{ relation }}
{% endmacro %}
