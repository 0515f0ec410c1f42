with checked as (
    select * from {{ ref('base_experiments') }}
),

staged as (
    select
        experiment_id,
        name,
        primary_metric,
        metric_window_days,
        started_at,
        ended_at
    from checked
    where rejection_reason is null
)

select * from staged
