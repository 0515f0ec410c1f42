with source as (
    select * from {{ ref('raw_experiment_assignments') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

experiments as (
    select experiment_id from {{ ref('stg_experiments') }}
),

cleaned as (
    {{ clean_raw_columns('source', 'experiment_assignments') }}
),

typed as (
    select
        cleaned.*,
        cleaned.raw_experiment_id as experiment_id,
        cleaned.raw_customer_id as customer_id,
        {{ to_utc_timestamp('raw_assigned_at') }} as assigned_at,
        cleaned.raw_factor as factor,
        cleaned.raw_level as level
    from cleaned
),

checked as (
    select
        typed.*,
        concat_ws(
            '|', typed.raw_experiment_id, typed.raw_customer_id, typed.raw_factor
        ) as _source_key,
        case
            when typed.experiment_id is null or typed.factor is null then 'missing_primary_key'
            when typed.customer_id is null then 'missing_customer_id'
            when typed.raw_assigned_at is null or typed.level is null then 'missing_value'
            when typed.assigned_at is null then 'invalid_timestamp'
            when {{ is_future('typed.assigned_at') }} then 'future_timestamp'
            when {{ is_too_early('typed.assigned_at') }} then 'too_early_timestamp'
            when experiments.experiment_id is null then 'unknown_experiment'
            when customers.customer_id is null then 'unknown_customer'
        end as _check_reason
    from typed
    left join experiments
        on experiments.experiment_id = typed.experiment_id
    left join customers
        on customers.customer_id = typed.customer_id
),

{{ deduplicate(
    'checked',
    key=['experiment_id', 'customer_id', 'factor'],
    compare=['assigned_at', 'level']
) }}

select
    experiment_id,
    customer_id,
    assigned_at,
    factor,
    level,
    rejection_reason,
    _source_key as source_key,
    _source_file as source_file,
    record
from deduplicated
