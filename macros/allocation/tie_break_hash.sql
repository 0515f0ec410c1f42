{% macro tie_break_hash(parts) %}
    {#- A deterministic, well-mixed key of the column expressions `parts`, to break ties fairly
        (largest_remainder): never by volume or id order. md5 of the values cast to strings and
        joined with '|', on every engine, so DuckDB and Spark hand a tied cent to the same row (an
        engine's own hash() would be faster, but DuckDB's and Spark's differ). -#}
    {{ return(adapter.dispatch('tie_break_hash', 'journey_metrics')(parts)) }}
{% endmacro %}


{% macro default__tie_break_hash(parts) -%}
    {%- set key_parts = [] -%}
    {%- for part in parts -%}
        {%- do key_parts.append("coalesce(cast(" ~ part ~ " as " ~ dbt.type_string() ~ "), '')") -%}
        {%- if not loop.last %}{% do key_parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(key_parts)) }}
{%- endmacro %}
