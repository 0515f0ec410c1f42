{% macro attribution_touch() -%}
    {#- var attribution_touch, validated: 'session' or 'event' (int_order_touches and
        int_channel_paths take the same kind of touch). -#}
    {%- set touch = var('attribution_touch') -%}
    {%- if touch not in ['session', 'event'] -%}
        {{ exceptions.raise_compiler_error(
            "var attribution_touch must be 'session' or 'event', got '" ~ touch ~ "'"
        ) }}
    {%- endif -%}
    {{ return(touch) }}
{%- endmacro %}


{% macro candidate_touches_ctes() -%}
    {#- The import CTE and the `candidate_touches` CTE of the touches attribution learns from, one
        row per touch: customer_id, session_id, event_id, touched_at, channel, touchpoint. By var
        attribution_touch: each session of int_sessions_aggregated (its start, with the channel and
        touchpoint of its first event; event_id null), or each event of int_events_sessionised.
        Emitted inside a `with`, each CTE followed by a comma. The calling model names both parents
        in a `-- depends_on:` comment, since only one of them is referenced. -#}
    {%- if attribution_touch() == 'session' %}
sessions as (
    select * from {{ ref('int_sessions_aggregated') }}
),

candidate_touches as (
    select
        customer_id,
        session_id,
        cast(null as {{ dbt.type_string() }}) as event_id,
        started_at as touched_at,
        entry_channel as channel,
        entry_touchpoint as touchpoint
    from sessions
),
    {%- else %}
events as (
    select * from {{ ref('int_events_sessionised') }}
),

candidate_touches as (
    select
        customer_id,
        session_id,
        event_id,
        occurred_at as touched_at,
        channel,
        touchpoint
    from events
),
    {%- endif %}
{%- endmacro %}


{% macro exclude_direct_touches(relation, journey_key) -%}
    {#- The rows of `relation` (a CTE of touches) that var attribution_exclude_direct keeps: when
        true, `direct` touches are dropped from a journey (rows sharing `journey_key`) that has any
        other touch (last non-direct click), and a journey with only direct touches keeps them;
        when false, every row. A select statement. -#}
    select {{ relation }}.*
    from {{ relation }}
    {%- if var('attribution_exclude_direct') %}
    where {{ relation }}.channel is distinct from 'direct'
        or not exists (
            select 1 as found
            from {{ relation }} as other
            where other.{{ journey_key }} = {{ relation }}.{{ journey_key }}
                and other.channel is distinct from 'direct'
        )
    {%- endif %}
{%- endmacro %}
