with checked as (
    select * from {{ ref('base_events') }}
),

staged as (
    select
        event_id,
        customer_id,
        occurred_at,
        event_type,
        channel,
        touchpoint,
        session_id
    from checked
    where rejection_reason is null
)

select * from staged
