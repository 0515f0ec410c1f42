-- Data drift the business should see, not a broken invariant (severity warn): a month whose staged
-- events fall below var volume_dip_ratio (0.5) of the mean of the previous three months — a
-- tracking outage or a missing file drop, usually.
{{ config(severity='warn') }}

with monthly as (
    select
        date_trunc('month', occurred_at) as event_month,
        count(*) as events
    from {{ ref('stg_events') }}
    group by date_trunc('month', occurred_at)
),

compared as (
    select
        event_month,
        events,
        avg(events)
            over (order by event_month rows between 3 preceding and 1 preceding)
            as trailing_mean,
        count(*)
            over (order by event_month rows between 3 preceding and 1 preceding)
            as trailing_months
    from monthly
)

select *
from compared
where trailing_months = 3
    and events < {{ var('volume_dip_ratio') }} * trailing_mean
