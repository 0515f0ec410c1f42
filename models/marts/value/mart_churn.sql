-- Churn by month, cohort and acquisition channel under two definitions side by side:
--   inactivity: a buyer is churned on a day when their last completed order is more than
--               var churn_inactivity_days (90) before it;
--   model:      a buyer is churned on a day when their probability of being alive under the CLV
--               purchase model clv_model_params selects (clv_alive_by_state), from their purchases
--               up to that day, is below var churn_p_alive_threshold (0.5).
-- A buyer is active in a month when they bought before it started and were not churned at its
-- start (the day before); newly churned when active and churned at its end (the month's last day,
-- or the last day of data). churn_rate = newly churned / active. The states are
-- int_customer_month_states.
with months as (
    select * from {{ ref('int_customer_month_states') }}
),

alive as (
    select * from {{ ref('clv_alive_by_state') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

flags as (
    select
        months.customer_id,
        months.month_start,
        months.has_bought_before,
        months.is_inactive_at_start,
        months.is_inactive_at_end,
        at_start.probability_alive < {{ var('churn_p_alive_threshold') }} as model_churned_at_start,
        at_end.probability_alive < {{ var('churn_p_alive_threshold') }} as model_churned_at_end,
        coalesce(at_end.probability_alive, at_start.probability_alive) is not null as has_model
    from months
    left join alive as at_start
        on at_start.frequency = months.frequency_at_start
        and at_start.recency = months.recency_at_start
        and at_start.age = months.age_at_start
    left join alive as at_end
        on at_end.frequency = months.frequency_at_end
        and at_end.recency = months.recency_at_end
        and at_end.age = months.age_at_end
),

labelled as (
    select
        flags.month_start as month,
        customers.cohort_month,
        customers.first_touch_channel as acquisition_channel,
        flags.has_bought_before and not flags.is_inactive_at_start as is_active,
        flags.has_bought_before
        and not flags.is_inactive_at_start
        and flags.is_inactive_at_end as is_newly_churned,
        flags.has_bought_before and not flags.model_churned_at_start as is_active_by_model,
        flags.has_bought_before and not flags.model_churned_at_start and flags.model_churned_at_end
            as is_newly_churned_by_model,
        flags.has_model
    from flags
    inner join customers
        on customers.customer_id = flags.customer_id
),

final as (
    select
        month,
        cohort_month,
        acquisition_channel,
        count(*) filter (where is_active) as active_customers,
        count(*) filter (where is_newly_churned) as newly_churned,
        count(*) filter (where is_newly_churned)
        / nullif(count(*) filter (where is_active), 0) as churn_rate,
        -- null, not 0, when no purchase model could be fitted
        case when bool_or(has_model) then count(*) filter (where is_active_by_model) end
            as active_customers_by_model,
        case when bool_or(has_model) then count(*) filter (where is_newly_churned_by_model) end
            as newly_churned_by_model,
        count(*) filter (where is_newly_churned_by_model)
        / nullif(count(*) filter (where is_active_by_model), 0) as churn_rate_by_model
    from labelled
    group by month, cohort_month, acquisition_channel
)

select * from final
