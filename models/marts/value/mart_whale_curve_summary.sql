-- One row per whale curve (mart_whale_curve): how far above 100% of the total contribution the
-- curve peaks and at what share of the customers, and the share of the best customers who already
-- earn 100% of it — the first rank whose running total reaches the total (no interpolation: a rank
-- share the curve really reaches). On the way down the curve meets 100% only at its last customer
-- (the unprofitable customers come last), so that crossing would say nothing. Null shares when the
-- total is zero or negative (is_total_nonpositive).
with curve as (
    select * from {{ ref('mart_whale_curve') }}
),

totals as (
    select
        breakdown,
        breakdown_value,
        count(*) as customers,
        sum(contribution) as total_contribution,
        count(case when contribution < 0 then 1 end) as unprofitable_customers,
        max(case when is_peak then customer_rank end) as peak_rank,
        max(case when is_peak then cumulative_contribution end) as peak_contribution,
        max(case when is_peak then customer_share end) as peak_customer_share
    from curve
    group by breakdown, breakdown_value
),

crossings as (
    select
        curve.breakdown,
        curve.breakdown_value,
        min(curve.customer_share) as crossing_customer_share
    from curve
    inner join totals
        on totals.breakdown = curve.breakdown
        and totals.breakdown_value = curve.breakdown_value
    where totals.total_contribution > 0
        and curve.cumulative_contribution >= totals.total_contribution
    group by curve.breakdown, curve.breakdown_value
),

final as (
    select
        totals.breakdown,
        totals.breakdown_value,
        totals.customers,
        totals.total_contribution,
        totals.unprofitable_customers,
        cast(totals.unprofitable_customers as double) / totals.customers
            as unprofitable_customer_share,
        totals.peak_rank,
        totals.peak_contribution,
        case
            when totals.total_contribution > 0
                then
                    cast(totals.peak_contribution as double)
                    / cast(totals.total_contribution as double)
        end as peak_share,
        totals.peak_customer_share,
        crossings.crossing_customer_share,
        totals.total_contribution <= 0 as is_total_nonpositive
    from totals
    left join crossings
        on crossings.breakdown = totals.breakdown
        and crossings.breakdown_value = totals.breakdown_value
)

select * from final
