-- The ordered funnel: one row per customer and journey stage reached, with when it was reached.
-- A stage counts only at or after the previous one (ties count), so a customer who skips a stage
-- reaches no later stage; with var funnel_window_days every stage must fall within that many days
-- of awareness. Definitions: models/marts/journey/_journey.yml (fct_customer_stages).
-- A table: fct_customer_stages and four data tests read it (a view would be computed five times).
{{ config(materialized='table') }}

with events as (
    -- the staged events (stg_events) as a table: the view would join its customers again
    select * from {{ ref('int_events_sessionised') }}
),

orders as (
    select * from {{ ref('stg_orders') }}
),

referrals as (
    select * from {{ ref('stg_referrals') }}
),

survey_responses as (
    select * from {{ ref('stg_survey_responses') }}
),

stage_map as (
    select * from {{ ref('stage_map') }}
),

stages as (
    select distinct
        stage,
        stage_order
    from stage_map
),

interactions as (
    select
        customer_id,
        occurred_at as interacted_at
    from events
    union all
    select
        customer_id,
        ordered_at as interacted_at
    from orders
),

awareness as (
    select
        customer_id,
        min(interacted_at) as awareness_at
    from interactions
    group by customer_id
),

consideration as (
    select
        awareness.customer_id,
        min(events.occurred_at) as consideration_at
    from awareness
    inner join events
        on events.customer_id = awareness.customer_id
        and events.occurred_at >= awareness.awareness_at
        and {{ within_funnel_window('awareness.awareness_at', 'events.occurred_at') }}
    inner join stage_map
        on stage_map.event_type = events.event_type
        and stage_map.stage = 'consideration'
    group by awareness.customer_id
),

-- completed orders at or after consideration (inside the window), numbered in time order
purchases as (
    select
        orders.customer_id,
        orders.ordered_at,
        row_number() over (
            partition by orders.customer_id
            order by orders.ordered_at, orders.order_id
        ) as purchase_number
    from consideration
    inner join awareness
        on awareness.customer_id = consideration.customer_id
    inner join orders
        on orders.customer_id = consideration.customer_id
        and orders.status = 'completed'
        and orders.ordered_at >= consideration.consideration_at
        and {{ within_funnel_window('awareness.awareness_at', 'orders.ordered_at') }}
),

decision as (
    select
        customer_id,
        ordered_at as decision_at
    from purchases
    where purchase_number = 1
),

retention as (
    select
        customer_id,
        ordered_at as retention_at
    from purchases
    where purchase_number = 2
),

advocacy_signals as (
    select
        referrer_customer_id as customer_id,
        sent_at as signalled_at
    from referrals
    union all
    select
        customer_id,
        responded_at as signalled_at
    from survey_responses
    where nps_score >= {{ var('promoter_min_score') }}
),

advocacy as (
    select
        retention.customer_id,
        min(advocacy_signals.signalled_at) as advocacy_at
    from retention
    inner join awareness
        on awareness.customer_id = retention.customer_id
    inner join advocacy_signals
        on advocacy_signals.customer_id = retention.customer_id
        and advocacy_signals.signalled_at >= retention.retention_at
        and {{ within_funnel_window('awareness.awareness_at', 'advocacy_signals.signalled_at') }}
    group by retention.customer_id
),

reached as (
    select
        customer_id,
        'awareness' as stage,
        awareness_at as reached_at
    from awareness
    union all
    select
        customer_id,
        'consideration' as stage,
        consideration_at as reached_at
    from consideration
    union all
    select
        customer_id,
        'decision' as stage,
        decision_at as reached_at
    from decision
    union all
    select
        customer_id,
        'retention' as stage,
        retention_at as reached_at
    from retention
    union all
    select
        customer_id,
        'advocacy' as stage,
        advocacy_at as reached_at
    from advocacy
),

final as (
    select
        reached.customer_id,
        reached.stage,
        stages.stage_order,
        reached.reached_at
    from reached
    inner join stages
        on stages.stage = reached.stage
)

select * from final
