-- Activity-based costing: each month's activity cost allocated to the customers that consumed its
-- driver that month, in proportion to their driver volume:
--   orders     the customer's orders placed that month (any status: refunds and cancellations cost too)
--   events     the customer's tracked events that month
--   tickets    the customer's support tickets opened that month
--   customers  1 for every customer active that month (an event or an order)
--   revenue    the customer's completed-order revenue that month
-- Shares are truncated to the cent and the customer with the largest volume takes the remainder,
-- so every activity-month adds up exactly to its raw cost. A cost with no driver volume that month
-- is kept as one unallocated row (customer_id null), never dropped.
with costs as (
    select * from {{ ref('stg_activity_costs') }}
),

activities as (
    select * from {{ ref('value_chain_activities') }}
),

orders as (
    select * from {{ ref('stg_orders') }}
),

events as (
    select * from {{ ref('stg_events') }}
),

tickets as (
    select * from {{ ref('stg_support_tickets') }}
),

driver_volumes as (
    select
        customer_id,
        cast(date_trunc('month', ordered_at) as date) as period_month,
        'orders' as driver,
        cast(count(*) as decimal(38, 6)) as volume
    from orders
    group by all
    union all
    select
        customer_id,
        cast(date_trunc('month', occurred_at) as date) as period_month,
        'events' as driver,
        cast(count(*) as decimal(38, 6)) as volume
    from events
    group by all
    union all
    select
        customer_id,
        cast(date_trunc('month', opened_at) as date) as period_month,
        'tickets' as driver,
        cast(count(*) as decimal(38, 6)) as volume
    from tickets
    group by all
    union all
    select distinct
        customer_id,
        period_month,
        'customers' as driver,
        cast(1 as decimal(38, 6)) as volume
    from (
        select customer_id, cast(date_trunc('month', occurred_at) as date) as period_month from events
        union all
        select customer_id, cast(date_trunc('month', ordered_at) as date) as period_month from orders
    ) as active
    union all
    select
        customer_id,
        cast(date_trunc('month', ordered_at) as date) as period_month,
        'revenue' as driver,
        cast(sum(revenue) as decimal(38, 6)) as volume
    from orders
    where status = 'completed'
    group by all
    having sum(revenue) > 0
),

shares as (
    select
        costs.period_month,
        costs.activity,
        costs.driver,
        costs.cost,
        driver_volumes.customer_id,
        driver_volumes.volume as driver_volume,
        sum(driver_volumes.volume) over (partition by costs.period_month, costs.activity) as total_driver_volume,
        row_number() over (
            partition by costs.period_month, costs.activity
            order by driver_volumes.volume desc, driver_volumes.customer_id
        ) as volume_rank
    from costs
    inner join driver_volumes
        on driver_volumes.period_month = costs.period_month
        and driver_volumes.driver = costs.driver
),

truncated as (
    select
        *,
        -- the epsilon keeps an exact cent (x.xx in decimal, x.xx - 1e-15 in floating point) whole
        cast(floor(cast(cost as double) * cast(driver_volume as double) / cast(total_driver_volume as double) * 100 + 1e-6)
            / 100 as decimal(18, 2)) as truncated_cost
    from shares
),

allocated as (
    select
        period_month,
        activity,
        driver,
        customer_id,
        driver_volume,
        total_driver_volume,
        case
            when volume_rank = 1 then
                cost - (sum(truncated_cost) over (partition by period_month, activity) - truncated_cost)
            else truncated_cost
        end as allocated_cost,
        false as is_unallocated
    from truncated
),

unallocated as (
    select
        costs.period_month,
        costs.activity,
        costs.driver,
        cast(null as varchar) as customer_id,
        cast(0 as decimal(38, 6)) as driver_volume,
        cast(0 as decimal(38, 6)) as total_driver_volume,
        costs.cost as allocated_cost,
        true as is_unallocated
    from costs
    where not exists (
        select 1
        from shares
        where shares.period_month = costs.period_month
            and shares.activity = costs.activity
    )
),

final as (
    select
        unioned.period_month,
        unioned.activity,
        coalesce(activities.activity_type, 'other') as activity_type,
        unioned.driver,
        unioned.customer_id,
        unioned.driver_volume,
        unioned.total_driver_volume,
        cast(unioned.allocated_cost as decimal(18, 2)) as allocated_cost,
        unioned.is_unallocated
    from (
        select * from allocated
        union all
        select * from unallocated
    ) as unioned
    left join activities
        on activities.activity = unioned.activity
)

select * from final
