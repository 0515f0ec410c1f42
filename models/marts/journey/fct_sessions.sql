with sessions as (
    select * from {{ ref('int_sessions_aggregated') }}
),

orders as (
    select * from {{ ref('stg_orders') }}
),

-- a session led to an order when the customer completed an order between its start and
-- var session_inactivity_minutes after its last event
sessions_with_orders as (
    select
        sessions.session_id,
        sessions.customer_id,
        count(orders.order_id) as completed_orders
    from sessions
    inner join orders
        on orders.customer_id = sessions.customer_id
        and orders.status = 'completed'
        and orders.ordered_at >= sessions.started_at
        and orders.ordered_at <= (
            sessions.ended_at
            + {{ interval_of(var('session_inactivity_minutes'), 'minute') }}
        )
    group by sessions.session_id, sessions.customer_id
),

final as (
    select
        sessions.session_id,
        sessions.customer_id,
        sessions.is_derived_session,
        sessions.started_at,
        sessions.ended_at,
        {{ seconds_between('sessions.started_at', 'sessions.ended_at') }} as duration_seconds,
        sessions.events,
        sessions.entry_channel,
        sessions.entry_touchpoint,
        coalesce(sessions_with_orders.completed_orders, 0) > 0 as has_led_to_order
    from sessions
    left join sessions_with_orders
        on sessions_with_orders.session_id = sessions.session_id
        and sessions_with_orders.customer_id = sessions.customer_id
)

select * from final
