-- Churn by month, cohort and acquisition channel under two definitions side by side:
--   inactivity: a buyer is churned on a day when their last completed order is more than
--               var churn_inactivity_days (90) before it;
--   model:      a buyer is churned on a day when their BG/NBD probability of being alive, from their
--               purchases up to that day and the parameters in clv_model_params, is below
--               var churn_p_alive_threshold (0.5).
-- A buyer is active in a month when they bought before it started and were not churned at its
-- start (the day before); newly churned when active and churned at its end (the month's last day,
-- or the last day of data). churn_rate = newly churned / active.
{% set unit_days = 7 if var('clv_time_unit') == 'week' else 1 %}

with orders as (
    select * from {{ ref('fct_orders') }}
    where is_completed
),

customers as (
    select * from {{ ref('dim_customers') }}
),

params as (
    select
        max(value) filter (where parameter = 'r') as r,
        max(value) filter (where parameter = 'alpha') as alpha,
        max(value) filter (where parameter = 'a') as a,
        max(value) filter (where parameter = 'b') as b
    from {{ ref('clv_model_params') }}
    where model = 'bg_nbd'
),

purchase_days as (
    select distinct
        customer_id,
        cast(ordered_at as date) as purchase_date
    from orders
),

purchase_history as (
    select
        customer_id,
        purchase_date,
        min(purchase_date) over (partition by customer_id) as first_purchase_date,
        row_number() over (partition by customer_id order by purchase_date) - 1 as repeat_purchases
    from purchase_days
),

bounds as (
    select
        cast(date_trunc('month', min(purchase_date)) as date) as first_month,
        {{ last_purchase_date() }} as data_end
    from purchase_days
),

months as (
    select
        cast(month_start as date) as month_start,
        least(cast(month_start + interval 1 month - interval 1 day as date), bounds.data_end) as month_end
    from bounds
    cross join unnest(generate_series(
        cast(bounds.first_month as timestamp),
        cast(bounds.data_end as timestamp),
        interval 1 month
    )) as series(month_start)
),

buyers as (
    select
        customer_id,
        min(purchase_date) as first_purchase_date
    from purchase_days
    group by customer_id
),

customer_months as (
    select
        buyers.customer_id,
        buyers.first_purchase_date,
        months.month_start,
        months.month_end,
        cast(months.month_start - interval 1 day as date) as day_before
    from buyers
    inner join months
        on months.month_start >= cast(date_trunc('month', buyers.first_purchase_date) as date)
),

-- purchase state on the day before the month and on its last day (as-of joins)
states as (
    select
        customer_months.*,
        at_start.purchase_date as last_purchase_before,
        at_start.repeat_purchases as repeats_before,
        at_end.purchase_date as last_purchase_at_end,
        at_end.repeat_purchases as repeats_at_end
    from customer_months
    asof left join purchase_history as at_start
        on at_start.customer_id = customer_months.customer_id
        and at_start.purchase_date <= customer_months.day_before
    asof left join purchase_history as at_end
        on at_end.customer_id = customer_months.customer_id
        and at_end.purchase_date <= customer_months.month_end
),

flags as (
    select
        states.customer_id,
        states.month_start,
        states.first_purchase_date < states.month_start as bought_before,
        states.day_before - states.last_purchase_before > {{ var('churn_inactivity_days') }} as inactive_at_start,
        states.month_end - states.last_purchase_at_end > {{ var('churn_inactivity_days') }} as inactive_at_end,
        {{ bg_nbd_probability_alive(
            'states.repeats_before',
            '(states.last_purchase_before - states.first_purchase_date) / ' ~ unit_days ~ '.0',
            '(states.day_before - states.first_purchase_date) / ' ~ unit_days ~ '.0',
            'params.r', 'params.alpha', 'params.a', 'params.b'
        ) }} < {{ var('churn_p_alive_threshold') }} as model_churned_at_start,
        {{ bg_nbd_probability_alive(
            'states.repeats_at_end',
            '(states.last_purchase_at_end - states.first_purchase_date) / ' ~ unit_days ~ '.0',
            '(states.month_end - states.first_purchase_date) / ' ~ unit_days ~ '.0',
            'params.r', 'params.alpha', 'params.a', 'params.b'
        ) }} < {{ var('churn_p_alive_threshold') }} as model_churned_at_end,
        params.r is not null as has_model
    from states
    cross join params
),

labelled as (
    select
        flags.month_start as month,
        customers.cohort_month,
        customers.first_touch_channel as acquisition_channel,
        flags.bought_before and not flags.inactive_at_start as is_active,
        flags.bought_before and not flags.inactive_at_start and flags.inactive_at_end as is_newly_churned,
        flags.bought_before and not flags.model_churned_at_start as is_active_by_model,
        flags.bought_before and not flags.model_churned_at_start and flags.model_churned_at_end
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
        count(*) filter (where is_newly_churned) / nullif(count(*) filter (where is_active), 0) as churn_rate,
        -- null, not 0, when no BG/NBD model could be fitted
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
