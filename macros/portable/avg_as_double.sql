{% macro avg_as_double(expression, condition=none) -%}
    {#- The mean of a decimal `expression` as a double (over the rows where `condition` holds, when
        given): DuckDB's avg() of a decimal is a double; Spark's keeps a decimal of fixed scale. -#}
    {{ return(adapter.dispatch('avg_as_double', 'journey_metrics')(expression, condition)) }}
{%- endmacro %}


{% macro duckdb__avg_as_double(expression, condition=none) -%}
    avg({{ expression }}){% if condition %} filter (where {{ condition }}){% endif %}
{%- endmacro %}


{% macro default__avg_as_double(expression, condition=none) -%}
    {%- set only = ' filter (where ' ~ condition ~ ')' if condition else '' -%}
    (cast(sum({{ expression }}){{ only }} as double) / count({{ expression }}){{ only }})
{%- endmacro %}
