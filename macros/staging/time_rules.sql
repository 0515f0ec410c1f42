{#
    The run's reference time and the timestamp rules of staging (future_timestamp, too_early_timestamp).
#}


{% macro as_of_timestamp() -%}
    {#- The run's reference time (UTC): var as_of, or the moment dbt started. -#}
    {%- if var('as_of') is not none -%}
        {{ to_utc_timestamp(sql_string(var('as_of'))) }}
    {%- else -%}
        cast({{ sql_string(run_started_at.strftime('%Y-%m-%d %H:%M:%S')) }} as timestamp)
    {%- endif -%}
{%- endmacro %}


{% macro is_future(timestamp) -%}
    {#- True when `timestamp` lies more than var future_tolerance_hours after the run's as_of
        time. -#}
    ({{ timestamp }} > {{ as_of_timestamp() }} + {{ interval_of(var('future_tolerance_hours'), 'hour') }})
{%- endmacro %}


{% macro is_too_early(timestamp) -%}
    {#- Before var earliest_valid_at: a clock that was never set (1970-01-01), not a real
        moment. -#}
    ({{ timestamp }} < {{ to_utc_timestamp(sql_string(var('earliest_valid_at'))) }})
{%- endmacro %}
