{% macro percentile_cont(expression, fraction) -%}
    {#- The continuous (linearly interpolated) `fraction` quantile of `expression`, an
        aggregate. -#}
    {{ return(adapter.dispatch('percentile_cont', 'journey_metrics')(expression, fraction)) }}
{%- endmacro %}


{% macro duckdb__percentile_cont(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}


{% macro spark__percentile_cont(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}


{% macro default__percentile_cont(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}
