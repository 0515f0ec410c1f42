with referrals as (
    select * from {{ ref('stg_referrals') }}
),

customer_stages as (
    select * from {{ ref('fct_customer_stages') }}
),

referrer_stage as (
    select
        referrals.referral_id,
        {{ arg_max('customer_stages.stage', 'customer_stages.stage_order') }} as referrer_stage,
        min(customer_stages.reached_at) as referrer_awareness_at
    from referrals
    inner join customer_stages
        on customer_stages.customer_id = referrals.referrer_customer_id
        and customer_stages.reached_at <= referrals.sent_at
    group by referrals.referral_id
),

final as (
    select
        referrals.referral_id,
        referrals.referrer_customer_id,
        referrals.referred_customer_id,
        referrals.channel,
        referrals.sent_at,
        referrals.converted_at,
        referrals.converted_at is not null as is_converted,
        {{ days_between('referrals.sent_at', 'referrals.converted_at') }} as days_to_convert,
        coalesce(referrer_stage.referrer_stage, {{ no_value() }}) as referrer_stage,
        {{ days_between('referrer_stage.referrer_awareness_at', 'referrals.sent_at') }}
            as referrer_tenure_days
    from referrals
    left join referrer_stage
        on referrer_stage.referral_id = referrals.referral_id
)

select * from final
