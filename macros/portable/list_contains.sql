{% macro list_contains(list, element) -%}
    {#- True when the list (array) `list` holds `element`. -#}
    {{ return(adapter.dispatch('list_contains', 'journey_metrics')(list, element)) }}
{%- endmacro %}


{% macro duckdb__list_contains(list, element) -%}
    list_contains({{ list }}, {{ element }})
{%- endmacro %}


{% macro default__list_contains(list, element) -%}
    array_contains({{ list }}, {{ element }})
{%- endmacro %}
