-- The Shapley value and share of every channel in every converting channel set
-- (attribution_shapley_shares, journey_metrics.attribution), published with a contract.
-- fct_attribution_credits' shapley model splits an order by its channel set's shares.
with shapley_shares as (
    select * from {{ ref('attribution_shapley_shares') }}
),

final as (
    select
        channel_set,
        channel,
        channels,
        set_conversions,
        coalition_worth,
        shapley_value,
        shapley_share
    from shapley_shares
)

select * from final
