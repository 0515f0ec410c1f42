with source as (
    select * from {{ ref('raw_experiments') }}
),

cleaned as (
    {{ clean_raw_columns('source', 'experiments') }}
),

typed as (
    select
        cleaned.*,
        cleaned.raw_experiment_id as experiment_id,
        cleaned.raw_name as name,
        lower(cleaned.raw_primary_metric) as primary_metric,
        {{ to_integer('raw_metric_window_days') }} as metric_window_days,
        {{ to_utc_timestamp('raw_started_at') }} as started_at,
        {{ to_utc_timestamp('raw_ended_at') }} as ended_at
    from cleaned
),

checked as (
    select
        typed.*,
        typed.raw_experiment_id as _source_key,
        case
            when typed.experiment_id is null then 'missing_primary_key'
            when
                typed.primary_metric is null
                or typed.raw_metric_window_days is null
                or typed.raw_started_at is null
                then 'missing_value'
            when typed.started_at is null or {{ is_unparseable('raw_ended_at', 'ended_at') }}
                then 'invalid_timestamp'
            when typed.metric_window_days is null then 'invalid_number'
            -- a planned end date may lie in the future; a start may not
            when {{ is_future('started_at') }} then 'future_timestamp'
            when {{ is_too_early('started_at') }} or {{ is_too_early('ended_at') }}
                then 'too_early_timestamp'
            when typed.primary_metric not in ({{ sql_list(var('experiment_metrics')) }})
                then 'unknown_metric'
            when typed.metric_window_days <= 0 then 'invalid_value'
            when typed.ended_at < typed.started_at then 'ended_before_started'
        end as _check_reason
    from typed
),

{{ deduplicate(
    'checked',
    key=['experiment_id'],
    compare=['name', 'primary_metric', 'metric_window_days', 'started_at', 'ended_at']
) }}

select
    experiment_id,
    name,
    primary_metric,
    metric_window_days,
    started_at,
    ended_at,
    rejection_reason,
    _source_key as source_key,
    _source_file as source_file,
    record
from deduplicated
