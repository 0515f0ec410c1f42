-- One row per value-chain activity and month: its cost, driver volume and unit cost, its share of
-- the month's cost, and the revenue and gross margin that month of the customers it served
-- (those allocated a part of its cost).
with costs as (
    select * from {{ ref('fct_customer_costs') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_completed
),

monthly_customer_sales as (
    select
        customer_id,
        {{ month_start('ordered_at') }} as period_month,
        sum(revenue) as revenue,
        sum(revenue - coalesce(cost_of_goods, 0)) as gross_margin
    from orders
    group by customer_id, {{ month_start('ordered_at') }}
),

activity_months as (
    select
        period_month,
        activity,
        activity_type,
        driver,
        cast(sum(allocated_cost) as decimal(38, 2)) as cost,
        cast(sum(allocated_cost) filter (where is_unallocated) as decimal(38, 2))
            as unallocated_cost,
        max(total_driver_volume) as driver_volume,
        count(customer_id) as customers_served
    from costs
    group by period_month, activity, activity_type, driver
),

served_sales as (
    select
        costs.period_month,
        costs.activity,
        sum(monthly_customer_sales.revenue) as served_revenue,
        sum(monthly_customer_sales.gross_margin) as served_gross_margin
    from costs
    inner join monthly_customer_sales
        on monthly_customer_sales.customer_id = costs.customer_id
        and monthly_customer_sales.period_month = costs.period_month
    where not costs.is_unallocated
    group by costs.period_month, costs.activity
),

final as (
    select
        activity_months.period_month,
        activity_months.activity,
        activity_months.activity_type,
        activity_months.driver,
        activity_months.cost,
        coalesce(activity_months.unallocated_cost, 0) as unallocated_cost,
        activity_months.driver_volume,
        cast(activity_months.cost as double)
        / nullif(activity_months.driver_volume, 0) as unit_cost,
        -- decimals divided as doubles (DuckDB's rule; Spark would keep a decimal)
        cast(activity_months.cost as double)
        / cast(
            nullif(sum(activity_months.cost) over (partition by activity_months.period_month), 0)
            as double
        ) as share_of_cost,
        activity_months.customers_served,
        coalesce(served_sales.served_revenue, 0) as served_revenue,
        coalesce(served_sales.served_gross_margin, 0) as served_gross_margin
    from activity_months
    left join served_sales
        on served_sales.period_month = activity_months.period_month
        and served_sales.activity = activity_months.activity
)

select * from final
