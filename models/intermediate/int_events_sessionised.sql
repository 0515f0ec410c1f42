-- Incremental by customer: a run recomputes every customer whose number of staged events differs
-- from the number stored (new events, or a customer whose events waited for the customer to be
-- staged), with all of their events, so sessions equal a full refresh. Events are immutable and
-- only ever added (base_events keeps the first file's row), so a changed count is the only way a
-- customer's events change.
{{ config(
    materialized='incremental',
    unique_key='customer_id',
    incremental_strategy=incremental_strategy(),
    partition_by=incremental_partitions('customer_id'),
    on_schema_change='fail'
) }}

-- Every staged event with its session: the tracker's session_id when it gave one; otherwise a
-- session derived from the customer's events without one, a new session starting after more than
-- var session_inactivity_minutes (default 30) without an event.
with staged as (
    select * from {{ ref('stg_events') }}
),

{% if is_incremental() %}
changed_customers as (
    {{ customers_with_changed_event_counts('staged', this) }}
),
{% endif %}

events as (
    select * from staged
    {% if is_incremental() %}
    where customer_id in (select changed_customers.customer_id from changed_customers)
    {% endif %}
),

untracked as (
    select
        event_id,
        customer_id,
        occurred_at,
        lag(occurred_at) over (
            partition by customer_id
            order by occurred_at, event_id
        ) as previous_occurred_at
    from events
    where session_id is null
),

untracked_breaks as (
    select
        event_id,
        customer_id,
        occurred_at,
        case
            when previous_occurred_at is null then 1
            when occurred_at - previous_occurred_at
                > {{ interval_of(var('session_inactivity_minutes'), 'minute') }} then 1
            else 0
        end as starts_session
    from untracked
),

derived_sessions as (
    select
        event_id,
        customer_id,
        sum(starts_session) over (
            partition by customer_id
            order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as session_number
    from untracked_breaks
),

final as (
    select
        events.event_id,
        events.customer_id,
        events.occurred_at,
        events.event_type,
        events.channel,
        events.touchpoint,
        coalesce(
            events.session_id,
            'derived-'
            || derived_sessions.customer_id
            || '-'
            || cast(derived_sessions.session_number as {{ dbt.type_string() }})
        ) as session_id,
        events.session_id is null as is_derived_session
    from events
    left join derived_sessions
        on derived_sessions.event_id = events.event_id
)

select * from final
