{% macro month_start(timestamp) -%}
    {#- The first day of the month of `timestamp`, as a date: cohorts, cost periods, response
        months. -#}
    cast({{ dbt.date_trunc('month', timestamp) }} as date)
{%- endmacro %}
