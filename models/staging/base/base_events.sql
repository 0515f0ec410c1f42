-- Incremental by file: a run reads the raw files it has not processed yet, and again the last
-- var event_files_lookback (1) files it has (in path order), so a re-delivered recent file — a day
-- re-exported with late events — replaces its earlier rows; older files are immutable drops (a
-- rewritten one needs --full-refresh). So that the result equals a full refresh, every rule here
-- depends only on the row and on rows of earlier files: de-duplication keeps the first file's row
-- (by path, so daily drops must be named in date order), and the cross-table check
-- (unknown_customer) is left to stg_events and rejected_rows.
{{ config(
    materialized='incremental',
    incremental_strategy=incremental_strategy(),
    partition_by=incremental_partitions('source_file'),
    unique_key='source_file',
    on_schema_change='fail'
) }}

{% set lookback = var('event_files_lookback') | int %}
{#- the CTEs below are read twice (deduplicate): Parquet is read again rather than held -#}
{% set hint = raw_cte_hint('events') %}
{% set processed = [] %}
{% set reread = [] %}
{#- the files already loaded, as constant lists (a unit test's `this` is a fixture: nothing to
    list) -#}
{% if is_incremental() and execute and model.resource_type != 'unit_test' %}
    {% set loaded = run_query(
        "select distinct source_file from " ~ this ~ " order by source_file"
    ).columns[0].values() | list %}
    {% if lookback > 0 %}
        {% set processed = loaded[:-lookback] %}
        {% set reread = loaded[-lookback:] %}
    {% else %}
        {% set processed = loaded %}
    {% endif %}
{% endif %}

with source as {{ hint }} (
    select * from {{ ref('raw_events') }}
    {% if processed %}
    -- a constant list, so DuckDB prunes these files before reading them
    where _source_file not in ({{ sql_list(processed) }})
    {% endif %}
),

cleaned as {{ hint }} (
    {{ clean_raw_columns('source', 'events') }}
),

typed as {{ hint }} (
    select
        cleaned.*,
        cleaned.raw_event_id as event_id,
        cleaned.raw_customer_id as customer_id,
        {{ to_utc_timestamp('raw_occurred_at') }} as occurred_at,
        lower(cleaned.raw_event_type) as event_type,
        lower(cleaned.raw_channel) as channel,
        lower(cleaned.raw_touchpoint) as touchpoint,
        cleaned.raw_session_id as session_id
    from cleaned
),

checked as {{ hint }} (
    select
        typed.*,
        typed.raw_event_id as _source_key,
        case
            when typed.event_id is null then 'missing_primary_key'
            when typed.customer_id is null then 'missing_customer_id'
            when typed.raw_occurred_at is null or typed.event_type is null then 'missing_value'
            when typed.occurred_at is null then 'invalid_timestamp'
            when {{ is_future('occurred_at') }} then 'future_timestamp'
            when {{ is_too_early('occurred_at') }} then 'too_early_timestamp'
        end as _check_reason
    from typed
),

{{ deduplicate(
    'checked',
    key=['event_id'],
    compare=['customer_id', 'occurred_at', 'event_type', 'channel', 'touchpoint', 'session_id'],
    keep='first',
    existing=kept_rows(this, reread) if is_incremental() else none,
    cte_hint=hint
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
