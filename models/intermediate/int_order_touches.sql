-- The touches of each completed order: what attribution shares the order's credit among.
-- var attribution_touch:
--   session (default)  every session (int_sessions_aggregated, the sessions of fct_sessions) of the
--                      customer that started within var attribution_lookback_days before the
--                      order, at or before it, with the channel and touchpoint of the session's
--                      first event
--   event              every event in the same window (checkout, login and the like included)
-- var attribution_exclude_direct: when true, `direct` touches are dropped from an order that has
-- any other touch (last non-direct click); an order with only direct touches keeps them.
-- An order without a touch keeps one row with channel and touchpoint '(none)' (macro no_value).
-- Touches are
-- numbered from the earliest (ties by session or event id).
-- A table: fct_attribution_credits and the data tests read it (a view would be computed each time).
{{ config(materialized='table') }}
{%- do attribution_touch() %}

-- depends_on: {{ ref('int_sessions_aggregated') }}, {{ ref('int_events_sessionised') }}

with orders as (
    select * from {{ ref('stg_orders') }}
    where status = 'completed'
),

{{ candidate_touches_ctes() }}

windowed as (
    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.revenue,
        candidate_touches.session_id,
        candidate_touches.event_id,
        candidate_touches.touched_at,
        candidate_touches.channel,
        candidate_touches.touchpoint
    from orders
    inner join candidate_touches
        on candidate_touches.customer_id = orders.customer_id
        and candidate_touches.touched_at <= orders.ordered_at
        and candidate_touches.touched_at >= {{ dbt.dateadd(
            'day', -1 * var('attribution_lookback_days') | int, 'orders.ordered_at'
        ) }}
),

kept as (
    {{ exclude_direct_touches('windowed', 'order_id') }}
),

numbered as (
    select
        order_id,
        customer_id,
        ordered_at,
        revenue,
        session_id,
        event_id,
        touched_at,
        coalesce(channel, {{ no_value() }}) as channel,
        coalesce(touchpoint, {{ no_value() }}) as touchpoint,
        {{ hours_between('touched_at', 'ordered_at') }} / 24.0 as days_before_order,
        row_number() over (
            partition by order_id
            order by touched_at, session_id, event_id
        ) as touch_number,
        count(*) over (partition by order_id) as touches
    from kept
),

untouched as (
    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.revenue,
        cast(null as {{ dbt.type_string() }}) as session_id,
        cast(null as {{ dbt.type_string() }}) as event_id,
        cast(null as timestamp) as touched_at,
        {{ no_value() }} as channel,
        {{ no_value() }} as touchpoint,
        cast(null as double) as days_before_order,
        cast(1 as bigint) as touch_number,
        cast(0 as bigint) as touches
    from orders
    where
        not exists (
            select 1 as found
            from numbered
            where numbered.order_id = orders.order_id
        )
),

final as (
    select * from numbered
    union all
    select * from untouched
)

select * from final
