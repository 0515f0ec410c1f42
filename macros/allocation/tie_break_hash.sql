{% macro tie_break_hash(parts) %}
    {#- A deterministic, well-mixed key of the column expressions `parts`, to break ties fairly
        (largest_remainder): never by volume or id order. DuckDB's own hash() of the values (fast);
        elsewhere md5 of the values joined with '|'. -#}
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


{% macro duckdb__tie_break_hash(parts) -%}
    hash({{ parts | join(', ') }})
{%- endmacro %}
