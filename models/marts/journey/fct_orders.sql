with orders as (
    select * from {{ ref('stg_orders') }}
),

final as (
    select
        order_id,
        customer_id,
        ordered_at,
        cast(ordered_at as date) as order_date,
        revenue,
        cost_of_goods,
        status,
        status = 'completed' as is_completed,
        case
            when status = 'completed'
                then
                    -- bigint on every engine (Spark's row_number() is an int)
                    cast(row_number() over (
                        partition by customer_id, status = 'completed'
                        order by ordered_at, order_id
                    ) as bigint)
        end as completed_order_number
    from orders
)

select * from final
