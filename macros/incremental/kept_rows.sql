{% macro kept_rows(relation, replaced_files) -%}
    {#- `relation` without the rows of `replaced_files` (files read again by this run), as a
        relation. -#}
    {%- if replaced_files -%}
        (select * from {{ relation }} where source_file not in ({{ sql_list(replaced_files) }}))
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
