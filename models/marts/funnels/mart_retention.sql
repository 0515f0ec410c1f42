-- Retention of the buyers by cohort of first purchase, curve-ready: one row per breakdown,
-- breakdown value, cohort and period 0..var retention_max_periods (docs and rules:
-- models/marts/funnels/_retention.yml). The cohort is the var retention_grain period (day, ISO
-- week from Monday, month) of a customer's first completed order; period n is [cohort_start + n
-- grains, cohort_start + n + 1 grains). Active in period n: an activity of var retention_activity
-- (completed orders and/or event types of seed stage_map) inside it; unbounded: in period n or any
-- later one, up to the end of the data. is_complete: the period ends at or before last_data_at().
-- depends_on: {{ ref('stage_map') }}
{%- set grain = var('retention_grain') %}
{%- set activity = var('retention_activity') %}
{%- set max_periods = var('retention_max_periods') %}
{%- set z = var('funnel_z') %}
{%- set breakdowns = ['acquisition_channel', 'segment_name'] %}
{%- if grain not in ['day', 'week', 'month'] %}
    {{ exceptions.raise_compiler_error(
        "var retention_grain must be day, week or month, got '" ~ grain ~ "'"
    ) }}
{%- endif %}
{%- if activity is none or activity is string or activity is mapping or activity is not iterable %}
    {{ exceptions.raise_compiler_error(
        "var retention_activity must be a list of event types of seed stage_map and/or orders, got '"
        ~ activity ~ "'"
    ) }}
{%- endif %}
{%- if activity | length == 0 %}
    {{ exceptions.raise_compiler_error(
        "var retention_activity is empty: list event types of seed stage_map and/or orders"
    ) }}
{%- endif %}
{%- set event_types = activity | reject('equalto', 'orders') | list %}
{#- the catalog check runs when dbt executes the model (a unit test's refs are fixtures) #}
{%- if execute and model is defined and model.resource_type != 'unit_test' %}
    {%- set known_types = run_query(
        'select distinct event_type from ' ~ ref('stage_map')
    ).columns[0].values() | list %}
    {%- for event_type in event_types if event_type not in known_types %}
        {{ exceptions.raise_compiler_error(
            "var retention_activity: unknown event type '" ~ event_type
            ~ "' (not orders, not in seeds/stage_map.csv)"
        ) }}
    {%- endfor %}
{%- endif %}
{%- if max_periods is not integer or max_periods < 0 %}
    {{ exceptions.raise_compiler_error(
        "var retention_max_periods must be a whole number from 0, got '" ~ max_periods ~ "'"
    ) }}
{%- endif %}
{#- the activities' filters: completed orders when the list holds orders, events of its types #}
{%- set orders_counted = 'true' if 'orders' in activity else 'false' %}
{%- set events_counted = 'events.event_type in (' ~ sql_list(event_types) ~ ')'
    if event_types else 'false' %}

with orders as (
    select * from {{ ref('stg_orders') }}
),

events as (
    select * from {{ ref('int_events_sessionised') }}
),

dim_customers as (
    select * from {{ ref('dim_customers') }}
),

segments as (
    select * from {{ ref('customer_segments') }}
),

data_end as (
    select {{ last_data_at() }} as last_data_at
),

completed_orders as (
    select
        orders.customer_id,
        orders.ordered_at
    from orders
    where orders.status = 'completed'
),

-- each buyer's cohort: the grain period of their first completed order
cohort_members as (
    select
        completed_orders.customer_id,
        cast({{ dbt.date_trunc(grain, 'min(completed_orders.ordered_at)') }} as date)
            as cohort_start
    from completed_orders
    group by completed_orders.customer_id
),

-- what makes a customer active (var retention_activity): completed orders when it lists orders,
-- events of the event types it lists
activities as (
    select
        completed_orders.customer_id,
        completed_orders.ordered_at as active_at
    from completed_orders
    where {{ orders_counted }}
    union all
    select
        events.customer_id,
        events.occurred_at as active_at
    from events
    where {{ events_counted }}
),

-- the grain periods each customer was active in
active_periods as (
    select distinct
        activities.customer_id,
        cast({{ dbt.date_trunc(grain, 'activities.active_at') }} as date) as period_start
    from activities
),

-- active in period n or any later one (unbounded) ⇔ the last active period starts at or after n's
last_active_periods as (
    select
        active_periods.customer_id,
        max(active_periods.period_start) as last_period_start
    from active_periods
    group by active_periods.customer_id
),

period_numbers as (
    {{ integer_series(0, max_periods, 'period_number') }}
),

-- every cohort member in every period 0..N, started or not
customer_periods as (
    select
        cohort_members.customer_id,
        cohort_members.cohort_start,
        cast(period_numbers.period_number as integer) as period_number,
        cast(
            {{ dbt.dateadd(grain, 'period_numbers.period_number', 'cohort_members.cohort_start') }}
            as date
        ) as period_start,
        cast(
            {{ dbt.dateadd(
                grain, 'period_numbers.period_number + 1', 'cohort_members.cohort_start'
            ) }}
            as date
        ) as period_end
    from cohort_members
    cross join period_numbers
),

-- a cohort start plus whole grains is again a grain's first day, so an activity inside period n
-- has exactly n's period_start
customer_activity as (
    select
        customer_periods.customer_id,
        customer_periods.cohort_start,
        customer_periods.period_number,
        customer_periods.period_start,
        customer_periods.period_end,
        active_periods.customer_id is not null as is_active,
        coalesce(
            last_active_periods.last_period_start >= customer_periods.period_start, false
        ) as is_active_then_or_later
    from customer_periods
    left join active_periods
        on
        active_periods.customer_id = customer_periods.customer_id
        and active_periods.period_start = customer_periods.period_start
    left join last_active_periods
        on last_active_periods.customer_id = customer_periods.customer_id
),

customers as (
    select
        cohort_members.customer_id,
        dim_customers.first_touch_channel as acquisition_channel,
        segments.segment_name
    from cohort_members
    left join dim_customers
        on dim_customers.customer_id = cohort_members.customer_id
    left join segments
        on segments.customer_id = cohort_members.customer_id
),

-- each customer period once per breakdown it is counted under
broken_down as (
    select
        customer_activity.*,
        'all' as breakdown,
        'all' as breakdown_value
    from customer_activity
    {%- for breakdown in breakdowns %}
    union all
    select
        customer_activity.*,
        {{ sql_string(breakdown) }} as breakdown,
        coalesce(cast(customers.{{ breakdown }} as {{ dbt.type_string() }}), {{ no_value() }})
            as breakdown_value
    from customer_activity
    inner join customers
        on customers.customer_id = customer_activity.customer_id
    {%- endfor %}
),

counted as (
    select
        broken_down.breakdown,
        broken_down.breakdown_value,
        broken_down.cohort_start,
        broken_down.period_number,
        broken_down.period_start,
        broken_down.period_end,
        count(*) as cohort_customers,
        count(case when broken_down.is_active then 1 end) as active_customers,
        count(case when broken_down.is_active_then_or_later then 1 end)
            as unbounded_active_customers
    from broken_down
    group by
        broken_down.breakdown,
        broken_down.breakdown_value,
        broken_down.cohort_start,
        broken_down.period_number,
        broken_down.period_start,
        broken_down.period_end
),

final as (
    select
        {{ sql_string(grain) }} as grain,
        counted.breakdown,
        counted.breakdown_value,
        counted.cohort_start,
        counted.period_number,
        counted.period_start,
        counted.period_end,
        counted.cohort_customers,
        counted.active_customers,
        cast(counted.active_customers as double) / counted.cohort_customers as retention_rate,
        {{ wilson_interval(
            'cast(counted.active_customers as double)', 'counted.cohort_customers', 'low', z
        ) }}
            as retention_rate_ci_low,
        {{ wilson_interval(
            'cast(counted.active_customers as double)', 'counted.cohort_customers', 'high', z
        ) }}
            as retention_rate_ci_high,
        counted.unbounded_active_customers,
        cast(counted.unbounded_active_customers as double) / counted.cohort_customers
            as unbounded_retention_rate,
        cast(counted.period_end as timestamp) <= data_end.last_data_at as is_complete
    from counted
    cross join data_end
)

select * from final
