with source as (
    select * from {{ ref('raw_survey_responses') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

cleaned as (
    {{ clean_raw_columns('source', 'survey_responses') }}
),

typed as (
    select
        cleaned.*,
        cleaned.raw_response_id as response_id,
        cleaned.raw_customer_id as customer_id,
        {{ to_utc_timestamp('raw_responded_at') }} as responded_at,
        {{ to_integer('raw_nps_score') }} as nps_score,
        {{ to_integer('raw_csat_score') }} as csat_score,
        lower(cleaned.raw_touchpoint) as touchpoint
    from cleaned
),

checked as (
    select
        typed.*,
        typed.raw_response_id as _source_key,
        case
            when typed.response_id is null then 'missing_primary_key'
            when typed.customer_id is null then 'missing_customer_id'
            -- a response must carry at least one score to be a response
            when typed.raw_responded_at is null
                or (typed.raw_nps_score is null and typed.raw_csat_score is null)
                then 'missing_value'
            when typed.responded_at is null then 'invalid_timestamp'
            when {{ is_unparseable('typed.raw_nps_score', 'typed.nps_score') }}
                or {{ is_unparseable('typed.raw_csat_score', 'typed.csat_score') }}
                then 'invalid_number'
            when {{ is_future('typed.responded_at') }} then 'future_timestamp'
            when {{ is_too_early('typed.responded_at') }} then 'too_early_timestamp'
            when typed.nps_score
                not between {{ var('nps_score_range')[0] }} and {{ var('nps_score_range')[1] }}
                then 'nps_out_of_range'
            when typed.csat_score
                not between {{ var('csat_score_range')[0] }} and {{ var('csat_score_range')[1] }}
                then 'csat_out_of_range'
            when customers.customer_id is null then 'unknown_customer'
        end as _check_reason
    from typed
    left join customers
        on customers.customer_id = typed.customer_id
),

{{ deduplicate(
    'checked',
    key=['response_id'],
    compare=['customer_id', 'responded_at', 'nps_score', 'csat_score', 'touchpoint']
) }}

select
    response_id,
    customer_id,
    responded_at,
    nps_score,
    csat_score,
    touchpoint,
    rejection_reason,
    _source_key as source_key,
    _source_file as source_file,
    record
from deduplicated
