{% macro month_series(first_month, last_day, column) -%}
    {#- A from-clause item (aliased `series`) of the first days of the months from date first_month
        (a month's first day) through date last_day, as timestamps in column `column`. -#}
    {{ return(adapter.dispatch('month_series', 'journey_metrics')(first_month, last_day, column)) }}
{%- endmacro %}


{% macro duckdb__month_series(first_month, last_day, column) -%}
    unnest(generate_series(
        cast({{ first_month }} as timestamp),
        cast({{ last_day }} as timestamp),
        interval 1 month
    )) as series ({{ column }})
{%- endmacro %}


{% macro spark__month_series(first_month, last_day, column) -%}
    lateral (
        select explode(sequence(
            cast({{ first_month }} as timestamp), cast({{ last_day }} as timestamp), interval 1 month
        )) as {{ column }}
    ) as series
{%- endmacro %}
