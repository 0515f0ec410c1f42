-- Activity-based costing: each month's activity cost allocated to the customers that consumed its
-- driver that month, in proportion to their driver volume:
--   orders     the customer's orders placed that month (any status: refunds and cancellations
--              cost too)
--   events     the customer's tracked events that month
--   tickets    the customer's support tickets opened that month
--   customers  1 for every customer active that month (an event or an order)
--   revenue    the customer's completed-order revenue that month
-- Shares are rounded to the cent by the largest-remainder method (macro largest_remainder): each is
-- its exact share rounded down, and the cents left over go one each to the largest fractional
-- parts, ties broken by a hash of (month, activity, customer). So every share is within one cent of
-- its exact value and every activity-month adds up exactly to its raw cost. A cost with no driver
-- volume that month is kept as one unallocated row (customer_id null), never dropped.
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
    -- the staged events (stg_events) as a table: the view would join its customers again
    select * from {{ ref('int_events_sessionised') }}
),

tickets as (
    select * from {{ ref('stg_support_tickets') }}
),

driver_volumes as (
    select
        customer_id,
        {{ month_start('ordered_at') }} as period_month,
        'orders' as driver,
        cast(count(*) as decimal(38, 6)) as volume
    from orders
    group by all
    union all
    select
        customer_id,
        {{ month_start('occurred_at') }} as period_month,
        'events' as driver,
        cast(count(*) as decimal(38, 6)) as volume
    from events
    group by all
    union all
    select
        customer_id,
        {{ month_start('opened_at') }} as period_month,
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
        select
            customer_id,
            {{ month_start('occurred_at') }} as period_month
        from events
        union all
        select
            customer_id,
            {{ month_start('ordered_at') }} as period_month
        from orders
    ) as active
    union all
    select
        customer_id,
        {{ month_start('ordered_at') }} as period_month,
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
        sum(driver_volumes.volume)
            over (partition by costs.period_month, costs.activity)
            as total_driver_volume
    from costs
    inner join driver_volumes
        on driver_volumes.period_month = costs.period_month
        and driver_volumes.driver = costs.driver
),

rounded as (
    {{ largest_remainder(
        'shares',
        weight='driver_volume',
        partition_by=['period_month', 'activity'],
        tie_key=['period_month', 'activity', 'customer_id'],
        outputs=[{'amount': 'cost', 'output': 'allocated_cost'}]
    ) }}
),

allocated as (
    select
        period_month,
        activity,
        driver,
        customer_id,
        driver_volume,
        total_driver_volume,
        allocated_cost,
        false as is_unallocated
    from rounded
),

unallocated as (
    select
        costs.period_month,
        costs.activity,
        costs.driver,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(0 as decimal(38, 6)) as driver_volume,
        cast(0 as decimal(38, 6)) as total_driver_volume,
        costs.cost as allocated_cost,
        true as is_unallocated
    from costs
    where
        not exists (
            select 1 as found
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
