{% macro avg_as_double(expression, condition=none) -%}
    {#- The mean of a decimal `expression` as a double (over the rows where `condition` holds, when
        given): the exact decimal sum cast to a double, divided by the count, on every engine (DuckDB's
        avg() of a decimal is a double rounded another way, Spark's a decimal of fixed scale; the
        CLV fits' flat likelihood turns a last-bit difference in their inputs into another
        optimum, so both engines must compute the same bits). -#}
    {{ return(adapter.dispatch('avg_as_double', 'journey_metrics')(expression, condition)) }}
{%- endmacro %}


{% macro default__avg_as_double(expression, condition=none) -%}
    {%- set only = ' filter (where ' ~ condition ~ ')' if condition else '' -%}
    (cast(sum({{ expression }}){{ only }} as double) / count({{ expression }}){{ only }})
{%- endmacro %}
