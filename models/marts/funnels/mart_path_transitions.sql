-- The customers' paths (int_customer_path_steps, as in mart_paths_to_purchase) as the links of a
-- Sankey chart: step_index 1 runs from '(start)' to the first step, each next one from a step to
-- the following, and the last from the path's last step to '(purchase)' or '(no purchase)'.
-- '(more)' and '(no sessions)' are steps like the channels. A node is a step at a position: the
-- links into it at step_index k carry the customers of its links out at step_index k + 1.
with customer_path_steps as (
    select * from {{ ref('int_customer_path_steps') }}
),

-- each step with the one before it ('(start)' before the first) and whether it is the last
ordered_steps as (
    select
        customer_id,
        outcome,
        step_index,
        coalesce(
            lag(step) over (partition by customer_id order by step_index), '(start)'
        ) as from_step,
        step as to_step,
        lead(step) over (partition by customer_id order by step_index) is null as is_last
    from customer_path_steps
),

links as (
    select
        customer_id,
        step_index,
        from_step,
        to_step
    from ordered_steps
    union all
    select
        customer_id,
        cast(step_index + 1 as integer) as step_index,
        to_step as from_step,
        case when outcome = 'purchase' then '(purchase)' else '(no purchase)' end as to_step
    from ordered_steps
    where is_last
),

final as (
    select
        step_index,
        from_step,
        to_step,
        count(*) as customers
    from links
    group by step_index, from_step, to_step
)

select * from final
