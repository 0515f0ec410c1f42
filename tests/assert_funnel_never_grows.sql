-- Within a cohort (and channel, or segment), no stage has more customers than the stage before it.
with funnel as (
    select
        'mart_stage_funnel' as mart,
        cohort_month,
        cast(null as {{ dbt.type_string() }}) as breakdown,
        stage_order,
        customers
    from {{ ref('mart_stage_funnel') }}
    union all
    select
        'mart_stage_funnel_by_channel' as mart,
        cohort_month,
        acquisition_channel as breakdown,
        stage_order,
        customers
    from {{ ref('mart_stage_funnel_by_channel') }}
    union all
    select
        'mart_stage_funnel_by_segment' as mart,
        cohort_month,
        segment_name as breakdown,
        stage_order,
        customers
    from {{ ref('mart_stage_funnel_by_segment') }}
),

steps as (
    select
        *,
        lag(customers) over (
            partition by mart, cohort_month, breakdown
            order by stage_order
        ) as previous_stage_customers
    from funnel
)

select *
from steps
where customers > previous_stage_customers
