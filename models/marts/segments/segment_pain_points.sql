-- Which segment suffers where: one row per segment and pain-point signal. A signal's rate in the
-- segment is compared with its rate over all customers (lift) and with the rest of the customers by
-- a two-proportion z-test, its p-value Holm-adjusted over every test of the mart. A pain point
-- (is_pain_point) has lift > 1 and an adjusted p-value below var pain_point_alpha; only pain points
-- are ranked, by lift (rank 1 = the segment's strongest), every other row has a null rank.
-- Signals (each over the customers it applies to):
--   ticket_<category>   share of customers with a ticket of that category (all customers)
--   detractor           share with a latest NPS of 0–6 (customers with an NPS)
--   stalled_<stage>     share whose furthest stage is that stage (all customers; advocacy is the
--                       end)
--   slow_resolution     share whose tickets took more than var slow_resolution_hours on average
--                       to resolve (customers with a resolved ticket)
with segments as (
    select * from {{ ref('customer_segments') }}
),

features as (
    select * from {{ ref('customer_features') }}
),

stage_map as (
    select distinct
        stage,
        stage_order
    from {{ ref('stage_map') }}
),

signals as (
    {% for category in var('ticket_categories') %}
    select
        customer_id,
        'ticket_{{ category }}' as signal,
        tickets_{{ category }} > 0 as has_signal
    from features
    union all
    {% endfor %}
    select
        customer_id,
        'detractor' as signal,
        latest_nps < {{ var('passive_min_score') }} as has_signal
    from features
    where latest_nps is not null
    union all
    select
        features.customer_id,
        'stalled_' || stage_map.stage as signal,
        features.furthest_stage = stage_map.stage as has_signal
    from features
    cross join stage_map
    where
        stage_map.stage_order < (
            select max(last_stage.stage_order) as last_stage_order
            from stage_map as last_stage
        )
    union all
    select
        customer_id,
        'slow_resolution' as signal,
        avg_resolution_hours > {{ var('slow_resolution_hours') }} as has_signal
    from features
    where avg_resolution_hours is not null
),

counts as (
    select
        segments.segment_id,
        segments.segment_name,
        signals.signal,
        count(*) as customers,
        count(*) filter (where signals.has_signal) as customers_with_signal
    from signals
    inner join segments
        on segments.customer_id = signals.customer_id
    group by segments.segment_id, segments.segment_name, signals.signal
),

totals as (
    select
        signal,
        sum(customers) as all_customers,
        sum(customers_with_signal) as all_with_signal
    from counts
    group by signal
),

tested as (
    select
        counts.segment_id,
        counts.segment_name,
        counts.signal,
        counts.customers,
        counts.customers_with_signal,
        counts.customers_with_signal / counts.customers as rate,
        totals.all_with_signal / totals.all_customers as overall_rate,
        (counts.customers_with_signal / counts.customers)
        / nullif(totals.all_with_signal / totals.all_customers, 0)
            as lift,
        {#- two-proportion z-test: the segment against all other customers #}
        {{ two_proportion_z(
            'counts.customers_with_signal', 'counts.customers',
            'totals.all_with_signal - counts.customers_with_signal', 'totals.all_customers - counts.customers'
        ) }} as z_score
    from counts
    inner join totals
        on totals.signal = counts.signal
),

tested_p as (
    select
        *,
        {{ two_sided_normal_p('z_score') }} as p_value
    from tested
),

-- Holm step-down over the m tests with a p-value: the i-th smallest p is multiplied by m − i + 1,
-- capped at 1, and never below the adjusted p of a smaller one (a running maximum)
holm_order as (
    select
        *,
        count(p_value) over () as tests,
        case
            when p_value is not null
                then row_number() over (order by p_value nulls last, segment_id, signal)
        end
            as p_value_order
    from tested_p
),

holm_adjusted as (
    select
        *,
        case
            when p_value is not null
                then
                    least(
                        1.0,
                        max((tests - p_value_order + 1) * p_value) over (
                            order by p_value nulls last, segment_id, signal
                            rows between unbounded preceding and current row
                        )
                    )
        end as p_value_holm
    from holm_order
),

flagged as (
    select
        *,
        coalesce(lift > 1 and p_value_holm < {{ var('pain_point_alpha') }}, false) as is_pain_point
    from holm_adjusted
),

final as (
    select
        segment_id,
        segment_name,
        signal,
        customers,
        customers_with_signal,
        rate,
        overall_rate,
        lift,
        z_score,
        p_value,
        case
            when is_pain_point
                then
                    -- bigint on every engine (Spark's row_number() is an int)
                    cast(row_number() over (
                        partition by segment_id, is_pain_point
                        order by lift desc, signal asc
                    ) as bigint)
        end as pain_point_rank,
        p_value_holm,
        is_pain_point
    from flagged
)

select * from final
