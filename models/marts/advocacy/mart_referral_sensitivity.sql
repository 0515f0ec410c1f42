-- Small changes, large effects: referred customers projected over the next generations as a
-- branching process — each customer brings K new ones per generation — for the current viral
-- coefficient K (converted referrals per customer, all cohorts) and for K shifted by each step in
-- var referral_k_steps. Starting from var referral_projection_seed_customers customers,
-- generation g brings seed × K^g; below K = 1 the total converges to seed × K / (1 − K), at 1 and
-- above it grows without bound.
with referral_totals as (
    select
        sum(referrals_converted) / nullif(sum(customers), 0) as current_k
    from {{ ref('mart_referrals') }}
),

steps as (
    select unnest([{{ var('referral_k_steps') | join(', ') }}]) as k_step
),

generations as (
    select unnest(range(1, {{ var('referral_projection_generations') }} + 1)) as generation
),

scenarios as (
    select
        steps.k_step,
        greatest(referral_totals.current_k + steps.k_step, 0) as k,
        referral_totals.current_k
    from referral_totals
    cross join steps
    where referral_totals.current_k is not null
),

final as (
    select
        scenarios.k_step,
        scenarios.k,
        scenarios.current_k,
        generations.generation,
        {{ var('referral_projection_seed_customers') }} * pow(scenarios.k, generations.generation) as new_customers,
        {{ var('referral_projection_seed_customers') }} * sum(pow(scenarios.k, generations.generation)) over (
            partition by scenarios.k_step
            order by generations.generation
        ) as cumulative_referred_customers,
        case
            when scenarios.k < 1 then {{ var('referral_projection_seed_customers') }} * scenarios.k / (1 - scenarios.k)
        end as limit_referred_customers,
        case
            when scenarios.k < 1 then 'dies out'
            when scenarios.k = 1 then 'critical'
            else 'explosive'
        end as growth_regime
    from scenarios
    cross join generations
)

select * from final
