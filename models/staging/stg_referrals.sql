with checked as (
    select * from {{ ref('base_referrals') }}
),

staged as (
    select
        referral_id,
        referrer_customer_id,
        referred_customer_id,
        sent_at,
        converted_at,
        channel
    from checked
    where rejection_reason is null
)

select * from staged
