-- The benchmark's hand-written reference (journey_metrics.benchmark): the three core marts computed
-- straight from the raw files in one DuckDB script, with no dbt, no rejection rules, no
-- de-duplication and no tests — what a careful analyst would write by hand for speed. The build's
-- core marts (mart_stage_funnel, fct_touchpoints, mart_customer_value without the CLV columns) are
-- compared against its time. {events}, {orders}, ... are replaced by each table's reader (CSV and/or
-- Parquet, every column as text); {seeds} by the seeds folder.

create or replace temp macro utc(x) as cast(timezone('UTC', try_cast(cast(x as varchar) as timestamptz)) as timestamp);

create or replace table events as
select
    cast(event_id as varchar) as event_id,
    cast(customer_id as varchar) as customer_id,
    utc(occurred_at) as occurred_at,
    lower(trim(cast(event_type as varchar))) as event_type,
    lower(trim(cast(channel as varchar))) as channel,
    lower(trim(cast(touchpoint as varchar))) as touchpoint,
    cast(session_id as varchar) as session_id
from {events};

create or replace table orders as
select
    cast(order_id as varchar) as order_id,
    cast(customer_id as varchar) as customer_id,
    utc(ordered_at) as ordered_at,
    try_cast(revenue as decimal(18, 2)) as revenue,
    try_cast(cost_of_goods as decimal(18, 2)) as cost_of_goods,
    lower(trim(cast(status as varchar))) as status
from {orders};

create or replace table stage_map as
select * from read_csv('{seeds}/stage_map.csv', header = true);

create or replace table channels as
select * from read_csv('{seeds}/channels.csv', header = true);

-- ---------------------------------------------------------------- touchpoints (fct_touchpoints)
create or replace table ref_touchpoints as
with first_purchases as (
    select customer_id, min(ordered_at) as first_purchase_at
    from orders
    where status = 'completed'
    group by customer_id
)

select
    events.event_id,
    events.customer_id,
    events.occurred_at,
    events.event_type,
    stage_map.stage,
    events.channel,
    coalesce(channels.channel_group, 'other') as channel_group,
    events.touchpoint,
    events.session_id,
    row_number() over (partition by events.customer_id order by events.occurred_at, events.event_id)
        as journey_position,
    first_purchases.first_purchase_at,
    events.occurred_at <= first_purchases.first_purchase_at as is_before_first_purchase
from events
left join stage_map on stage_map.event_type = events.event_type
left join channels on channels.channel = events.channel
left join first_purchases on first_purchases.customer_id = events.customer_id;

-- ---------------------------------------------------------------- funnel (mart_stage_funnel)
create or replace table ref_stage_funnel as
with referrals as (
    select cast(referrer_customer_id as varchar) as customer_id, utc(sent_at) as signalled_at
    from {referrals}
),

promoters as (
    select cast(customer_id as varchar) as customer_id, utc(responded_at) as signalled_at
    from {survey_responses}
    where try_cast(nps_score as integer) >= 9
),

awareness as (
    select customer_id, min(interacted_at) as awareness_at
    from (
        select customer_id, occurred_at as interacted_at from events
        union all
        select customer_id, ordered_at as interacted_at from orders
    )
    group by customer_id
),

consideration as (
    select events.customer_id, min(events.occurred_at) as consideration_at
    from events
    inner join awareness using (customer_id)
    inner join stage_map on stage_map.event_type = events.event_type and stage_map.stage = 'consideration'
    where events.occurred_at >= awareness.awareness_at
    group by events.customer_id
),

purchases as (
    select
        orders.customer_id,
        orders.ordered_at,
        row_number() over (partition by orders.customer_id order by orders.ordered_at, orders.order_id) as n
    from orders
    inner join consideration using (customer_id)
    where orders.status = 'completed' and orders.ordered_at >= consideration.consideration_at
),

retention as (
    select customer_id, ordered_at as retention_at from purchases where n = 2
),

advocacy as (
    select retention.customer_id, min(signals.signalled_at) as advocacy_at
    from retention
    inner join (select * from referrals union all select * from promoters) as signals using (customer_id)
    where signals.signalled_at >= retention.retention_at
    group by retention.customer_id
),

