with source as (
    select * from {{ ref('raw_referrals') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

cleaned as (
    {{ clean_raw_columns('source', 'referrals') }}
),

typed as (
    select
        cleaned.*,
        cleaned.raw_referral_id as referral_id,
        cleaned.raw_referrer_customer_id as referrer_customer_id,
        cleaned.raw_referred_customer_id as referred_customer_id,
        {{ to_utc_timestamp('raw_sent_at') }} as sent_at,
        {{ to_utc_timestamp('raw_converted_at') }} as converted_at,
        lower(cleaned.raw_channel) as channel
    from cleaned
),

checked as (
    select
        typed.*,
        typed.raw_referral_id as _source_key,
        case
            when typed.referral_id is null then 'missing_primary_key'
            when typed.referrer_customer_id is null then 'missing_customer_id'
            when typed.raw_sent_at is null then 'missing_value'
            when typed.sent_at is null
                or {{ is_unparseable('typed.raw_converted_at', 'typed.converted_at') }}
                then 'invalid_timestamp'
            when {{ is_future('typed.sent_at') }} or {{ is_future('typed.converted_at') }}
                then 'future_timestamp'
            when {{ is_too_early('typed.sent_at') }} or {{ is_too_early('typed.converted_at') }}
                then 'too_early_timestamp'
            when typed.referrer_customer_id = typed.referred_customer_id then 'self_referral'
            when typed.converted_at < typed.sent_at then 'conversion_before_sent'
            when referrers.customer_id is null
                or (typed.referred_customer_id is not null and referred.customer_id is null)
                then 'unknown_customer'
        end as _check_reason
    from typed
    left join customers as referrers
        on referrers.customer_id = typed.referrer_customer_id
    left join customers as referred
        on referred.customer_id = typed.referred_customer_id
),

{{ deduplicate(
    'checked',
    key=['referral_id'],
    compare=['referrer_customer_id', 'referred_customer_id', 'sent_at', 'converted_at', 'channel']
) }}

select
    referral_id,
    referrer_customer_id,
    referred_customer_id,
    sent_at,
    converted_at,
    channel,
    rejection_reason,
    _source_key as source_key,
    _source_file as source_file,
    record
from deduplicated
