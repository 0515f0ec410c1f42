-- The most common paths of session channels, for the customers who bought (before their first
-- purchase) and for those who never did (all their sessions). A path: the entry channels of the
-- sessions in started_at order (ties by session_id), consecutive repeats collapsed, its first var
-- path_max_length channels and then '(more)' when longer; '(no sessions)' without one (macro
-- customer_paths). Every path is kept: customers add up to the customers of the outcome, and
-- path_rank lets a reader cut the top N.
{%- set max_length = path_max_length() %}

with sessions as (
    select * from {{ ref('fct_sessions') }}
),

orders as (
    select * from {{ ref('stg_orders') }}
),

dim_customers as (
    select * from {{ ref('dim_customers') }}
),

{{ customer_paths('sessions', 'orders', 'dim_customers', max_length) }},

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
