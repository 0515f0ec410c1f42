{% macro json_quote(expression) -%}
    {#- The text `expression` as a JSON string (quoted and escaped). -#}
    {{ return(adapter.dispatch('json_quote', 'journey_metrics')(expression)) }}
{%- endmacro %}


{% macro duckdb__json_quote(expression) -%}
    cast(to_json({{ expression }}) as varchar)
{%- endmacro %}


{% macro spark__json_quote(expression) -%}
    regexp_extract(to_json(array({{ expression }})), '^\\[(.*)\\]$', 1)
{%- endmacro %}
