{% macro json_object(pairs) -%}
    {#- JSON text of an object: `pairs` is a list of [key, SQL expression], in key order; null
        values are written as null. -#}
    {{ return(adapter.dispatch('json_object', 'journey_metrics')(pairs)) }}
{%- endmacro %}


{% macro duckdb__json_object(pairs) -%}
    cast(to_json({
        {%- for pair in pairs %}
        {{ sql_string(pair[0]) }}: {{ pair[1] }}{{ "," if not loop.last }}
        {%- endfor %}
    }) as varchar)
{%- endmacro %}


{% macro spark__json_object(pairs) -%}
    to_json(named_struct(
        {%- for pair in pairs %}
        {{ sql_string(pair[0]) }}, {{ pair[1] }}{{ "," if not loop.last }}
        {%- endfor %}
    ), map('ignoreNullFields', 'false', 'timestampFormat', 'yyyy-MM-dd HH:mm:ss'))
{%- endmacro %}
