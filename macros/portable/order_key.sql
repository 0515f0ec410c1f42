{% macro order_key(parts) -%}
    {#- One comparable value of `parts` (an expression, or a list compared in order): a row
        (tuple) on DuckDB, a struct elsewhere. -#}
    {{ return(adapter.dispatch('order_key', 'journey_metrics')(parts)) }}
{%- endmacro %}


{% macro duckdb__order_key(parts) -%}
    {%- if parts is string -%}{{ parts }}{%- else -%}({{ parts | join(', ') }}){%- endif -%}
{%- endmacro %}


{% macro default__order_key(parts) -%}
    {%- if parts is string -%}{{ parts }}{%- else -%}struct({{ parts | join(', ') }}){%- endif -%}
{%- endmacro %}
