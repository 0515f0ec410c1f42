-- One row per segment: how it moves through the funnel, what it is worth, how it churns and how
-- it rates us — the segment breakdown of the funnel, CLV, churn and NPS marts.
with segments as (
    select * from {{ ref('customer_segments') }}
),

customer_value as (
    select * from {{ ref('mart_customer_value') }}
),

customer_stages as (
    select * from {{ ref('fct_customer_stages') }}
),

responses as (
    select * from {{ ref('stg_survey_responses') }}
),

stage_reach as (
    select
        segments.segment_id,
        {% for stage in ['consideration', 'decision', 'retention', 'advocacy'] %}
        count(distinct customer_stages.customer_id) filter (
            where customer_stages.stage = '{{ stage }}'
        )
            as reached_{{ stage }},
        {% endfor %}
        count(distinct customer_stages.customer_id) filter (
            where customer_stages.stage = 'awareness'
        )
            as reached_awareness
    from segments
    inner join customer_stages
        on customer_stages.customer_id = segments.customer_id
    group by segments.segment_id
),

segment_responses as (
    select
        segments.segment_id,
        responses.nps_score,
        responses.csat_score
    from responses
    inner join segments
        on segments.customer_id = responses.customer_id
),

{{ nps_metrics('segment_responses', ['segment_id']) }},

value as (
    select
        segments.segment_id,
        segments.segment_name,
        count(*) as customers,
        count(*) / sum(count(*)) over () as share,
        -- averages of decimals as doubles on every engine (Spark's avg keeps a decimal)
        cast(sum(customer_value.revenue) as double) / count(customer_value.revenue)
            as revenue_per_customer,
        cast(sum(customer_value.contribution) as double) / count(customer_value.contribution)
            as contribution_per_customer,
        avg(customer_value.predicted_clv) as avg_predicted_clv,
        avg(
            case
                when customer_value.is_churned then 1e0 when not customer_value.is_churned then 0e0
            end
        )
            as churned_share_of_buyers,
        avg(customer_value.probability_alive) as avg_probability_alive
    from segments
    inner join customer_value
        on customer_value.customer_id = segments.customer_id
    group by segments.segment_id, segments.segment_name
),

final as (
    select
        value.segment_id,
        value.segment_name,
        value.customers,
        value.share,
        coalesce(stage_reach.reached_awareness, 0) as reached_awareness,
        coalesce(stage_reach.reached_consideration, 0) as reached_consideration,
        coalesce(stage_reach.reached_decision, 0) as reached_decision,
        coalesce(stage_reach.reached_retention, 0) as reached_retention,
        coalesce(stage_reach.reached_advocacy, 0) as reached_advocacy,
        value.revenue_per_customer,
        value.contribution_per_customer,
        value.avg_predicted_clv,
        value.churned_share_of_buyers,
        value.avg_probability_alive,
        nps_metrics.responses as nps_responses,
        nps_metrics.nps,
        nps_metrics.ci_low as nps_ci_low,
        nps_metrics.ci_high as nps_ci_high,
        nps_metrics.csat_avg
    from value
    left join stage_reach
        on stage_reach.segment_id = value.segment_id
    left join nps_metrics
        on nps_metrics.segment_id = value.segment_id
)

select * from final
