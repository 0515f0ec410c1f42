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

final as (
    select
        sessionised.event_id,
        sessionised.customer_id,
        sessionised.occurred_at,
        sessionised.event_type,
        stage_map.stage,
        sessionised.channel,
        coalesce(channels.channel_group, 'other') as channel_group,
        sessionised.touchpoint,
        coalesce(touchpoint_catalog.touchpoint_group, 'other') as touchpoint_group,
        sessionised.session_id,
        row_number() over (
            partition by sessionised.customer_id
            order by sessionised.occurred_at, sessionised.event_id
        ) as journey_position,
        first_purchases.first_purchase_at,
        sessionised.occurred_at <= first_purchases.first_purchase_at as is_before_first_purchase,
        case
            when sessionised.occurred_at <= first_purchases.first_purchase_at
                then {{ hours_between('sessionised.occurred_at', 'first_purchases.first_purchase_at') }}
        end as hours_before_first_purchase
    from sessionised
    left join stage_map
        on stage_map.event_type = sessionised.event_type
    left join channels
        on channels.channel = sessionised.channel
    left join touchpoint_catalog
        on touchpoint_catalog.touchpoint = sessionised.touchpoint
    left join first_purchases
        on first_purchases.customer_id = sessionised.customer_id
)

select * from final
