-- One row per day: the time spine MetricFlow joins metrics to (windows, cumulative metrics).
with days as (
    select cast(day_start as date) as date_day
    from (
        {{ time_series(
            'cast(' ~ sql_string(var('time_spine_start')) ~ ' as date)',
            'cast(' ~ sql_string(var('time_spine_end')) ~ ' as date)',
            'day',
            'day_start'
        ) }}
    ) as series
)

select * from days
