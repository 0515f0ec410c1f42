{% macro integer_series(first, last, column) -%}
    {#- A select of the integers first, first + 1, …, last (inclusive) in column `column`. -#}
    {{ return(adapter.dispatch('integer_series', 'journey_metrics')(first, last, column)) }}
{%- endmacro %}


{% macro duckdb__integer_series(first, last, column) -%}
    select unnest(range({{ first }}, {{ last }} + 1)) as {{ column }}
{%- endmacro %}


{% macro spark__integer_series(first, last, column) -%}
    select explode(sequence(cast({{ first }} as bigint), cast({{ last }} as bigint))) as {{ column }}
{%- endmacro %}
