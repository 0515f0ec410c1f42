-- One row per experiment and assigned customer: the experiment's primary metric measured over
-- metric_window_days from the customer's assignment (the earliest assigned_at of their factors):
--   nps         the customer's latest NPS score in the window (null: no response, left out)
--   revenue     completed-order revenue in the window (0 without orders)
--   conversion  1 when the customer completed an order in the window, else 0
--   referrals   referrals sent in the window
-- A window that runs past the last day of data is incomplete; its outcome is null (left out of the
-- analysis) rather than biased low.
-- pre_outcome is the same metric over the pre-assignment period, the covariate of CUPED
-- (experiment_cuped): var cuped_pre_period_days (null: the experiment's metric_window_days)
-- ending at the assignment, which it excludes. A period that starts before the first day of data is
-- incomplete; its pre_outcome is null (the customer is left out of CUPED, and counted).
-- guardrail_outcome is var experiment_guardrail_metric in the same window as outcome
-- (experiment_decisions: the guardrail must not fall significantly).
-- A table: five experiment models and mart_nps_by_cut read it.
{{ config(materialized='table') }}
{%- set guardrail = var('experiment_guardrail_metric') %}
{%- if guardrail not in var('experiment_metrics') %}
    {{ exceptions.raise_compiler_error(
        "var experiment_guardrail_metric must be one of var experiment_metrics, got '" ~ guardrail ~ "'"
    ) }}
{%- endif %}
{%- set pre_period_days = var('cuped_pre_period_days') %}

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

-- the first and last moments of data (the earliest and latest staged order or event)
data_bounds as (
    select
        least(
            (select min(ordered_at) as first_order_at from {{ ref('stg_orders') }}),
            (select min(occurred_at) as first_event_at from {{ ref('int_events_sessionised') }})
        ) as data_start_at,
        {{ last_data_at() }} as data_end_at
),

windows as (
    select
        assignments.experiment_id,
        assignments.customer_id,
        experiments.primary_metric as metric,
        min(assignments.assigned_at) as assigned_at,
        min(assignments.assigned_at)
        + {{ interval_of('any_value(experiments.metric_window_days)', 'day') }} as window_end_at,
        min(assignments.assigned_at)
        - {{ interval_of(
            pre_period_days if pre_period_days is not none
            else 'any_value(experiments.metric_window_days)', 'day'
        ) }} as pre_period_start_at
    from assignments
    inner join experiments
        on experiments.experiment_id = assignments.experiment_id
    group by assignments.experiment_id, assignments.customer_id, experiments.primary_metric
),

-- what is measured of each customer, and when: the primary metric in the metric window
-- [assigned_at, window_end_at] (both ends included) and in the pre-assignment period
-- [pre_period_start_at, assigned_at) (the assignment excluded), and the guardrail metric in the
-- window
periods as (
    select
        experiment_id,
        customer_id,
        'window' as period,
        metric,
        assigned_at as start_at,
        window_end_at as end_at,
        true as includes_end
    from windows
    union all
    select
        experiment_id,
        customer_id,
        'pre_period' as period,
        metric,
        pre_period_start_at as start_at,
        assigned_at as end_at,
        false as includes_end
    from windows
    union all
    select
        experiment_id,
        customer_id,
        'guardrail' as period,
        {{ sql_string(guardrail) }} as metric,
        assigned_at as start_at,
        window_end_at as end_at,
        true as includes_end
    from windows
),

period_orders as (
    select
        periods.experiment_id,
        periods.customer_id,
        periods.period,
        sum(orders.revenue) as revenue,
        count(*) as completed_orders
    from periods
    inner join orders
        on orders.customer_id = periods.customer_id
        and orders.ordered_at >= periods.start_at
        and (
            orders.ordered_at < periods.end_at
            or (periods.includes_end and orders.ordered_at = periods.end_at)
        )
    group by periods.experiment_id, periods.customer_id, periods.period
),

period_nps as (
    select
        periods.experiment_id,
        periods.customer_id,
        periods.period,
        {{ arg_max('responses.nps_score', 'responses.responded_at') }} as latest_nps
    from periods
    inner join responses
        on responses.customer_id = periods.customer_id
        and responses.responded_at >= periods.start_at
        and (
            responses.responded_at < periods.end_at
            or (periods.includes_end and responses.responded_at = periods.end_at)
        )
    group by periods.experiment_id, periods.customer_id, periods.period
),

period_referrals as (
    select
        periods.experiment_id,
        periods.customer_id,
        periods.period,
        count(*) as referrals_sent
    from periods
    inner join referrals
        on referrals.referrer_customer_id = periods.customer_id
        and referrals.sent_at >= periods.start_at
        and (
            referrals.sent_at < periods.end_at
            or (periods.includes_end and referrals.sent_at = periods.end_at)
        )
    group by periods.experiment_id, periods.customer_id, periods.period
),

-- each period's value of its metric: the one definition of the four metrics
period_values as (
    select
        periods.experiment_id,
        periods.customer_id,
        periods.period,
        case periods.metric
            when 'revenue' then coalesce(period_orders.revenue, 0)
            when 'conversion' then case when period_orders.completed_orders > 0 then 1 else 0 end
            when 'referrals' then coalesce(period_referrals.referrals_sent, 0)
            when 'nps' then period_nps.latest_nps
        end as metric_value
    from periods
    left join period_orders
        on period_orders.experiment_id = periods.experiment_id
        and period_orders.customer_id = periods.customer_id
        and period_orders.period = periods.period
    left join period_nps
        on period_nps.experiment_id = periods.experiment_id
        and period_nps.customer_id = periods.customer_id
        and period_nps.period = periods.period
    left join period_referrals
        on period_referrals.experiment_id = periods.experiment_id
        and period_referrals.customer_id = periods.customer_id
        and period_referrals.period = periods.period
),

final as (
    select
        windows.experiment_id,
        windows.customer_id,
        windows.metric,
        windows.assigned_at,
        windows.window_end_at,
        windows.window_end_at <= data_bounds.data_end_at as is_window_complete,
        case
            when windows.window_end_at <= data_bounds.data_end_at then in_window.metric_value
        end as outcome,
        windows.pre_period_start_at,
        windows.pre_period_start_at >= data_bounds.data_start_at as is_pre_period_complete,
        case
            when windows.pre_period_start_at >= data_bounds.data_start_at
                then pre_period.metric_value
        end as pre_outcome,
        {{ sql_string(guardrail) }} as guardrail_metric,
        case
            when windows.window_end_at <= data_bounds.data_end_at then in_guardrail.metric_value
        end as guardrail_outcome
    from windows
    cross join data_bounds
    inner join period_values as in_window
        on in_window.experiment_id = windows.experiment_id
        and in_window.customer_id = windows.customer_id
        and in_window.period = 'window'
    inner join period_values as pre_period
        on pre_period.experiment_id = windows.experiment_id
        and pre_period.customer_id = windows.customer_id
        and pre_period.period = 'pre_period'
    inner join period_values as in_guardrail
        on in_guardrail.experiment_id = windows.experiment_id
        and in_guardrail.customer_id = windows.customer_id
        and in_guardrail.period = 'guardrail'
)

select * from final
