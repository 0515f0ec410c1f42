{% macro months_between(start_date, end_date) -%}
    {#- Calendar months from start_date to end_date (month boundaries crossed; days ignored). -#}
    {{ return(adapter.dispatch('months_between', 'journey_metrics')(start_date, end_date)) }}
{%- endmacro %}


{% macro duckdb__months_between(start_date, end_date) -%}
    date_diff('month', {{ start_date }}, {{ end_date }})
{%- endmacro %}


{% macro default__months_between(start_date, end_date) -%}
    ((extract(year from {{ end_date }}) - extract(year from {{ start_date }})) * 12
        + extract(month from {{ end_date }}) - extract(month from {{ start_date }}))
{%- endmacro %}
