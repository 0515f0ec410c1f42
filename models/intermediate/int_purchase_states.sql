-- The distinct purchase states (x, t_x, T) of int_customer_month_states, at the start and at the
-- end of the months: what clv_alive_by_state scores. Far fewer rows than customer-months, so the
-- Python model's memory follows the spread of histories, not the number of customers.
with months as (
    select * from {{ ref('int_customer_month_states') }}
),

final as (
    select distinct
        frequency_at_start as frequency,
        recency_at_start as recency,
        age_at_start as age
    from months
    where frequency_at_start is not null
    union
    select distinct
        frequency_at_end as frequency,
        recency_at_end as recency,
        age_at_end as age
    from months
    where frequency_at_end is not null
)

select * from final
