-- Pain points of the journey: what customers who stalled at a stage saw last, against what
-- customers who moved on saw last before moving on. Only customers of complete cohorts are compared
-- (macro cohort_is_complete): in a cohort whose funnel window is still open, a customer who has not
-- reached the next stage yet may still do so — counting them as stalled would read a young cohort
-- as a worse one. Those customers are counted apart (incomplete_cohort_customers).
with customer_stages as (
    select * from {{ ref('fct_customer_stages') }}
),

events as (
    -- the staged events (stg_events) as a table: the view would join its customers again
    select * from {{ ref('int_events_sessionised') }}
),

stage_map as (
    select * from {{ ref('stage_map') }}
),

-- every stage a customer reached, but the last stage of the journey (there is nothing to stall at)
stays as (
    select
        customer_id,
        stage,
        stage_order,
        reached_at,
        cohort_month,
        lead(reached_at) over (partition by customer_id order by stage_order) as next_reached_at
    from customer_stages
    qualify
        stage_order < (
            select max(last_stage.stage_order) as last_stage_order
            from stage_map as last_stage
        )
),

stay_cohorts as (
    select
        *,
        {{ cohort_is_complete('cohort_month') }} as is_complete
    from stays
),

-- stays of complete cohorts only: moved on (reached the next stage) or stalled for good
stay_outcomes as (
    select
        *,
        next_reached_at is null as is_stalled
    from stay_cohorts
    where is_complete
),

-- the var dropoff_last_events latest events of each stay: after reaching the stage and, for those
-- who moved on, before they reached the next one
last_events as (
    select
        stay_outcomes.customer_id,
        stay_outcomes.stage,
        stay_outcomes.stage_order,
        stay_outcomes.is_stalled,
        events.event_type,
        coalesce(events.touchpoint, {{ no_value() }}) as touchpoint
    from stay_outcomes
    inner join events
        on events.customer_id = stay_outcomes.customer_id
        and events.occurred_at >= stay_outcomes.reached_at
        and (
            stay_outcomes.next_reached_at is null
            or events.occurred_at < stay_outcomes.next_reached_at
        )
    qualify
        row_number() over (
            partition by stay_outcomes.customer_id, stay_outcomes.stage
            order by events.occurred_at desc, events.event_id desc
        ) <= {{ var('dropoff_last_events') }}
),

seen as (
    select
        stage,
        'event_type' as dimension,
        event_type as value,
        count(distinct case when is_stalled then customer_id end) as stalled_customers_seen,
        count(distinct case when not is_stalled then customer_id end) as moved_on_customers_seen
    from last_events
    group by stage, event_type
    union all
    select
        stage,
        'touchpoint' as dimension,
        touchpoint as value,
        count(distinct case when is_stalled then customer_id end) as stalled_customers_seen,
        count(distinct case when not is_stalled then customer_id end) as moved_on_customers_seen
    from last_events
    group by stage, touchpoint
),

stage_totals as (
    select
        stage,
        stage_order,
        count(case when is_complete and next_reached_at is null then 1 end) as stalled_customers,
        count(case when is_complete and next_reached_at is not null then 1 end)
            as moved_on_customers,
        count(case when not is_complete then 1 end) as incomplete_cohort_customers
    from stay_cohorts
    group by stage, stage_order
),

shares as (
    select
        seen.stage,
        stage_totals.stage_order,
        seen.dimension,
        seen.value,
        stage_totals.stalled_customers,
        seen.stalled_customers_seen,
        seen.stalled_customers_seen / nullif(stage_totals.stalled_customers, 0) as stalled_share,
        stage_totals.moved_on_customers,
        seen.moved_on_customers_seen,
        seen.moved_on_customers_seen / nullif(stage_totals.moved_on_customers, 0) as moved_on_share,
        stage_totals.incomplete_cohort_customers
    from seen
    inner join stage_totals
        on stage_totals.stage = seen.stage
),

flagged as (
    select
        *,
        stalled_share / nullif(moved_on_share, 0) as lift,
        stalled_customers_seen + moved_on_customers_seen
        < {{ var('dropoff_min_customers') }} as is_small_sample
    from shares
),

-- values seen by too few customers have noisy lifts: they rank after all the others
final as (
    select
        stage,
        stage_order,
        dimension,
        value,
        stalled_customers,
        stalled_customers_seen,
        stalled_share,
        moved_on_customers,
        moved_on_customers_seen,
        moved_on_share,
        lift,
        is_small_sample,
        -- bigint on every engine (Spark's row_number() is an int)
        cast(row_number() over (
            partition by stage, dimension
            order by is_small_sample asc, lift desc nulls last, stalled_share desc, value asc
        ) as bigint) as pain_point_rank,
        incomplete_cohort_customers
    from flagged
)

select * from final
