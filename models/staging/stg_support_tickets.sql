with checked as (
    select * from {{ ref('base_support_tickets') }}
),

staged as (
    select
        ticket_id,
        customer_id,
        opened_at,
        resolved_at,
        category,
        channel
    from checked
    where rejection_reason is null
)

select * from staged
