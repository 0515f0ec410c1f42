{% macro ordered_string_agg(expression, delimiter, order_by) -%}
    {#- The values of `expression` joined with `delimiter` (a SQL string literal), in ascending
        `order_by` order; an aggregate. (dbt.listagg ignores the order on Spark.) -#}
    {{ return(adapter.dispatch('ordered_string_agg', 'journey_metrics')(
        expression, delimiter, order_by)) }}
{%- endmacro %}


{% macro duckdb__ordered_string_agg(expression, delimiter, order_by) -%}
    string_agg({{ expression }}, {{ delimiter }} order by {{ order_by }})
{%- endmacro %}


{% macro spark__ordered_string_agg(expression, delimiter, order_by) -%}
    array_join(transform(
        array_sort(collect_list(struct({{ order_by }} as sort_key, {{ expression }} as value))),
        entry -> entry.value
    ), {{ delimiter }})
{%- endmacro %}
