-- Which moments precede referrals? For every kind of moment — each event type and each touchpoint
-- of an event, a support ticket, a promoter survey response, a repeat (second or later) completed
-- order — the share of moments followed by a referral from the same customer within
-- var referral_trigger_window_days (14) after it, against the base rate: the same share over all
-- moments of all kinds. lift = rate / base rate; rate_ci_* is the Wilson interval of the rate and
-- lift_ci_* the log-normal (Katz) interval of the ratio, both at var referral_z (1.96).
with events as (
    -- the staged events (stg_events) as a table: the view would join its customers again
    select * from {{ ref('int_events_sessionised') }}
),

tickets as (
    select * from {{ ref('stg_support_tickets') }}
),

responses as (
    select * from {{ ref('stg_survey_responses') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

referrals as (
    select * from {{ ref('stg_referrals') }}
),

-- every moment once, with what it is; an event is two moments (its type and its touchpoint), but
-- whether a referral followed it is looked up once
moment_times as (
    select
        'event' as source,
        event_type,
        touchpoint,
        customer_id,
        occurred_at as moment_at
    from events
    union all
    select
        'support' as source,
        null as event_type,
        null as touchpoint,
        customer_id,
        opened_at as moment_at
    from tickets
    union all
    select
        'survey' as source,
        null as event_type,
        null as touchpoint,
        customer_id,
        responded_at as moment_at
    from responses
    where nps_score >= {{ var('promoter_min_score') }}
    union all
    select
        'order' as source,
        null as event_type,
        null as touchpoint,
        customer_id,
        ordered_at as moment_at
    from orders
    where completed_order_number >= 2
),

-- the customers' moments a referral followed (a join, not a correlated exists: Spark 4.3 fails to
-- plan that one)
followed_moments as (
    select distinct
        moment_times.customer_id,
        moment_times.moment_at
    from moment_times
    inner join referrals
        on referrals.referrer_customer_id = moment_times.customer_id
        and referrals.sent_at > moment_times.moment_at
        and referrals.sent_at <= (
            moment_times.moment_at
            + {{ interval_of(var('referral_trigger_window_days'), 'day') }}
        )
),

looked_up as (
    select
        moment_times.*,
        followed_moments.customer_id is not null as is_followed_by_referral
    from moment_times
    left join followed_moments
        on followed_moments.customer_id = moment_times.customer_id
        and followed_moments.moment_at = moment_times.moment_at
),

followed as (
    select
        'event_type' as moment_kind,
        event_type as moment,
        is_followed_by_referral
    from looked_up
    where source = 'event'
    union all
    select
        'touchpoint' as moment_kind,
        touchpoint as moment,
        is_followed_by_referral
    from looked_up
    where source = 'event' and touchpoint is not null
    union all
    select
        'support' as moment_kind,
        'support_ticket' as moment,
        is_followed_by_referral
    from looked_up
    where source = 'support'
    union all
    select
        'survey' as moment_kind,
        'promoter_survey' as moment,
        is_followed_by_referral
    from looked_up
    where source = 'survey'
    union all
    select
        'order' as moment_kind,
        'repeat_order' as moment,
        is_followed_by_referral
    from looked_up
    where source = 'order'
),

rates as (
    select
        moment_kind,
        moment,
        count(*) as moments,
        count(*) filter (where is_followed_by_referral) as followed_by_referral
    from followed
    group by moment_kind, moment
),

base as (
    select
        sum(moments) as base_moments,
        sum(followed_by_referral) as base_followed,
        sum(followed_by_referral) / nullif(sum(moments), 0) as base_rate
    from rates
),

final as (
    select
        rates.moment_kind,
        rates.moment,
        rates.moments,
        rates.followed_by_referral,
        rates.followed_by_referral / rates.moments as referral_rate,
        {{ wilson_interval(
            'rates.followed_by_referral', 'rates.moments', 'low', var('referral_z')
        ) }} as rate_ci_low,
        {{ wilson_interval(
            'rates.followed_by_referral', 'rates.moments', 'high', var('referral_z')
        ) }}
            as rate_ci_high,
        base.base_rate,
        (rates.followed_by_referral / rates.moments) / nullif(base.base_rate, 0) as lift,
        {{ ratio_interval(
            'rates.followed_by_referral', 'rates.moments',
            'base.base_followed', 'base.base_moments', 'low', var('referral_z')
        ) }}
            as lift_ci_low,
        {{ ratio_interval(
            'rates.followed_by_referral', 'rates.moments',
            'base.base_followed', 'base.base_moments', 'high', var('referral_z')
        ) }}
            as lift_ci_high,
        rates.moments < {{ var('referral_min_moments') }} as is_small_sample
    from rates
    cross join base
)

select * from final
