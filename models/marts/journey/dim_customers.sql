with customers as (
    select * from {{ ref('stg_customers') }}
),

customer_stages as (
    select * from {{ ref('fct_customer_stages') }}
),

journeys as (
    select
        customer_id,
        min(case when stage = 'awareness' then reached_at end) as awareness_at,
        any_value(cohort_month) as cohort_month,
        any_value(acquisition_channel) as first_touch_channel,
        {{ arg_max('stage', 'stage_order') }} as furthest_stage,
        max(stage_order) as furthest_stage_order
    from customer_stages
    group by customer_id
),

final as (
    select
        customers.customer_id,
        customers.created_at,
        customers.country,
        customers.acquisition_channel,
        journeys.first_touch_channel,
        journeys.awareness_at,
        journeys.cohort_month,
        coalesce(journeys.furthest_stage, {{ no_value() }}) as furthest_stage,
        coalesce(journeys.furthest_stage_order, 0) as furthest_stage_order
    from customers
    left join journeys
        on journeys.customer_id = customers.customer_id
)

select * from final
