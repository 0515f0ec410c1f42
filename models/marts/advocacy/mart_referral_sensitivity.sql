-- Small changes, large effects: referred customers projected over the next generations as a
-- branching process — each customer brings K new ones per generation — for two kinds of scenario:
--   step    today's viral coefficient K (converted referrals per customer, all cohorts) shifted by
--           each step of var referral_k_steps (K clamped at 0; the steps that clamp to the same
--           K = 0 keep one row, the step nearest 0)
--   target  each K of var referral_k_targets, with the multiplier of today's K it needs
--           (target / today's K): where the tipping point K = 1 lies from here
-- Starting from var referral_projection_seed_customers customers, generation g brings seed × K^g;
-- below K = 1 the total converges to seed × K / (1 − K), at 1 and above it grows without bound.
with referral_totals as (
    select sum(referrals_converted) / nullif(sum(customers), 0) as current_k
    from {{ ref('mart_referrals') }}
),

steps as (
    select distinct k_step
    from ({{ value_rows(var('referral_k_steps'), 'k_step') }}) as k_steps
),

targets as (
    select distinct k_target
    from ({{ value_rows(var('referral_k_targets'), 'k_target') }}) as k_targets
),

generations as (
    {{ integer_series(1, var('referral_projection_generations'), 'generation') }}
),

step_scenarios as (
    select
        'step' as scenario_type,
        steps.k_step,
        cast(null as double) as k_target,
        greatest(referral_totals.current_k + steps.k_step, 0) as k,
        referral_totals.current_k
    from referral_totals
    cross join steps
    where referral_totals.current_k is not null
    -- steps that clamp to the same K (only K = 0 can be reached twice) are one scenario
    qualify
        row_number() over (
            partition by greatest(referral_totals.current_k + steps.k_step, 0)
            order by abs(steps.k_step), steps.k_step desc
        ) = 1
),

target_scenarios as (
    select
        'target' as scenario_type,
        cast(null as decimal(12, 2)) as k_step,
        cast(targets.k_target as double) as k_target,
        cast(targets.k_target as double) as k,
        referral_totals.current_k
    from referral_totals
    cross join targets
    where referral_totals.current_k is not null
),

scenarios as (
    select * from step_scenarios
    union all
    select * from target_scenarios
),

scenario_multipliers as (
    select
        *,
        -- the factor today's K is multiplied by to reach the scenario's K (null when K is 0 today)
        k / nullif(current_k, 0) as k_multiplier
    from scenarios
),

final as (
    select
        scenario_multipliers.scenario_type,
        scenario_multipliers.k_step,
        scenario_multipliers.k_target,
        scenario_multipliers.k,
        scenario_multipliers.current_k,
        scenario_multipliers.k_multiplier,
        generations.generation,
        {{ var('referral_projection_seed_customers') }}
        * pow(scenario_multipliers.k, generations.generation)
            as new_customers,
        {{ var('referral_projection_seed_customers') }}
        * sum(pow(scenario_multipliers.k, generations.generation)) over (
            partition by scenario_multipliers.scenario_type, scenario_multipliers.k
            order by generations.generation
        ) as cumulative_referred_customers,
        case
            when scenario_multipliers.k < 1
                then {{ var('referral_projection_seed_customers') }}
                    * scenario_multipliers.k
                    / (1 - scenario_multipliers.k)
        end as limit_referred_customers,
        case
            when scenario_multipliers.k < 1 then 'dies out'
            when scenario_multipliers.k = 1 then 'critical'
            else 'explosive'
        end as growth_regime
    from scenario_multipliers
    cross join generations
)

select * from final
