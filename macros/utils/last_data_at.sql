{% macro last_data_at() -%}
    {#- The last moment of data: the latest staged order or event (UTC). One definition for the
        models that measure "as of the end of the data". -#}
    greatest(
        (select max(ordered_at) from {{ ref('stg_orders') }}),
        (select max(occurred_at) from {{ ref('int_events_sessionised') }})
    )
{%- endmacro %}
