-- The stage funnel by cohort and acquisition channel: one row per cohort, channel and stage, with
-- is_complete of the cohort (macro cohort_is_complete).
with customer_stages as (
    select * from {{ ref('fct_customer_stages') }}
),

{{ stage_funnel('customer_stages', ['cohort_month', 'acquisition_channel']) }},

final as (
    select
        cohort_month,
        acquisition_channel,
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