reached as (
    select customer_id, 1 as stage_order, awareness_at as reached_at from awareness
    union all
    select customer_id, 2, consideration_at from consideration
    union all
    select customer_id, 3, ordered_at from purchases where n = 1
    union all
    select customer_id, 4, retention_at from retention
    union all
    select customer_id, 5, advocacy_at from advocacy
),

staged as (
    select
        reached.*,
        cast(date_trunc('month', awareness.awareness_at) as date) as cohort_month,
        (epoch(reached.reached_at) - epoch(lag(reached.reached_at) over (
            partition by reached.customer_id order by reached.stage_order))) / 3600.0 as hours_from_previous
    from reached
    inner join awareness using (customer_id)
),

counted as (
    select
        cohort_month,
        stage_order,
        count(*) as customers,
        median(hours_from_previous) as median_hours_from_previous
    from staged
    group by cohort_month, stage_order
)

select
    *,
    customers / lag(customers) over (partition by cohort_month order by stage_order) as conversion_from_previous
from counted;

-- ---------------------------------------------------------------- customer value (mart_customer_value)
create or replace table ref_customer_value as
with costs as (
    select
        coalesce(try_cast(period_month as date), try_cast(cast(period_month as varchar) || '-01' as date))
            as period_month,
        lower(trim(cast(activity as varchar))) as activity,
        try_cast(cost as decimal(18, 2)) as cost,
        lower(trim(cast(driver as varchar))) as driver
    from {activity_costs}
),

tickets as (
    select cast(customer_id as varchar) as customer_id, utc(opened_at) as opened_at
    from {support_tickets}
),

volumes as (
    select customer_id, cast(date_trunc('month', ordered_at) as date) as period_month, 'orders' as driver,
        count(*) as volume
    from orders group by all
    union all
    select customer_id, cast(date_trunc('month', occurred_at) as date), 'events', count(*)
    from events group by all
    union all
    select customer_id, cast(date_trunc('month', opened_at) as date), 'tickets', count(*)
    from tickets group by all
    union all
    select distinct customer_id, period_month, 'customers', 1
    from (
        select customer_id, cast(date_trunc('month', occurred_at) as date) as period_month from events
        union all
        select customer_id, cast(date_trunc('month', ordered_at) as date) from orders
    )
    union all
    select customer_id, cast(date_trunc('month', ordered_at) as date), 'revenue', sum(revenue)
    from orders where status = 'completed' group by all having sum(revenue) > 0
),

shares as (
    select
        volumes.customer_id,
        costs.cost * volumes.volume / sum(volumes.volume) over (partition by costs.period_month, costs.activity)
            as share
    from costs
    inner join volumes using (period_month, driver)
),

allocated as (
    select customer_id, sum(share) as cost_to_serve
    from shares
    group by customer_id
),

order_value as (
    select
        customer_id,
        count(*) filter (where status = 'completed') as orders,
        count(*) filter (where status = 'refunded') as refunded_orders,
        coalesce(sum(revenue) filter (where status = 'completed'), 0) as revenue,
        coalesce(sum(coalesce(cost_of_goods, 0)) filter (where status = 'completed'), 0) as cost_of_goods
    from orders
    group by customer_id
),

customers as (
    select distinct cast(customer_id as varchar) as customer_id from {customers}
)

select
    customers.customer_id,
    coalesce(order_value.orders, 0) as orders,
    coalesce(order_value.refunded_orders, 0) as refunded_orders,
    coalesce(order_value.revenue, 0) as revenue,
    coalesce(order_value.revenue, 0) - coalesce(order_value.cost_of_goods, 0) as gross_margin,
    coalesce(allocated.cost_to_serve, 0) as cost_to_serve,
    coalesce(order_value.revenue, 0) - coalesce(order_value.cost_of_goods, 0) - coalesce(allocated.cost_to_serve, 0)
        as contribution
from customers
left join order_value using (customer_id)
left join allocated using (customer_id);
