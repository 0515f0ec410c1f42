{% macro value_rows(values, column) -%}
    {#- A select of one row per entry of `values` (SQL literals or expressions), in column
        `column`. -#}
    {{ return(adapter.dispatch('value_rows', 'journey_metrics')(values, column)) }}
{%- endmacro %}


{% macro duckdb__value_rows(values, column) -%}
    select unnest([{{ values | join(', ') }}]) as {{ column }}
{%- endmacro %}


{% macro default__value_rows(values, column) -%}
    select {{ column }}
    from (values {% for v in values %}({{ v }}){{ ", " if not loop.last }}{% endfor %}) as value_rows ({{ column }})
{%- endmacro %}
