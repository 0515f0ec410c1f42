-- The Markov removal effect of every channel (attribution_removal_effects,
-- journey_metrics.attribution), published with a contract, ranked by effect. The markov model of
-- fct_attribution_credits splits each order among its channels by removal_effect_share.
with removal_effects as (
    select * from {{ ref('attribution_removal_effects') }}
),

final as (
    select
        channel,
        journeys,
        converting_journeys,
        conversion_probability,
        conversion_probability_without,
        removal_effect,
        removal_effect_share,
        removal_conversions,
        cast(
            row_number() over (order by removal_effect desc, channel asc) as bigint
        ) as removal_effect_rank
    from removal_effects
)

select * from final
