-- One row per day: the time spine MetricFlow joins metrics to (windows, cumulative metrics).
with days as (
    select cast(range as date) as date_day
    from
        range(
            cast({{ sql_string(var('time_spine_start')) }} as date),
            cast({{ sql_string(var('time_spine_end')) }} as date),
            interval 1 day
        )
)

select * from days
