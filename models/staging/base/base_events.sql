-- depends_on: {{ source('raw', 'events') }}
with source as (
    {{ read_raw('events') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

cleaned as (
    {{ clean_raw_columns('events', 'source') }}
),

typed as (
    select
        cleaned.*,
        raw_event_id as event_id,
        raw_customer_id as customer_id,
        {{ to_utc_timestamp('raw_occurred_at') }} as occurred_at,
        lower(raw_event_type) as event_type,
        lower(raw_channel) as channel,
        lower(raw_touchpoint) as touchpoint,
        raw_session_id as session_id
    from cleaned
),

checked as (
    select
        typed.*,
        raw_event_id as _source_key,
        case
            when event_id is null then 'missing_primary_key'
            when typed.customer_id is null then 'missing_customer_id'
            when raw_occurred_at is null or event_type is null then 'missing_value'
            when occurred_at is null then 'invalid_timestamp'
            when {{ is_future('occurred_at') }} then 'future_timestamp'
            when customers.customer_id is null then 'unknown_customer'
        end as _check_reason
    from typed
    left join customers
        on typed.customer_id = customers.customer_id
),

{{ deduplicate(
    'checked',
    key=['event_id'],
    compare=['customer_id', 'occurred_at', 'event_type', 'channel', 'touchpoint', 'session_id']
) }}

select
    event_id,
    customer_id,
    occurred_at,
    event_type,
    channel,
    touchpoint,
    session_id,
    rejection_reason,
    _source_key as source_key,
    _source_file as source_file,
    record
from deduplicated
