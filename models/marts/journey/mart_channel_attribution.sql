-- Conversions and revenue credited to each channel and touchpoint under each attribution model:
-- fct_attribution_credits summed. Every model credits the same touches (int_order_touches), so the
-- orders a channel and touchpoint touched are counted once, from the touches.
with credits as (
    select * from {{ ref('fct_attribution_credits') }}
),

touches as (
    select * from {{ ref('int_order_touches') }}
),

credited as (
    select
        attribution_model,
        channel,
        touchpoint,
        sum(conversion_credit) as conversions,
        cast(sum(revenue_credit) as decimal(38, 2)) as revenue
    from credits
    group by attribution_model, channel, touchpoint
),

touched as (
    select
        channel,
        touchpoint,
        count(distinct order_id) as orders_touched
    from touches
    group by channel, touchpoint
),

aggregated as (
    select
        credited.*,
        touched.orders_touched
    from credited
    inner join touched
        on touched.channel = credited.channel
        and touched.touchpoint = credited.touchpoint
),

final as (
    select
        attribution_model,
        channel,
        touchpoint,
        conversions,
        revenue,
        orders_touched,
        -- decimals divided as doubles (DuckDB's rule; Spark would keep a decimal)
        cast(conversions as double)
        / cast(sum(conversions) over (partition by attribution_model) as double)
            as conversion_share,
        cast(revenue as double)
        / cast(nullif(sum(revenue) over (partition by attribution_model), 0) as double)
            as revenue_share
    from aggregated
)

select * from final
