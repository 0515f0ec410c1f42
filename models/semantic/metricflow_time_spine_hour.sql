-- One row per hour: the semantic models' time dimensions are hour-grained, so conversion windows
-- compare hours, not days.
with hours as (
    select range as hour_start
    from
        range(
            cast({{ sql_string(var('time_spine_start')) }} as timestamp),
            cast({{ sql_string(var('time_spine_end')) }} as timestamp),
            interval 1 hour
        )
)

select * from hours
