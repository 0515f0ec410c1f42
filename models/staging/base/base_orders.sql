with source as (
    select * from {{ ref('raw_orders') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

cleaned as (
    {{ clean_raw_columns('source', 'orders') }}
),

typed as (
    select
        cleaned.*,
        cleaned.raw_order_id as order_id,
        cleaned.raw_customer_id as customer_id,
        {{ to_utc_timestamp('raw_ordered_at') }} as ordered_at,
        {{ to_amount('raw_revenue') }} as revenue,
        {{ to_amount('raw_cost_of_goods') }} as cost_of_goods,
        lower(cleaned.raw_status) as status
    from cleaned
),

checked as (
    select
        typed.*,
        typed.raw_order_id as _source_key,
        case
            when typed.order_id is null then 'missing_primary_key'
            when typed.customer_id is null then 'missing_customer_id'
            when typed.raw_ordered_at is null or typed.raw_revenue is null or typed.status is null
                then 'missing_value'
            when typed.ordered_at is null then 'invalid_timestamp'
            when typed.revenue is null
                or {{ is_unparseable('typed.raw_cost_of_goods', 'typed.cost_of_goods') }}
                then 'invalid_number'
            when {{ is_future('typed.ordered_at') }} then 'future_timestamp'
            when {{ is_too_early('typed.ordered_at') }} then 'too_early_timestamp'
            when typed.revenue < 0 or typed.cost_of_goods < 0 then 'negative_amount'
            when typed.status not in ({{ sql_list(var('order_statuses')) }}) then 'unknown_status'
            when customers.customer_id is null then 'unknown_customer'
        end as _check_reason
    from typed
    left join customers
        on customers.customer_id = typed.customer_id
),

{{ deduplicate(
    'checked',
    key=['order_id'],
    compare=['customer_id', 'ordered_at', 'revenue', 'cost_of_goods', 'status']
) }}

select
    order_id,
    customer_id,
    ordered_at,
    revenue,
    cost_of_goods,
    status,
    rejection_reason,
    _source_key as source_key,
    _source_file as source_file,
    record
from deduplicated
