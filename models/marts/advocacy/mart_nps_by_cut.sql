-- NPS and CSAT by month and by one cut at a time: the touchpoint surveyed, the customer's
-- acquisition channel, the journey stage the customer had reached when responding, the customer's
-- segment, and the experiment arm (treatment combination) the customer was assigned to — by arm,
-- only the responses within the experiment's metric window: [assigned_at, assigned_at +
-- metric_window_days], the window int_experiment_outcomes measures the experiment's outcome in.
with responses as (
    select * from {{ ref('stg_survey_responses') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

customer_stages as (
    select * from {{ ref('fct_customer_stages') }}
),

segments as (
    select * from {{ ref('customer_segments') }}
),

assignments as (
    select * from {{ ref('stg_experiment_assignments') }}
),

-- each assigned customer's metric window: from the earliest assignment to metric_window_days later
experiment_windows as (
    select * from {{ ref('int_experiment_outcomes') }}
),

-- one arm per experiment and customer: "EXP001: feature=on, pricing=bundle, support=priority"
experiment_arms as (
    select
        experiment_id,
        customer_id,
        experiment_id || ': '
        || {{ ordered_string_agg("factor || '=' || level", "', '", 'factor') }} as arm
    from assignments
    group by experiment_id, customer_id
),

arm_windows as (
    select
        experiment_arms.experiment_id,
        experiment_arms.customer_id,
        experiment_arms.arm,
        experiment_windows.assigned_at,
        experiment_windows.window_end_at
    from experiment_arms
    inner join experiment_windows
        on experiment_windows.experiment_id = experiment_arms.experiment_id
        and experiment_windows.customer_id = experiment_arms.customer_id
),

stage_at_response as (
    select
        responses.response_id,
        {{ arg_max('customer_stages.stage', 'customer_stages.stage_order') }} as stage_reached
    from responses
    inner join customer_stages
        on customer_stages.customer_id = responses.customer_id
        and customer_stages.reached_at <= responses.responded_at
    group by responses.response_id
),

cut_responses as (
    select
        'touchpoint' as cut,
        coalesce(responses.touchpoint, {{ no_value() }}) as cut_value,
        {{ month_start('responses.responded_at') }} as response_month,
        responses.nps_score,
        responses.csat_score
    from responses
    union all
    select
        'acquisition_channel' as cut,
        coalesce(customers.first_touch_channel, {{ no_value() }}) as cut_value,
        {{ month_start('responses.responded_at') }} as response_month,
        responses.nps_score,
        responses.csat_score
    from responses
    left join customers
        on customers.customer_id = responses.customer_id
    union all
    select
        'stage_reached' as cut,
        coalesce(stage_at_response.stage_reached, {{ no_value() }}) as cut_value,
        {{ month_start('responses.responded_at') }} as response_month,
        responses.nps_score,
        responses.csat_score
    from responses
    left join stage_at_response
        on stage_at_response.response_id = responses.response_id
    union all
    select
        'segment' as cut,
        coalesce(segments.segment_name, {{ no_value() }}) as cut_value,
        {{ month_start('responses.responded_at') }} as response_month,
        responses.nps_score,
        responses.csat_score
    from responses
    left join segments
        on segments.customer_id = responses.customer_id
    union all
    -- only the responses of assigned customers within their metric window (ends included), one row
    -- per experiment they are in: a response before the assignment cannot reflect the treatment
    select
        'experiment_arm' as cut,
        arm_windows.arm as cut_value,
        {{ month_start('responses.responded_at') }} as response_month,
        responses.nps_score,
        responses.csat_score
    from responses
    inner join arm_windows
        on arm_windows.customer_id = responses.customer_id
        and arm_windows.assigned_at <= responses.responded_at
        and arm_windows.window_end_at >= responses.responded_at
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
