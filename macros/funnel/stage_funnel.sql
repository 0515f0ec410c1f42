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
            {{ percentile_cont('hours_from_previous_stage', 0.5) }} as median_hours_from_previous,
            {{ percentile_cont('hours_from_previous_stage', 0.9) }} as p90_hours_from_previous
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
