-- The drop-off counts add up to the funnel: at every stage it covers, the customers of complete
-- cohorts who stalled plus those who moved on, plus the customers of incomplete cohorts, are the
-- customers who reached the stage (mart_stage_funnel, all cohorts); those who moved on are the
-- customers of complete cohorts at the next stage. Both marts decide completeness the same way.
with funnel as (
    select
        stage,
        stage_order,
        sum(customers) as customers,
        sum(customers) filter (where is_complete) as complete_customers
    from {{ ref('mart_stage_funnel') }}
    group by stage, stage_order
),

dropoff as (
    select distinct
        stage,
        stage_order,
        stalled_customers,
        moved_on_customers,
        incomplete_cohort_customers
    from {{ ref('mart_stage_dropoff') }}
),

compared as (
    select
        dropoff.stage,
        dropoff.stalled_customers,
        dropoff.moved_on_customers,
        dropoff.incomplete_cohort_customers,
        reached.customers as reached_customers,
        coalesce(next_stage.complete_customers, 0) as complete_customers_at_next_stage
    from dropoff
    inner join funnel as reached
        on reached.stage = dropoff.stage
    inner join funnel as next_stage
        on next_stage.stage_order = dropoff.stage_order + 1
)

select *
from compared
where stalled_customers + moved_on_customers + incomplete_cohort_customers != reached_customers
    or moved_on_customers != complete_customers_at_next_stage
