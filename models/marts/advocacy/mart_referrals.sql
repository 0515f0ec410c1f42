-- Referral performance by the referrer's cohort (month of awareness).
with customers as (
    select * from {{ ref('dim_customers') }}
),

referrals as (
    select * from {{ ref('fct_referrals') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_completed
),

first_purchases as (
    select
        customer_id,
        min(ordered_at) as first_purchase_at
    from orders
    group by customer_id
),

first_referrals as (
    select
        referrer_customer_id as customer_id,
        min(sent_at) as first_referral_at
    from referrals
    group by referrer_customer_id
),

customer_referrals as (
    select
        customers.customer_id,
        customers.cohort_month,
        count(referrals.referral_id) as referrals_sent,
        count(referrals.referral_id) filter (where referrals.is_converted) as referrals_converted
    from customers
    left join referrals
        on referrals.referrer_customer_id = customers.customer_id
    where customers.cohort_month is not null
    group by customers.customer_id, customers.cohort_month
),

days_to_first_referral as (
    select
        first_referrals.customer_id,
        {{ days_between(
            'first_purchases.first_purchase_at', 'first_referrals.first_referral_at'
        ) }} as days
    from first_referrals
    inner join first_purchases
        on first_purchases.customer_id = first_referrals.customer_id
    where first_referrals.first_referral_at >= first_purchases.first_purchase_at
),

final as (
    select
        customer_referrals.cohort_month,
        count(*) as customers,
        sum(customer_referrals.referrals_sent) as referrals_sent,
        sum(customer_referrals.referrals_converted) as referrals_converted,
        sum(customer_referrals.referrals_converted)
        / nullif(sum(customer_referrals.referrals_sent), 0)
            as conversion_rate,
        sum(customer_referrals.referrals_converted) / count(*) as viral_coefficient,
        median(days_to_first_referral.days) as median_days_first_purchase_to_referral
    from customer_referrals
    left join days_to_first_referral
        on days_to_first_referral.customer_id = customer_referrals.customer_id
    group by customer_referrals.cohort_month
)

select * from final
