{% macro interval_of(amount, unit) -%}
    {#- An interval of `amount` (an integer expression) `unit`s ('day', 'hour' or 'minute'), to add
        to a timestamp or to compare with the difference of two. -#}
    {{ return(adapter.dispatch('interval_of', 'journey_metrics')(amount, unit)) }}
{%- endmacro %}


{% macro duckdb__interval_of(amount, unit) -%}
    to_{{ unit }}s(cast({{ amount }} as {{ 'integer' if unit == 'day' else 'bigint' }}))
{%- endmacro %}


{% macro spark__interval_of(amount, unit) -%}
    {%- set position = {'day': 0, 'hour': 1, 'minute': 2}[unit] -%}
    make_dt_interval(
        {%- for i in range(4) -%}
        {{ 'cast(' ~ amount ~ ' as int)' if i == position else '0' }}{{ ', ' if not loop.last }}
        {%- endfor -%}
    )
{%- endmacro %}


{% macro default__interval_of(amount, unit) -%}
    (interval '1' {{ unit }} * ({{ amount }}))
{%- endmacro %}
