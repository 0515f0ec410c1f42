-- The stage funnel by cohort (month of awareness): one row per cohort and stage, with is_complete —
-- whether the cohort's funnel window has closed (macro cohort_is_complete), so a young cohort still
-- on its way is not read as a worse one.
with customer_stages as (
    select * from {{ ref('fct_customer_stages') }}
),

{{ stage_funnel('customer_stages', ['cohort_month']) }},

final as (
    select
        cohort_month,
        stage,
        stage_order,
        customers,
        conversion_from_previous,
        conversion_from_entry,
        median_hours_from_previous,
        p90_hours_from_previous,
        is_complete
    from funnel
)

select * from final
