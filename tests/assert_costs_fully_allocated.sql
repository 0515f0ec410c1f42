-- Activity-based costing loses nothing: for every month and activity, the allocated costs
-- (unallocated rows included) add up exactly to the raw cost.
with raw_costs as (
    select
        period_month,
        activity,
        cost
    from {{ ref('stg_activity_costs') }}
),

allocated as (
    select
        period_month,
        activity,
        sum(allocated_cost) as allocated_cost
    from {{ ref('fct_customer_costs') }}
    group by period_month, activity
)

select
    raw_costs.period_month,
    raw_costs.activity,
    raw_costs.cost,
    allocated.allocated_cost
from raw_costs
full outer join allocated
    on allocated.period_month = raw_costs.period_month
    and allocated.activity = raw_costs.activity
where allocated.allocated_cost is distinct from raw_costs.cost
