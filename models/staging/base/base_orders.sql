with source as (
    select * from {{ ref('raw_orders') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

cleaned as (
    {{ clean_raw_columns('source') }}
),

typed as (
    select
        cleaned.*,
        raw_order_id as order_id,
        raw_customer_id as customer_id,
        {{ to_utc_timestamp('raw_ordered_at') }} as ordered_at,
        {{ to_amount('raw_revenue') }} as revenue,
        {{ to_amount('raw_cost_of_goods') }} as cost_of_goods,
        lower(raw_status) as status
    from cleaned
),

checked as (
    select
        typed.*,
        raw_order_id as _source_key,
        case
            when order_id is null then 'missing_primary_key'
            when typed.customer_id is null then 'missing_customer_id'
            when raw_ordered_at is null or raw_revenue is null or status is null then 'missing_value'
            when ordered_at is null then 'invalid_timestamp'
            when revenue is null or {{ is_unparseable('raw_cost_of_goods', 'cost_of_goods') }} then 'invalid_number'
            when {{ is_future('ordered_at') }} then 'future_timestamp'
            when {{ is_too_early('ordered_at') }} then 'too_early_timestamp'
            when revenue < 0 or cost_of_goods < 0 then 'negative_amount'
            when status not in ({{ sql_list(var('order_statuses')) }}) then 'unknown_status'
            when customers.customer_id is null then 'unknown_customer'
        end as _check_reason
    from typed
    left join customers
        on typed.customer_id = customers.customer_id
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
