-- Incremental by file: a run reads only the raw files it has not processed yet (raw files are
-- immutable drops; a rewritten file needs --full-refresh) and appends their rows. So that the result
-- equals a full refresh, every rule here depends only on the row and on rows of earlier files:
-- de-duplication keeps the first file's row (by path, so daily drops must be named in date order),
-- and the cross-table check (unknown_customer) is left to stg_events and rejected_rows.
{{ config(materialized='incremental', on_schema_change='fail') }}

{% set processed = [] %}
{#- the files already loaded, as a constant list (a unit test's `this` is a fixture: nothing to list) -#}
{% if is_incremental() and execute and model.resource_type != 'unit_test' %}
    {% set processed = run_query("select distinct source_file from " ~ this).columns[0].values() | list %}
{% endif %}

with source as (
    select * from {{ ref('raw_events') }}
    {% if processed %}
    -- a constant list, so DuckDB prunes these files before reading them
    where _source_file not in ({{ sql_list(processed) }})
    {% endif %}
),

cleaned as (
    {{ clean_raw_columns('source') }}
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
            when customer_id is null then 'missing_customer_id'
            when raw_occurred_at is null or event_type is null then 'missing_value'
            when occurred_at is null then 'invalid_timestamp'
            when {{ is_future('occurred_at') }} then 'future_timestamp'
        end as _check_reason
    from typed
),

{{ deduplicate(
    'checked',
    key=['event_id'],
    compare=['customer_id', 'occurred_at', 'event_type', 'channel', 'touchpoint', 'session_id'],
    keep='first',
    existing=this if is_incremental() else none
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
