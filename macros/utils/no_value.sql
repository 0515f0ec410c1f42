{% macro no_value() -%}
    {#- The one label for "no value" in a dimension (no touchpoint, no stage reached yet, no known
        channel or segment): var no_value_label, '(none)' by default, as a SQL string. The
        parentheses keep it apart from any real value. Values the catalogs do not know are kept
        as they are; a group the seeds do not know (channel_group, activity_type) is 'other'. -#}
    {{ return(sql_string(var('no_value_label'))) }}
{%- endmacro %}
