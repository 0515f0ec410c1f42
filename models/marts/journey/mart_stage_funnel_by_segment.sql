-- The stage funnel by cohort and customer segment: one row per cohort, segment and stage, with
-- is_complete of the cohort (macro cohort_is_complete).
with customer_stages as (
    select
        customer_stages.*,
        segments.segment_name
    from {{ ref('fct_customer_stages') }} as customer_stages
    inner join {{ ref('customer_segments') }} as segments
        on segments.customer_id = customer_stages.customer_id
),

{{ stage_funnel('customer_stages', ['cohort_month', 'segment_name']) }},

final as (
    select
        cohort_month,
        segment_name,
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
