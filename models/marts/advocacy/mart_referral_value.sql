-- Referred vs non-referred customers: do referred customers buy, spend, last and stay more?
-- A customer is referred when a converted referral names them.
with customer_value as (
    select * from {{ ref('mart_customer_value') }}
),

referred as (
    select distinct referred_customer_id as customer_id
    from {{ ref('fct_referrals') }}
    where is_converted
),

labelled as (
    select
        customer_value.*,
        referred.customer_id is not null as is_referred
    from customer_value
    left join referred
        on referred.customer_id = customer_value.customer_id
),

final as (
    select
        is_referred,
        count(*) as customers,
        count(*) filter (where orders > 0) as buyers,
        count(*) filter (where orders > 0) / count(*) as buyer_conversion_rate,
        -- averages of decimals as doubles on every engine (Spark's avg keeps a decimal)
        cast(sum(revenue) as double) / count(revenue) as revenue_per_customer,
        cast(sum(contribution) as double) / count(contribution) as contribution_per_customer,
        avg(predicted_clv) as avg_predicted_clv,
        avg(case when is_churned then 1e0 when not is_churned then 0e0 end)
            as churned_share_of_buyers
    from labelled
    group by is_referred
)

select * from final
