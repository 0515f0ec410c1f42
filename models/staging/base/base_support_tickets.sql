with source as (
    select * from {{ ref('raw_support_tickets') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

cleaned as (
    {{ clean_raw_columns('source', 'support_tickets') }}
),

typed as (
    select
        cleaned.*,
        cleaned.raw_ticket_id as ticket_id,
        cleaned.raw_customer_id as customer_id,
        {{ to_utc_timestamp('raw_opened_at') }} as opened_at,
        {{ to_utc_timestamp('raw_resolved_at') }} as resolved_at,
        lower(cleaned.raw_category) as category,
        lower(cleaned.raw_channel) as channel
    from cleaned
),

checked as (
    select
        typed.*,
        typed.raw_ticket_id as _source_key,
        case
            when typed.ticket_id is null then 'missing_primary_key'
            when typed.customer_id is null then 'missing_customer_id'
            when typed.raw_opened_at is null then 'missing_value'
            when typed.opened_at is null
                or {{ is_unparseable('typed.raw_resolved_at', 'typed.resolved_at') }}
                then 'invalid_timestamp'
            when {{ is_future('typed.opened_at') }} or {{ is_future('typed.resolved_at') }}
                then 'future_timestamp'
            when {{ is_too_early('typed.opened_at') }} or {{ is_too_early('typed.resolved_at') }}
                then 'too_early_timestamp'
            when typed.resolved_at < typed.opened_at then 'resolved_before_opened'
            when customers.customer_id is null then 'unknown_customer'
        end as _check_reason
    from typed
    left join customers
        on customers.customer_id = typed.customer_id
),

{{ deduplicate(
    'checked',
    key=['ticket_id'],
    compare=['customer_id', 'opened_at', 'resolved_at', 'category', 'channel']
) }}

select
    ticket_id,
    customer_id,
    opened_at,
    resolved_at,
    category,
    channel,
    rejection_reason,
    _source_key as source_key,
    _source_file as source_file,
    record
from deduplicated
