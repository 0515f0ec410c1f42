with customer_stages as (
    select * from {{ ref('fct_customer_stages') }}
),

{{ stage_funnel('customer_stages', ['cohort_month', 'acquisition_channel']) }}

select
    cohort_month,
    acquisition_channel,
    stage,
    stage_order,
    customers,
    conversion_from_previous,
    conversion_from_entry,
    median_hours_from_previous,
    p90_hours_from_previous
from funnel
