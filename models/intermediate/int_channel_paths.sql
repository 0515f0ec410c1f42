-- The channel paths data-driven attribution learns from (attribution_removal_effects: Markov;
-- attribution_shapley_shares: Shapley), one row per distinct path, converting and not:
--   converting      each completed order's touches (int_order_touches, the touches the heuristic
--                   models credit), in touch order; an order without a touch has no path
--   not converting  each customer's touches that came after their last completed order (all of
--                   them for a customer who never completed one): a journey that has not ended in
--                   an order; the same kind of touch (var attribution_touch), within the same var
--                   attribution_lookback_days before the journey's last touch, and the same
--                   attribution_exclude_direct rule as int_order_touches
-- Repeats are kept (email > email > direct): the Markov model drops the self-transitions, as
-- ChannelAttribution's markov_model does, which leaves the absorption probabilities unchanged.
-- A table: two Python models and the data tests read it.
{{ config(materialized='table') }}
{%- do attribution_touch() %}

-- depends_on: {{ ref('int_sessions_aggregated') }}, {{ ref('int_events_sessionised') }}

with order_touches as (
    select * from {{ ref('int_order_touches') }}
    where touches > 0
),

orders as (
    select * from {{ ref('stg_orders') }}
    where status = 'completed'
),

{{ candidate_touches_ctes() }}

last_orders as (
    select
        customer_id,
        max(ordered_at) as last_ordered_at
    from orders
    group by customer_id
),

unconverted as (
    select
        candidate_touches.*,
        max(candidate_touches.touched_at) over (
            partition by candidate_touches.customer_id
        ) as last_touched_at
    from candidate_touches
    left join last_orders
        on last_orders.customer_id = candidate_touches.customer_id
    where
        last_orders.last_ordered_at is null
        or candidate_touches.touched_at > last_orders.last_ordered_at
),

unconverted_windowed as (
    select *
    from unconverted
    where touched_at >= {{ dbt.dateadd(
        'day', -1 * var('attribution_lookback_days') | int, 'last_touched_at'
    ) }}
),

unconverted_kept as (
    {{ exclude_direct_touches('unconverted_windowed', 'customer_id') }}
),

journey_touches as (
    select
        order_id as journey_id,
        true as is_converted,
        channel,
        touch_number
    from order_touches
    union all
    select
        customer_id as journey_id,
        false as is_converted,
        coalesce(channel, {{ no_value() }}) as channel,
        row_number() over (
            partition by customer_id
            order by touched_at, session_id, event_id
        ) as touch_number
    from unconverted_kept
),

journey_paths as (
    select
        journey_id,
        is_converted,
        {{ channel_path('channel', 'touch_number') }} as path,
        count(*) as touches
    from journey_touches
    group by journey_id, is_converted
),

journey_channels as (
    select distinct
        journey_id,
        is_converted,
        channel
    from journey_touches
),

journey_sets as (
    select
        journey_id,
        is_converted,
        {{ channel_set('channel') }} as channel_set,
        count(*) as channels
    from journey_channels
    group by journey_id, is_converted
),

journeys as (
    select
        journey_paths.path,
        journey_sets.channel_set,
        journey_paths.touches,
        journey_sets.channels,
        journey_paths.is_converted
    from journey_paths
    inner join journey_sets
        on journey_sets.journey_id = journey_paths.journey_id
        and journey_sets.is_converted = journey_paths.is_converted
),

final as (
    select
        path,
        channel_set,
        touches,
        channels,
        cast(sum(case when is_converted then 1 else 0 end) as bigint) as conversions,
        cast(sum(case when is_converted then 0 else 1 end) as bigint) as non_conversions
    from journeys
    group by path, channel_set, touches, channels
)

select * from final
