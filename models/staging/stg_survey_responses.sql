with checked as (
    select * from {{ ref('base_survey_responses') }}
),

staged as (
    select
        response_id,
        customer_id,
        responded_at,
        nps_score,
        csat_score,
        touchpoint
    from checked
    where rejection_reason is null
)

select * from staged
