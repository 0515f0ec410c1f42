-- Credit for each completed order, shared among the customer's touchpoints (events) in the
-- var attribution_lookback_days before it (at or before the order), under the models of var attribution_models (default all five):
--   first_touch     all credit to the earliest touchpoint
--   last_touch      all credit to the latest touchpoint
--   linear          equal shares
--   time_decay      shares proportional to 0.5 ^ (days before the order / attribution_half_life_days)
--   position_based  attribution_first_touch_weight to the first, attribution_last_touch_weight to the
--                   last, the rest split evenly among the middle ones (one touch: all; two: first and
--                   last in proportion to their weights)
-- An order with no touchpoint in the window is credited to channel and touchpoint 'no_touchpoint'.
-- Shares are truncated (credit to 1e-12, revenue to the cent) and the latest touchpoint takes the
-- remainder, so every order's credits add up exactly to 1 conversion and to its revenue.
with orders as (
    select * from {{ ref('stg_orders') }}
    where status = 'completed'
),

events as (
    select * from {{ ref('stg_events') }}
),

attribution_models as (
    select unnest([{{ sql_list(var('attribution_models')) }}]) as attribution_model
),

order_touches as (
    select
        orders.order_id,
        orders.ordered_at,
        orders.revenue,
        events.event_id,
        coalesce(events.channel, 'no_touchpoint') as channel,
        coalesce(events.touchpoint, 'no_touchpoint') as touchpoint,
        (epoch(orders.ordered_at) - epoch(events.occurred_at)) / 86400.0 as days_before_order,
        row_number() over (
            partition by orders.order_id
            order by events.occurred_at, events.event_id
        ) as touch_number,
        count(events.event_id) over (partition by orders.order_id) as touches
    from orders
    left join events
        on events.customer_id = orders.customer_id
        and events.occurred_at <= orders.ordered_at
        and events.occurred_at >= orders.ordered_at
            - to_days(cast({{ var('attribution_lookback_days') }} as integer))
),

weighted as (
    select
        order_touches.*,
        attribution_models.attribution_model,
        case
            when touches <= 1 then 1.0
            when attribution_model = 'first_touch' then case when touch_number = 1 then 1.0 else 0.0 end
            when attribution_model = 'last_touch' then case when touch_number = touches then 1.0 else 0.0 end
            when attribution_model = 'linear' then 1.0 / touches
            when attribution_model = 'time_decay' then
                pow(0.5, days_before_order / {{ var('attribution_half_life_days') }})
                / sum(pow(0.5, days_before_order / {{ var('attribution_half_life_days') }})) over (
                    partition by attribution_model, order_id
                )
            when attribution_model = 'position_based' and touches = 2 then
                case when touch_number = 1 then {{ var('attribution_first_touch_weight') }}
                    else {{ var('attribution_last_touch_weight') }} end
                / ({{ var('attribution_first_touch_weight') }} + {{ var('attribution_last_touch_weight') }})
            when attribution_model = 'position_based' then
                case
                    when touch_number = 1 then {{ var('attribution_first_touch_weight') }}
                    when touch_number = touches then {{ var('attribution_last_touch_weight') }}
                    else (1.0 - {{ var('attribution_first_touch_weight') }} - {{ var('attribution_last_touch_weight') }})
                        / (touches - 2)
                end
        end as weight
    from order_touches
    cross join attribution_models
),

truncated as (
    select
        *,
        -- the small epsilon keeps a share like 0.04 (0.0399999… in floating point) at 0.04
        cast(floor(weight * 1e12 + 1e-3) / 1e12 as decimal(38, 12)) as truncated_credit,
        cast(floor(revenue * weight * 100 + 1e-6) / 100 as decimal(18, 2)) as truncated_revenue
    from weighted
),

credited as (
    select
        attribution_model,
        order_id,
        ordered_at,
        event_id,
        channel,
        touchpoint,
        touch_number,
        touches,
        case
            when touch_number = greatest(touches, 1) then
                1 - coalesce(sum(truncated_credit) over (
                    partition by attribution_model, order_id
                    order by touch_number
                    rows between unbounded preceding and 1 preceding
                ), 0)
            else truncated_credit
        end as conversion_credit,
        case
            when touch_number = greatest(touches, 1) then
                revenue - coalesce(sum(truncated_revenue) over (
                    partition by attribution_model, order_id
                    order by touch_number
                    rows between unbounded preceding and 1 preceding
                ), 0)
            else truncated_revenue
        end as revenue_credit
    from truncated
)

select * from credited
