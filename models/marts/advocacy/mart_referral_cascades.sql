-- One row per root referrer — a customer who sent referrals and was not referred themself — with
-- everyone reached downstream through converted referrals. The walk stops at a customer already on
-- its path and after var referral_max_depth generations, so cycles in bad data cannot hang the
-- build.
with recursive referrals as (
    select * from {{ ref('fct_referrals') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_completed
),

edges as (
    select distinct
        referrer_customer_id,
        referred_customer_id
    from referrals
    where is_converted
        and referred_customer_id is not null
),

roots as (
    select distinct referrals.referrer_customer_id as root_customer_id
    from referrals
    where referrals.referrer_customer_id not in (select edges.referred_customer_id from edges)
),

walk as (
    select
        roots.root_customer_id,
        edges.referred_customer_id as customer_id,
        1 as depth,
        {{ dbt.array_construct(['roots.root_customer_id', 'edges.referred_customer_id']) }} as path
    from roots
    inner join edges
        on edges.referrer_customer_id = roots.root_customer_id
    union all
    select
        walk.root_customer_id,
        edges.referred_customer_id as customer_id,
        walk.depth + 1 as depth,
        {{ dbt.array_append('walk.path', 'edges.referred_customer_id') }} as path
    from walk
    inner join edges
        on edges.referrer_customer_id = walk.customer_id
    where not {{ list_contains('walk.path', 'edges.referred_customer_id') }}
        and walk.depth < {{ var('referral_max_depth') }}
),

reached as (
    select
        root_customer_id,
        customer_id,
        min(depth) as depth
    from walk
    group by root_customer_id, customer_id
),

customer_revenue as (
    select
        customer_id,
        sum(revenue) as revenue
    from orders
    group by customer_id
),

walk_depth as (
    select
        root_customer_id,
        max(depth) as max_depth
    from walk
    group by root_customer_id
),

cascades as (
    select
        reached.root_customer_id,
        count(*) as cascade_size,
        max(walk_depth.max_depth) as max_depth,
        coalesce(sum(customer_revenue.revenue), 0) as cascade_revenue
    from reached
    left join customer_revenue
        on customer_revenue.customer_id = reached.customer_id
    left join walk_depth
        on walk_depth.root_customer_id = reached.root_customer_id
    group by reached.root_customer_id
),

final as (
    select
        roots.root_customer_id,
        coalesce(cascades.cascade_size, 0) as cascade_size,
        coalesce(cascades.max_depth, 0) as max_depth,
        coalesce(cascades.cascade_revenue, 0) as cascade_revenue
    from roots
    left join cascades
        on cascades.root_customer_id = roots.root_customer_id
)

select * from final
