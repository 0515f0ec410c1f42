-- The user-defined funnels (var funnels) step by step, overall (breakdown 'all', value 'all')
-- and by each breakdown a funnel lists. customers: reached the step; conversion_from_previous:
-- ÷ the customers at the previous required step (Wilson intervals at var funnel_z);
-- conversion_from_first: ÷ the customers who started. in_progress: reached the previous required
-- step, not this one, and can still reach it: the step's deadline (the window's end — window_days
-- after step 1, or var funnel_maturity_days without a window — or within_hours after the previous
-- step when sooner) lies after the end of the data (last_data_at()): right-censored, not dropped.
-- depends_on: {{ ref('stage_map') }}
{%- set funnels = funnel_definitions() %}
{%- set z = var('funnel_z') %}

with steps as (
    select * from {{ ref('fct_funnel_steps') }}
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

-- every step of every funnel, with the required step before it
catalog as (
    {%- for funnel in funnels %}
    {%- set funnel_loop = loop %}
    {%- for step in funnel.steps %}
    select
        {{ sql_string(funnel.name) }} as funnel_name,
        {{ step.number }} as step_number,
        {{ sql_string(step.name) }} as step_name,
        {{ 'true' if step.is_optional else 'false' }} as is_optional,
        {{ step.previous_required if step.previous_required is not none
            else 'cast(null as integer)' }}
            as previous_step_number,
        {{ (step.within_hours * 3600) | int if step.within_hours is not none
            else 'cast(null as integer)' }}
            as within_seconds
    {%- if not (funnel_loop.last and loop.last) %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as funnel_name,
        cast(null as integer) as step_number,
        cast(null as {{ dbt.type_string() }}) as step_name,
        cast(null as boolean) as is_optional,
        cast(null as integer) as previous_step_number,
        cast(null as integer) as within_seconds
    where false
    {%- endfor %}
),

attempts as (
    select
        steps.funnel_name,
        steps.customer_id,
        max(steps.window_ends_at) as window_ends_at,
        min(steps.reached_at) as started_at
    from steps
    where steps.step_number = 1
    group by steps.funnel_name, steps.customer_id
),

-- an attempt's window ends window_days after step 1 (without a window, var funnel_maturity_days)
attempt_windows as (
    select
        attempts.funnel_name,
        attempts.customer_id,
        coalesce(
            attempts.window_ends_at,
            {{ dbt.dateadd('day', var('funnel_maturity_days'), 'attempts.started_at') }}
        ) as window_ends_at
    from attempts
),

-- each attempt at each step: reached it, reached the step before; and still open: the step's
-- deadline (the window's end, or within_hours after the previous step when sooner) lies after the
-- end of the data
attempt_steps as (
    select
        attempts.funnel_name,
        attempts.customer_id,
        catalog.step_number,
        catalog.step_name,
        catalog.is_optional,
        reached.customer_id is not null as has_reached,
        catalog.previous_step_number is null
        or previous.customer_id is not null as has_reached_previous,
        case
            when catalog.within_seconds is not null
                and {{ dbt.dateadd('second', 'catalog.within_seconds', 'previous.reached_at') }}
                < attempt_windows.window_ends_at
                then {{ dbt.dateadd('second', 'catalog.within_seconds', 'previous.reached_at') }}
            else attempt_windows.window_ends_at
        end > data_end.last_data_at as is_open,
        reached.hours_from_previous
    from attempts
    cross join data_end
    inner join catalog
        on catalog.funnel_name = attempts.funnel_name
    inner join attempt_windows
        on
        attempt_windows.funnel_name = attempts.funnel_name
        and attempt_windows.customer_id = attempts.customer_id
    left join steps as reached
        on
        reached.funnel_name = attempts.funnel_name
        and reached.customer_id = attempts.customer_id
        and reached.step_number = catalog.step_number
    left join steps as previous
        on
        previous.funnel_name = attempts.funnel_name
        and previous.customer_id = attempts.customer_id
        and previous.step_number = catalog.previous_step_number
),

customers as (
    select
        dim_customers.customer_id,
        dim_customers.first_touch_channel as acquisition_channel,
        dim_customers.country,
        cast(dim_customers.cohort_month as {{ dbt.type_string() }}) as cohort_month,
        segments.segment_name
    from dim_customers
    left join segments
        on segments.customer_id = dim_customers.customer_id
),

-- each attempt step once per breakdown it is counted under
broken_down as (
    select
        attempt_steps.*,
        'all' as breakdown,
        'all' as breakdown_value
    from attempt_steps
    {%- for funnel in funnels %}
    {%- for breakdown in funnel.breakdowns %}
    union all
    select
        attempt_steps.*,
        {{ sql_string(breakdown) }} as breakdown,
        coalesce(cast(customers.{{ breakdown }} as {{ dbt.type_string() }}), {{ no_value() }})
            as breakdown_value
    from attempt_steps
    left join customers
        on customers.customer_id = attempt_steps.customer_id
    where attempt_steps.funnel_name = {{ sql_string(funnel.name) }}
    {%- endfor %}
    {%- endfor %}
),

counted as (
    select
        broken_down.funnel_name,
        broken_down.breakdown,
        broken_down.breakdown_value,
        broken_down.step_number,
        broken_down.step_name,
        broken_down.is_optional,
        count(*) as started_customers,
        count(case when broken_down.has_reached_previous then 1 end) as previous_step_customers,
        count(case when broken_down.has_reached then 1 end) as customers,
        count(
            case
                when broken_down.has_reached_previous
                    and not broken_down.has_reached
                    and broken_down.is_open
                    then 1
            end
        ) as in_progress,
        median(broken_down.hours_from_previous) as median_hours_from_previous,
        {{ percentile_cont('broken_down.hours_from_previous', 0.9) }} as p90_hours_from_previous
    from broken_down
    group by
        broken_down.funnel_name,
        broken_down.breakdown,
        broken_down.breakdown_value,
        broken_down.step_number,
        broken_down.step_name,
        broken_down.is_optional
),

final as (
    select
        counted.funnel_name,
        counted.breakdown,
        counted.breakdown_value,
        counted.step_number,
        counted.step_name,
        counted.is_optional,
        counted.customers,
        counted.previous_step_customers,
        cast(counted.customers as double) / nullif(counted.previous_step_customers, 0)
            as conversion_from_previous,
        {{ wilson_interval(
            'counted.customers', 'nullif(counted.previous_step_customers, 0)', 'low', z
        ) }}
            as conversion_from_previous_ci_low,
        {{ wilson_interval(
            'counted.customers', 'nullif(counted.previous_step_customers, 0)', 'high', z
        ) }}
            as conversion_from_previous_ci_high,
        cast(counted.customers as double)
        / nullif(counted.started_customers, 0) as conversion_from_first,
        {{ wilson_interval(
            'counted.customers', 'nullif(counted.started_customers, 0)', 'low', z
        ) }}
            as conversion_from_first_ci_low,
        {{ wilson_interval(
            'counted.customers', 'nullif(counted.started_customers, 0)', 'high', z
        ) }}
            as conversion_from_first_ci_high,
        counted.median_hours_from_previous,
        counted.p90_hours_from_previous,
        counted.in_progress
    from counted
)

select * from final
