-- One row per customer: what they bought, what serving them cost along the value chain, what
-- they contributed, and what they are predicted to be worth. The cost to serve is split by
-- activity type (Porter's primary and support activities, and activities the catalog does not
-- know): a fixed set of columns whatever the seed lists. Per-activity costs are in long form in
-- fct_customer_costs.

with customers as (
    select * from {{ ref('dim_customers') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

costs as (
    select * from {{ ref('fct_customer_costs') }}
    where not is_unallocated
),

predictions as (
    select * from {{ ref('clv_predictions') }}
),

segments as (
    select * from {{ ref('customer_segments') }}
),

purchases as (
    select
        customer_id,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        count(*) as orders,
        sum(revenue) as revenue,
        coalesce(sum(cost_of_goods), 0) as cost_of_goods
    from orders
    where is_completed
    group by customer_id
),

refunds as (
    select
        customer_id,
        count(*) as refunded_orders
    from orders
    where status = 'refunded'
    group by customer_id
),

cost_to_serve as (
    select
        customer_id,
        coalesce(sum(allocated_cost) filter (where activity_type = 'primary'), 0)
            as cost_primary_activities,
        coalesce(sum(allocated_cost) filter (where activity_type = 'support'), 0)
            as cost_support_activities,
        coalesce(
            sum(allocated_cost) filter (where activity_type not in ('primary', 'support')), 0
        ) as cost_other_activities,
        sum(allocated_cost) as cost_to_serve
    from costs
    group by customer_id
),

data_end as (
    select {{ last_purchase_date() }} as data_end_date
),

final as (
    select
        customers.customer_id,
        customers.cohort_month,
        customers.first_touch_channel as acquisition_channel,
        customers.furthest_stage,
        segments.segment_id,
        segments.segment_name,
        purchases.first_order_at,
        purchases.last_order_at,
        coalesce(purchases.orders, 0) as orders,
        coalesce(refunds.refunded_orders, 0) as refunded_orders,
        -- amounts as decimal(38, 2) on every engine (Spark's sum keeps a narrower precision)
        cast(coalesce(purchases.revenue, 0) as decimal(38, 2)) as revenue,
        cast(coalesce(purchases.cost_of_goods, 0) as decimal(38, 2)) as cost_of_goods,
        cast(
            coalesce(purchases.revenue, 0) - coalesce(purchases.cost_of_goods, 0) as decimal(38, 2)
        ) as gross_margin,
        cast(coalesce(cost_to_serve.cost_primary_activities, 0) as decimal(38, 2))
            as cost_primary_activities,
        cast(coalesce(cost_to_serve.cost_support_activities, 0) as decimal(38, 2))
            as cost_support_activities,
        cast(coalesce(cost_to_serve.cost_other_activities, 0) as decimal(38, 2))
            as cost_other_activities,
        cast(coalesce(cost_to_serve.cost_to_serve, 0) as decimal(38, 2)) as cost_to_serve,
        cast(
            coalesce(purchases.revenue, 0) - coalesce(purchases.cost_of_goods, 0)
            - coalesce(cost_to_serve.cost_to_serve, 0) as decimal(38, 2)
        ) as contribution,
        predictions.expected_purchases,
        predictions.expected_order_value,
        predictions.predicted_clv,
        predictions.probability_alive,
        case
            when purchases.last_order_at is not null
                then {{ dates_between(
                    'cast(purchases.last_order_at as date)', 'data_end.data_end_date'
                ) }} > {{ var('churn_inactivity_days') }}
        end as is_churned,
        predictions.probability_alive < {{ var('churn_p_alive_threshold') }} as is_churned_by_model
    from customers
    cross join data_end
    left join purchases
        on purchases.customer_id = customers.customer_id
    left join refunds
        on refunds.customer_id = customers.customer_id
    left join cost_to_serve
        on cost_to_serve.customer_id = customers.customer_id
    left join predictions
        on predictions.customer_id = customers.customer_id
    left join segments
        on segments.customer_id = customers.customer_id
)

select * from final
