-- NPS and CSAT by month and by one cut at a time: the touchpoint surveyed, the customer's
-- acquisition channel, and the journey stage the customer had reached when responding.
with responses as (
    select * from {{ ref('stg_survey_responses') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

customer_stages as (
    select * from {{ ref('fct_customer_stages') }}
),

stage_at_response as (
    select
        responses.response_id,
        arg_max(customer_stages.stage, customer_stages.stage_order) as stage_reached
    from responses
    inner join customer_stages
        on customer_stages.customer_id = responses.customer_id
        and customer_stages.reached_at <= responses.responded_at
    group by responses.response_id
),

cut_responses as (
    select
        'touchpoint' as cut,
        coalesce(responses.touchpoint, '(none)') as cut_value,
        cast(date_trunc('month', responses.responded_at) as date) as response_month,
        responses.nps_score,
        responses.csat_score
    from responses
    union all
    select
        'acquisition_channel' as cut,
        coalesce(customers.first_touch_channel, 'unknown') as cut_value,
        cast(date_trunc('month', responses.responded_at) as date) as response_month,
        responses.nps_score,
        responses.csat_score
    from responses
    left join customers
        on customers.customer_id = responses.customer_id
    union all
    select
        'stage_reached' as cut,
        coalesce(stage_at_response.stage_reached, 'none') as cut_value,
        cast(date_trunc('month', responses.responded_at) as date) as response_month,
        responses.nps_score,
        responses.csat_score
    from responses
    left join stage_at_response
        on stage_at_response.response_id = responses.response_id
),

{{ nps_metrics('cut_responses', ['cut', 'cut_value', 'response_month']) }},

final as (
    select
        cut,
        cut_value,
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
