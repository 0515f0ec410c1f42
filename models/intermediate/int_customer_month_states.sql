-- One row per buyer and month from the month of their first purchase to the end of the purchase
-- data: the customer's purchase state on the day before the month starts and on its last day (the
-- month's last day, or the last day of data). A state is what the purchase models read (CLV time
-- unit, var clv_time_unit): repeat purchases x, the last purchase's time since the first t_x, and
-- the age T. mart_churn turns the states into churn by inactivity and, through clv_alive_by_state,
-- by model.
{% set unit_days = clv_unit_days() %}

{{ config(materialized='table') }}

with orders as (
    select * from {{ ref('fct_orders') }}
    where is_completed
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
        {{ month_start('min(purchase_date)') }} as first_month,
        {{ last_purchase_date() }} as data_end
    from purchase_days
),

months as (
    select
        cast(series.month_start as date) as month_start,
        least(cast(series.month_start + interval 1 month - interval 1 day as date), bounds.data_end)
            as month_end
    from bounds
    cross join {{ month_series('bounds.first_month', 'bounds.data_end', 'month_start') }}
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
        on months.month_start >= {{ month_start('buyers.first_purchase_date') }}
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
    {{ asof_left_join(
        'purchase_history', 'at_start', 'customer_id', 'purchase_date',
        'customer_months.customer_id', 'customer_months.day_before'
    ) }}
    {{ asof_left_join(
        'purchase_history', 'at_end', 'customer_id', 'purchase_date',
        'customer_months.customer_id', 'customer_months.month_end'
    ) }}
),

final as (
    select
        customer_id,
        month_start,
        month_end,
        first_purchase_date,
        first_purchase_date < month_start as has_bought_before,
        {{ dates_between('last_purchase_before', 'day_before') }}
        > {{ var('churn_inactivity_days') }} as is_inactive_at_start,
        {{ dates_between('last_purchase_at_end', 'month_end') }}
        > {{ var('churn_inactivity_days') }} as is_inactive_at_end,
        cast(repeats_before as double) as frequency_at_start,
        {{ dates_between('first_purchase_date', 'last_purchase_before') }} / {{ unit_days }}e0
            as recency_at_start,
        -- no state before the first purchase
        case
            when repeats_before is not null
                then {{ dates_between('first_purchase_date', 'day_before') }} / {{ unit_days }}e0
        end
            as age_at_start,
        cast(repeats_at_end as double) as frequency_at_end,
        {{ dates_between('first_purchase_date', 'last_purchase_at_end') }} / {{ unit_days }}e0
            as recency_at_end,
        {{ dates_between('first_purchase_date', 'month_end') }} / {{ unit_days }}e0 as age_at_end
    from states
)

select * from final
