-- Conversions and revenue credited to each channel and touchpoint under each attribution model:
-- fct_attribution_credits summed.
with credits as (
    select * from {{ ref('fct_attribution_credits') }}
),

aggregated as (
    select
        attribution_model,
        channel,
        touchpoint,
        sum(conversion_credit) as conversions,
        sum(revenue_credit) as revenue,
        count(distinct order_id) as orders_touched
    from credits
    group by attribution_model, channel, touchpoint
),

final as (
    select
        attribution_model,
        channel,
        touchpoint,
        conversions,
        revenue,
        orders_touched,
        conversions / sum(conversions) over (partition by attribution_model) as conversion_share,
        revenue / nullif(sum(revenue) over (partition by attribution_model), 0) as revenue_share
    from aggregated
)

select * from final
