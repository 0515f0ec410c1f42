-- One row per session with what its events say (start, end, events, entry channel and touchpoint).
-- Incremental by customer like int_events_sessionised: a run recomputes the customers whose number
-- of events differs from the events their stored sessions hold. fct_sessions adds the orders.
{{ config(
    materialized='incremental',
    unique_key='customer_id',
    incremental_strategy=incremental_strategy(),
    partition_by=incremental_partitions('customer_id'),
    on_schema_change='fail'
) }}

with sessionised as (
    select * from {{ ref('int_events_sessionised') }}
),

{% if is_incremental() %}
changed_customers as (
    {{ customers_with_changed_event_counts('sessionised', this, stored_events='sum(events)') }}
),
{% endif %}

events as (
    select * from sessionised
    {% if is_incremental() %}
    where customer_id in (select changed_customers.customer_id from changed_customers)
    {% endif %}
),

sessions as (
    select
        session_id,
        customer_id,
        bool_or(is_derived_session) as is_derived_session,
        min(occurred_at) as started_at,
        max(occurred_at) as ended_at,
        count(*) as events,
        {{ arg_min('channel', ['occurred_at', 'event_id']) }} as entry_channel,
        {{ arg_min('touchpoint', ['occurred_at', 'event_id']) }} as entry_touchpoint
    from events
    group by session_id, customer_id
)

select * from sessions
