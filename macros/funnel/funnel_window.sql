{#
    The funnel's window and cohort maturity.
#}


{% macro within_funnel_window(awareness_at, reached_at) -%}
    {#- True when reached_at lies within var funnel_window_days of awareness (always true when the
        var is null). -#}
    {%- set window_days = var('funnel_window_days') -%}
    {%- if window_days is none -%}
        true
    {%- else -%}
        ({{ reached_at }} <= {{ awareness_at }} + {{ interval_of(window_days, 'day') }})
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
    ({{ cohort_month }} + interval 1 month + {{ interval_of(days, 'day') }} <= {{ last_data_at() }})
{%- endmacro %}
