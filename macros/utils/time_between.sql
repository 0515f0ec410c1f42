{#
    Time between two timestamps as a fraction of a unit: one definition of the day (and hour)
    arithmetic the models share.
#}

{% macro seconds_between(start_at, end_at) -%}
    {#- Seconds from start_at to end_at (negative when end_at is earlier), with fractions. -#}
    {{ return(adapter.dispatch('seconds_between', 'journey_metrics')(start_at, end_at)) }}
{%- endmacro %}


{% macro default__seconds_between(start_at, end_at) -%}
    {{ dbt.datediff(start_at, end_at, 'second') }}
{%- endmacro %}


{% macro duckdb__seconds_between(start_at, end_at) -%}
    (epoch({{ end_at }}) - epoch({{ start_at }}))
{%- endmacro %}


{% macro spark__seconds_between(start_at, end_at) -%}
    (cast(unix_micros({{ end_at }}) - unix_micros({{ start_at }}) as double) / 1000000)
{%- endmacro %}


{% macro hours_between(start_at, end_at) -%}
    {#- Hours from start_at to end_at, with fractions. -#}
    ({{ seconds_between(start_at, end_at) }} / 3600.0)
{%- endmacro %}


{% macro days_between(start_at, end_at) -%}
    {#- Days (of 24 hours) from start_at to end_at, with fractions. -#}
    ({{ seconds_between(start_at, end_at) }} / 86400.0)
{%- endmacro %}
