-- The most common paths of session channels, for the customers who bought (before their first
-- purchase) and for those who never did (all their sessions). A path: the entry channels of the
-- sessions in started_at order (ties by session_id), consecutive repeats collapsed, its first var
-- path_max_length channels and then '(more)' when longer; '(no sessions)' without one
-- (int_customer_path_steps). Every path is kept: customers add up to the customers of the
-- outcome, and path_rank lets a reader cut the top N.
with path_steps as (
    select * from {{ ref('int_customer_path_steps') }}
),

-- one row per customer: every path has a first step
customer_paths as (
    select
        customer_id,
        outcome,
        path,
        path_length,
        is_truncated,
        days_to_purchase
    from path_steps
    where step_index = 1
),

grouped as (
    select
        outcome,
        path,
        path_length,
        is_truncated,
        count(*) as customers,
        {{ percentile_cont('days_to_purchase', 0.5) }} as median_days_to_purchase
    from customer_paths
    group by outcome, path, path_length, is_truncated
),

final as (
    select
        outcome,
        path,
        path_length,
        is_truncated,
        customers,
        cast(customers as double)
        / sum(customers) over (partition by outcome) as share,
        cast(median_days_to_purchase as double) as median_days_to_purchase,
        cast(row_number() over (
            partition by outcome order by customers desc, path asc
        ) as integer) as path_rank
    from grouped
)

select * from final
