{% macro clv_unit_days() -%}
    {#- Days in var clv_time_unit (day: 1, week: 7), the unit of recency, age and the CLV models'
        parameters; any other value stops the build. -#}
    {%- set unit = var('clv_time_unit') -%}
    {%- if unit not in ('day', 'week') -%}
        {{ exceptions.raise_compiler_error(
            "var clv_time_unit must be 'day' or 'week', not '" ~ unit ~ "'"
        ) }}
    {%- endif -%}
    {{ return(7 if unit == 'week' else 1) }}
{%- endmacro %}
