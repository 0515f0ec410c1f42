-- One row per hour: the semantic models' time dimensions are hour-grained, so conversion windows
-- compare hours, not days.
with hours as (
    select hour_start
    from (
        {{ time_series(
            'cast(' ~ sql_string(var('time_spine_start')) ~ ' as timestamp)',
            'cast(' ~ sql_string(var('time_spine_end')) ~ ' as timestamp)',
            'hour',
            'hour_start'
        ) }}
    ) as series
)

select * from hours
