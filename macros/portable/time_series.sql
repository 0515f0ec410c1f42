{% macro time_series(start, end, step, column) -%}
    {#- A select of the moments start, start + step, … before `end` (excluded) in column `column`;
        start and end are typed SQL expressions (date or timestamp), step 'day' or 'hour'. -#}
    {{ return(adapter.dispatch('time_series', 'journey_metrics')(start, end, step, column)) }}
{%- endmacro %}


{% macro duckdb__time_series(start, end, step, column) -%}
    select range as {{ column }}
    from range({{ start }}, {{ end }}, interval 1 {{ step }})
{%- endmacro %}


{% macro spark__time_series(start, end, step, column) -%}
    select {{ column }}
    from (
        select explode(sequence({{ start }}, {{ end }}, interval 1 {{ step }})) as {{ column }}
    ) as series
    where {{ column }} < {{ end }}
{%- endmacro %}
