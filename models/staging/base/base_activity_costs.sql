with source as (
    select * from {{ ref('raw_activity_costs') }}
),

cleaned as (
    {{ clean_raw_columns('source', 'activity_costs') }}
),

typed as (
    select
        cleaned.*,
        -- a date, or a month written YYYY-MM, truncated to the first of the month
        {{ month_start(
            "coalesce(" ~ to_date('raw_period_month') ~ ", " ~ to_date("raw_period_month || '-01'") ~ ")"
        ) }} as period_month,
        lower(cleaned.raw_activity) as activity,
        {{ to_amount('raw_cost') }} as cost,
        lower(cleaned.raw_driver) as driver
    from cleaned
),

checked as (
    select
        typed.*,
        concat_ws('|', typed.raw_period_month, typed.raw_activity) as _source_key,
        case
            when typed.raw_period_month is null or typed.activity is null then 'missing_primary_key'
            when typed.raw_cost is null or typed.driver is null then 'missing_value'
            when typed.period_month is null then 'invalid_timestamp'
            when typed.cost is null then 'invalid_number'
            when {{ is_future('cast(period_month as timestamp)') }} then 'future_timestamp'
            when {{ is_too_early('cast(period_month as timestamp)') }} then 'too_early_timestamp'
            when typed.cost < 0 then 'negative_amount'
            when typed.driver not in ({{ sql_list(var('cost_drivers')) }}) then 'unknown_driver'
        end as _check_reason
    from typed
),

{{ deduplicate('checked', key=['period_month', 'activity'], compare=['cost', 'driver']) }}

select
    period_month,
    activity,
    cost,
    driver,
    rejection_reason,
    _source_key as source_key,
    _source_file as source_file,
    record
from deduplicated
