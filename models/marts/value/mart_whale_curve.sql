-- The cost-to-serve whale curve: customers ranked by contribution (best first, ties by
-- customer_id), the running total of contribution as a share of the total — overall and within
-- each segment. The curve rises above 100% over the profitable customers and comes back down to
-- 100% over the unprofitable ones. When a breakdown's total contribution is zero or negative a
-- share of it means nothing: the shares are null and is_total_nonpositive says why.
with customer_value as (
    select * from {{ ref('mart_customer_value') }}
),

breakdown_customers as (
    select
        'all' as breakdown,
        'all' as breakdown_value,
        customer_id,
        contribution
    from customer_value
    union all
    select
        'segment_name' as breakdown,
        coalesce(segment_name, {{ no_value() }}) as breakdown_value,
        customer_id,
        contribution
    from customer_value
),

ranked as (
    select
        breakdown,
        breakdown_value,
        customer_id,
        contribution,
        cast(row_number() over (
            partition by breakdown, breakdown_value
            order by contribution desc, customer_id asc
        ) as bigint) as customer_rank,
        sum(contribution) over (
            partition by breakdown, breakdown_value
            order by contribution desc, customer_id asc
            rows between unbounded preceding and current row
        ) as cumulative_contribution,
        sum(contribution) over (partition by breakdown, breakdown_value) as total_contribution,
        count(*) over (partition by breakdown, breakdown_value) as customers
    from breakdown_customers
),

-- the peak: the highest running total, reached first at the lowest rank
peak_contributions as (
    select
        breakdown,
        breakdown_value,
        max(cumulative_contribution) as peak_contribution
    from ranked
    group by breakdown, breakdown_value
),

peak_ranks as (
    select
        ranked.breakdown,
        ranked.breakdown_value,
        min(ranked.customer_rank) as peak_rank
    from ranked
    inner join peak_contributions
        on peak_contributions.breakdown = ranked.breakdown
        and peak_contributions.breakdown_value = ranked.breakdown_value
        and peak_contributions.peak_contribution = ranked.cumulative_contribution
    group by ranked.breakdown, ranked.breakdown_value
),

final as (
    select
        ranked.breakdown,
        ranked.breakdown_value,
        ranked.customer_rank,
        ranked.customer_id,
        ranked.contribution,
        ranked.cumulative_contribution,
        case
            when ranked.total_contribution > 0
                then
                    cast(ranked.cumulative_contribution as double)
                    / cast(ranked.total_contribution as double)
        end as cumulative_share,
        cast(ranked.customer_rank as double) / ranked.customers as customer_share,
        ranked.customer_rank = peak_ranks.peak_rank as is_peak,
        ranked.total_contribution <= 0 as is_total_nonpositive
    from ranked
    inner join peak_ranks
        on peak_ranks.breakdown = ranked.breakdown
        and peak_ranks.breakdown_value = ranked.breakdown_value
)

select * from final
