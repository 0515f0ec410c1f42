{% macro path_max_length() -%}
    {#- var path_max_length, checked: the channels a customer's path keeps before it ends in
        '(more)'. Anything but a positive integer stops the build with an error naming the var. -#}
    {%- set max_length = var('path_max_length') -%}
    {%- if max_length is not integer or max_length < 1 -%}
        {{ exceptions.raise_compiler_error(
            "var path_max_length must be a positive integer (the channels a path keeps before"
            ~ " '(more)'), got '" ~ max_length ~ "'"
        ) }}
    {%- endif -%}
    {{ return(max_length) }}
{%- endmacro %}
