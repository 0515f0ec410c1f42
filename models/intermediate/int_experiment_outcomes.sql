-- One row per experiment and assigned customer: the experiment's primary metric measured over
-- metric_window_days from the customer's assignment (the earliest assigned_at of their factors):
--   nps         the customer's latest NPS score in the window (null: no response, left out)
--   revenue     completed-order revenue in the window (0 without orders)
--   conversion  1 when the customer completed an order in the window, else 0
--   referrals   referrals sent in the window
-- A window that runs past the last day of data is incomplete; its outcome is null (left out of the
-- analysis) rather than biased low.
-- A table: four experiment models and mart_nps_by_cut read it.
{{ config(materialized='table') }}

with experiments as (
    select * from {{ ref('stg_experiments') }}
),

assignments as (
    select * from {{ ref('stg_experiment_assignments') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_completed
),

responses as (
    select * from {{ ref('stg_survey_responses') }}
    where nps_score is not null
),

referrals as (
    select * from {{ ref('stg_referrals') }}
),

data_end as (
    select
        {{ last_data_at() }} as data_end_at
),

windows as (
    select
        assignments.experiment_id,
        assignments.customer_id,
        experiments.primary_metric as metric,
        min(assignments.assigned_at) as assigned_at,
        min(assignments.assigned_at)
        + {{ interval_of('any_value(experiments.metric_window_days)', 'day') }} as window_end_at
    from assignments
    inner join experiments
        on experiments.experiment_id = assignments.experiment_id
    group by assignments.experiment_id, assignments.customer_id, experiments.primary_metric
),

window_orders as (
    select
        windows.experiment_id,
        windows.customer_id,
        sum(orders.revenue) as revenue,
        count(*) as completed_orders
    from windows
    inner join orders
        on orders.customer_id = windows.customer_id
        and orders.ordered_at >= windows.assigned_at
        and orders.ordered_at <= windows.window_end_at
    group by windows.experiment_id, windows.customer_id
),

window_nps as (
    select
        windows.experiment_id,
        windows.customer_id,
        {{ arg_max('responses.nps_score', 'responses.responded_at') }} as latest_nps
    from windows
    inner join responses
        on responses.customer_id = windows.customer_id
        and responses.responded_at >= windows.assigned_at
        and responses.responded_at <= windows.window_end_at
    group by windows.experiment_id, windows.customer_id
),

window_referrals as (
    select
        windows.experiment_id,
        windows.customer_id,
        count(*) as referrals_sent
    from windows
    inner join referrals
        on referrals.referrer_customer_id = windows.customer_id
        and referrals.sent_at >= windows.assigned_at
        and referrals.sent_at <= windows.window_end_at
    group by windows.experiment_id, windows.customer_id
),

final as (
    select
        windows.experiment_id,
        windows.customer_id,
        windows.metric,
        windows.assigned_at,
        windows.window_end_at,
        windows.window_end_at <= data_end.data_end_at as is_window_complete,
        case
            when windows.window_end_at > data_end.data_end_at then null
            when windows.metric = 'revenue' then coalesce(window_orders.revenue, 0)
            when windows.metric = 'conversion'
                then case when window_orders.completed_orders > 0 then 1 else 0 end
            when windows.metric = 'referrals' then coalesce(window_referrals.referrals_sent, 0)
            when windows.metric = 'nps' then window_nps.latest_nps
        end as outcome
    from windows
    cross join data_end
    left join window_orders
        on window_orders.experiment_id = windows.experiment_id
        and window_orders.customer_id = windows.customer_id
    left join window_nps
        on window_nps.experiment_id = windows.experiment_id
        and window_nps.customer_id = windows.customer_id
    left join window_referrals
        on window_referrals.experiment_id = windows.experiment_id
        and window_referrals.customer_id = windows.customer_id
)

select * from final
