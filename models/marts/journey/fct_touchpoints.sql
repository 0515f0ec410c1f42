-- Incremental by customer: a run rewrites every event of the customers whose number of events
-- changed (new events: their sessions and journey positions may change too), whose first completed
-- purchase changed (a new, re-dated or re-statused order), or of every customer when a seed mapping
-- (stage_map, channels, touchpoints) no longer matches what is stored. Every other customer's rows
-- are kept as they are, and an incremental run equals a full refresh.
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

orders as (
    select * from {{ ref('stg_orders') }}
),

stage_map as (
    select * from {{ ref('stage_map') }}
),

channels as (
    select * from {{ ref('channels') }}
),

touchpoint_catalog as (
    select * from {{ ref('touchpoints') }}
),

first_purchases as (
    select
        customer_id,
        min(ordered_at) as first_purchase_at
    from orders
    where status = 'completed'
    group by customer_id
),

{% if is_incremental() %}
-- one pass over the stored events: each customer's event count and first purchase as stored
stored_customers as (
    select
        customer_id,
        count(*) as events,
        max(first_purchase_at) as first_purchase_at
    from {{ this }}
    group by customer_id
),

stored_lookups as (
    select distinct
        event_type,
        stage,
        channel,
        channel_group,
        touchpoint,
        touchpoint_group
    from {{ this }}
),

stale_lookups as (
    select stored_lookups.event_type
    from stored_lookups
    left join stage_map
        on stage_map.event_type = stored_lookups.event_type
    left join channels
        on channels.channel = stored_lookups.channel
    left join touchpoint_catalog
        on touchpoint_catalog.touchpoint = stored_lookups.touchpoint
    where stored_lookups.stage is distinct from stage_map.stage
        or stored_lookups.channel_group is distinct from coalesce(channels.channel_group, 'other')
        or stored_lookups.touchpoint_group is distinct from coalesce(
            touchpoint_catalog.touchpoint_group, 'other'
        )
),

changed_customers as (
    {{ customers_with_changed_event_counts(
        'sessionised', 'stored_customers', stored_events='sum(events)'
    ) }}
    union
    select stored_customers.customer_id
    from stored_customers
    left join first_purchases
        on first_purchases.customer_id = stored_customers.customer_id
    where stored_customers.first_purchase_at is distinct from first_purchases.first_purchase_at
),
{% endif %}

events as (
    select * from sessionised
    {% if is_incremental() %}
    where customer_id in (select changed_customers.customer_id from changed_customers)
        or exists (select 1 as found from stale_lookups)
    {% endif %}
),

-- numbered before the lookups are joined: the window then sorts the events' own columns only
positioned as (
    select
        *,
        -- bigint on every engine (Spark's row_number() is an int)
        cast(row_number() over (
            partition by customer_id
            order by occurred_at, event_id
        ) as bigint) as journey_position
    from events
),

final as (
    select
        events.event_id,
        events.customer_id,
        events.occurred_at,
        events.event_type,
        stage_map.stage,
        events.channel,
        coalesce(channels.channel_group, 'other') as channel_group,
        events.touchpoint,
        coalesce(touchpoint_catalog.touchpoint_group, 'other') as touchpoint_group,
        events.session_id,
        events.journey_position,
        first_purchases.first_purchase_at,
        events.occurred_at <= first_purchases.first_purchase_at as is_before_first_purchase,
        case
            when events.occurred_at <= first_purchases.first_purchase_at
                then {{ hours_between('events.occurred_at', 'first_purchases.first_purchase_at') }}
        end as hours_before_first_purchase
    from positioned as events
    left join stage_map
        on stage_map.event_type = events.event_type
    left join channels
        on channels.channel = events.channel
    left join touchpoint_catalog
        on touchpoint_catalog.touchpoint = events.touchpoint
    left join first_purchases
        on first_purchases.customer_id = events.customer_id
)

select * from final
