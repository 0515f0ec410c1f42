{% macro asof_left_join(relation, alias, key, time, left_key, left_time) -%}
    {#- A join clause: each left row with the row of `relation` (aliased `alias`) of the same `key`
        (= left_key) with the latest `time` at or before left_time, or nulls. `relation` holds one
        row per key and time. -#}
    {{ return(adapter.dispatch('asof_left_join', 'journey_metrics')(
        relation, alias, key, time, left_key, left_time)) }}
{%- endmacro %}


{% macro duckdb__asof_left_join(relation, alias, key, time, left_key, left_time) -%}
    asof left join {{ relation }} as {{ alias }}
        on {{ alias }}.{{ key }} = {{ left_key }}
        and {{ alias }}.{{ time }} <= {{ left_time }}
{%- endmacro %}


{% macro default__asof_left_join(relation, alias, key, time, left_key, left_time) -%}
    {#- each row is valid from its time until the next row's time (excluded) -#}
    left join (
        select
            *,
            lead({{ time }}) over (partition by {{ key }} order by {{ time }}) as asof_valid_until
        from {{ relation }}
    ) as {{ alias }}
        on {{ alias }}.{{ key }} = {{ left_key }}
        and {{ alias }}.{{ time }} <= {{ left_time }}
        and ({{ alias }}.asof_valid_until is null or {{ alias }}.asof_valid_until > {{ left_time }})
{%- endmacro %}
