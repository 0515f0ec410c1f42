{% macro within_funnel_window(awareness_at, reached_at) -%}
    {#- True when reached_at lies within var funnel_window_days of awareness (always true when the
        var is null). -#}
    {%- set window_days = var('funnel_window_days') -%}
    {%- if window_days is none -%}
        true
    {%- else -%}
        ({{ reached_at }} <= {{ awareness_at }} + to_days(cast({{ window_days }} as integer)))
    {%- endif -%}
{%- endmacro %}


{% macro cohort_is_complete(cohort_month) -%}
    {#- True when the cohort of customers aware in the month starting `cohort_month` is complete:
        the funnel window of its last customer — var funnel_window_days after the end of the month, or
        var funnel_maturity_days when there is no window (funnel_window_days null) — closed at or
        before the end of the data (last_data_at()). A cohort still open can still move on: read it
        as young, not as worse. -#}
    {%- set window_days = var('funnel_window_days') -%}
    {%- set days = var('funnel_maturity_days') if window_days is none else window_days -%}
    ({{ cohort_month }} + interval 1 month + to_days(cast({{ days }} as integer)) <= {{ last_data_at() }})
{%- endmacro %}


{% macro hours_between(start_at, end_at) -%}
    (epoch({{ end_at }}) - epoch({{ start_at }})) / 3600.0
{%- endmacro %}


{% macro stage_funnel(customer_stages, grain) %}
    {#-
        Funnel metrics of `customer_stages` (rows like fct_customer_stages) per `grain` columns and
        stage. Every stage gets a row for every grain value, with 0 customers when none reached it,
        and is_complete of its cohort (cohort_is_complete; `grain` must hold cohort_month).
        Emits CTEs ending in `funnel`; the caller selects from it.
    -#}
    {%- set grain_list = grain | join(', ') -%}
    stage_list as (
        select distinct
            stage,
            stage_order
        from {{ ref('stage_map') }}
    ),

    grain_values as (
        select distinct
            {{ grain_list }}
        from {{ customer_stages }}
    ),

    reached as (
        select
            {{ grain_list }},
            stage,
            count(distinct customer_id) as customers,
            quantile_cont(hours_from_previous_stage, 0.5) as median_hours_from_previous,
            quantile_cont(hours_from_previous_stage, 0.9) as p90_hours_from_previous
        from {{ customer_stages }}
        group by {{ grain_list }}, stage
    ),

    grid as (
        select
            {% for column in grain %}grain_values.{{ column }},
            {% endfor -%}
            stage_list.stage,
            stage_list.stage_order,
            coalesce(reached.customers, 0) as customers,
            reached.median_hours_from_previous,
            reached.p90_hours_from_previous
        from grain_values
        cross join stage_list
        left join reached
            on reached.stage = stage_list.stage
            {% for column in grain %}and reached.{{ column }} is not distinct from grain_values.{{ column }}
            {% endfor %}
    ),

    funnel as (
        select
            {{ grain_list }},
            stage,
            stage_order,
            customers,
            case
                when stage_order = 1 then 1.0
                else customers / nullif(lag(customers) over (partition by {{ grain_list }} order by stage_order), 0)
            end as conversion_from_previous,
            customers / nullif(first_value(customers) over (partition by {{ grain_list }} order by stage_order), 0)
                as conversion_from_entry,
            median_hours_from_previous,
            p90_hours_from_previous,
            {{ cohort_is_complete('cohort_month') }} as is_complete
        from grid
    )
{% endmacro %}


{% macro value_chain_activity_names() %}
    {#- Activities of the seed value_chain_activities, in seed order (empty at parse time). -#}
    {% if not execute %}
        {{ return([]) }}
    {% endif %}
    {% set rows = run_query(
        "select activity from " ~ ref('value_chain_activities') ~ " order by activity_type, activity"
    ) %}
    {{ return(rows.columns[0].values() | list) }}
{% endmacro %}


{% macro last_purchase_date() -%}
    {#- The last day with a completed order (UTC): where the purchase-based measures end — the CLV
        calibration (by default) and holdout, and inactivity churn. One definition for all of them;
        activity-based measures (customer features, experiment windows) use last_data_at(). -#}
    (
        select max(cast(ordered_at as date))
        from {{ ref('stg_orders') }}
        where status = 'completed'
    )
{%- endmacro %}


{% macro last_data_at() -%}
    {#- The last moment of data: the latest staged order or event (UTC). One definition for the
        models that measure "as of the end of the data". -#}
    greatest(
        (select max(ordered_at) from {{ ref('stg_orders') }}),
        (select max(occurred_at) from {{ ref('int_events_sessionised') }})
    )
{%- endmacro %}
