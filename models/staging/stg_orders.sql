with checked as (
    select * from {{ ref('base_orders') }}
),

staged as (
    select
        order_id,
        customer_id,
        ordered_at,
        revenue,
        cost_of_goods,
        status
    from checked
    where rejection_reason is null
)

select * from staged
