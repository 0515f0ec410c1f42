{% macro arg_min(value, order_by) -%}
    {#- The `value` of the row with the smallest `order_by` (an expression or a list of them). -#}
    {{ return(adapter.dispatch('arg_min', 'journey_metrics')(value, order_by)) }}
{%- endmacro %}


{% macro duckdb__arg_min(value, order_by) -%}
    arg_min({{ value }}, {{ order_key(order_by) }})
{%- endmacro %}


{% macro default__arg_min(value, order_by) -%}
    min_by({{ value }}, {{ order_key(order_by) }})
{%- endmacro %}
