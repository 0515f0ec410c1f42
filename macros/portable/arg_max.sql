{% macro arg_max(value, order_by) -%}
    {#- The `value` of the row with the largest `order_by`; order_by may be a list of expressions,
        compared in order (ties broken by the next one). -#}
    {{ return(adapter.dispatch('arg_max', 'journey_metrics')(value, order_by)) }}
{%- endmacro %}


{% macro duckdb__arg_max(value, order_by) -%}
    arg_max({{ value }}, {{ order_key(order_by) }})
{%- endmacro %}


{% macro default__arg_max(value, order_by) -%}
    max_by({{ value }}, {{ order_key(order_by) }})
{%- endmacro %}
