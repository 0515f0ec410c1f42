{% macro dates_between(start_date, end_date) -%}
    {#- Whole days from date start_date to date end_date (an integer; `date - date` is an integer
        on DuckDB, an interval on Spark). -#}
    {{ return(adapter.dispatch('dates_between', 'journey_metrics')(start_date, end_date)) }}
{%- endmacro %}


{% macro duckdb__dates_between(start_date, end_date) -%}
    ({{ end_date }} - {{ start_date }})
{%- endmacro %}


{% macro spark__dates_between(start_date, end_date) -%}
    cast(datediff({{ end_date }}, {{ start_date }}) as bigint)
{%- endmacro %}


{% macro default__dates_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}
