with responses as (
    select
        *,
        {{ month_start('responded_at') }} as response_month
    from {{ ref('stg_survey_responses') }}
),

{{ nps_metrics('responses', ['response_month']) }},

final as (
    select
        response_month,
        responses,
        promoters,
        passives,
        detractors,
        nps,
        nps_standard_error,
        nps_margin_of_error,
        ci_low,
        ci_high,
        csat_responses,
        csat_avg,
        csat_satisfied_share,
        is_small_sample
    from nps_metrics
)

select * from final
