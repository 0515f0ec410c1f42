with source as (
    select * from {{ ref('raw_customers') }}
),

cleaned as (
    {{ clean_raw_columns('source', 'customers') }}
),

typed as (
    select
        cleaned.*,
        cleaned.raw_customer_id as customer_id,
        {{ to_utc_timestamp('raw_created_at') }} as created_at,
        cleaned.raw_country as country,
        lower(cleaned.raw_acquisition_channel) as acquisition_channel
    from cleaned
),

checked as (
    select
        typed.*,
        typed.raw_customer_id as _source_key,
        case
            when typed.customer_id is null then 'missing_primary_key'
            when typed.raw_created_at is null then 'missing_value'
            when typed.created_at is null then 'invalid_timestamp'
            when {{ is_future('created_at') }} then 'future_timestamp'
            when {{ is_too_early('created_at') }} then 'too_early_timestamp'
        end as _check_reason
    from typed
),

{{ deduplicate(
    'checked',
    key=['customer_id'],
    compare=['created_at', 'country', 'acquisition_channel']
) }}

select
    customer_id,
    created_at,
    country,
    acquisition_channel,
    rejection_reason,
    _source_key as source_key,
    _source_file as source_file,
    record
from deduplicated
