{% macro incremental_strategy() -%}
    {#- How the incremental models replace what changed: delete+insert by unique_key on DuckDB;
        insert_overwrite of the changed partitions (partition_by = incremental_partitions()) on
        Spark, where merge needs Delta or Iceberg. -#}
    {{ return(adapter.dispatch('incremental_strategy', 'journey_metrics')()) }}
{%- endmacro %}


{% macro default__incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}


{% macro spark__incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}


{% macro incremental_partitions(column) -%}
    {#- partition_by of an incremental model keyed by `column`: none on DuckDB, [column] on Spark
        (insert_overwrite replaces whole partitions, so one partition per key value). -#}
    {{ return(adapter.dispatch('incremental_partitions', 'journey_metrics')(column)) }}
{%- endmacro %}


{% macro default__incremental_partitions(column) -%}
    {{ return(none) }}
{%- endmacro %}


{% macro spark__incremental_partitions(column) -%}
    {{ return([column]) }}
{%- endmacro %}
