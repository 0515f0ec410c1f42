{#
    SQL literals from Jinja values.
#}


{% macro sql_string(value) -%}
    {#- `value` as a SQL string literal, single quotes doubled. -#}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}


{% macro sql_list(values) -%}
    {#- `values` as a comma-separated list of SQL string literals (for an `in (...)`). -#}
    {%- for v in values %}{{ sql_string(v) }}{{ ", " if not loop.last }}{% endfor -%}
{%- endmacro %}
