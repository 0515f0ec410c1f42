-- Within a cohort (and channel), no stage has more customers than the stage before it.
with funnel as (
    select
        'mart_stage_funnel' as mart,
        cohort_month,
        cast(null as varchar) as acquisition_channel,
        stage_order,
        customers
    from {{ ref('mart_stage_funnel') }}
    union all
    select
        'mart_stage_funnel_by_channel' as mart,
        cohort_month,
        acquisition_channel,
        stage_order,
        customers
    from {{ ref('mart_stage_funnel_by_channel') }}
),

steps as (
    select
        *,
        lag(customers) over (
            partition by mart, cohort_month, acquisition_channel
            order by stage_order
        ) as previous_stage_customers
    from funnel
)

select *
from steps
where customers > previous_stage_customers
