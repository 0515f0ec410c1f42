-- base_events checks each event on its own; whether its customer exists is checked here, at query
-- time, so that an event staged before its customer arrived joins the stream once it does.
with checked as (
    select * from {{ ref('base_events') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

staged as (
    select
        checked.event_id,
        checked.customer_id,
        checked.occurred_at,
        checked.event_type,
        checked.channel,
        checked.touchpoint,
        checked.session_id
    from checked
    inner join customers
        on customers.customer_id = checked.customer_id
    where checked.rejection_reason is null
)

select * from staged
