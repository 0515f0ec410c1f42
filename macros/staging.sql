{#
    Building blocks of the staging layer: defensive casts, the future-timestamp cutoff and the
    de-duplication that turns repeated raw rows into `duplicate` / `duplicate_key` rejections.
#}

{% macro clean_raw_columns(relation) %}
    {#-
        Every raw column of `relation` (a raw_<table> view: the contract columns as text, plus
        _source_file) trimmed, blank as null, prefixed raw_; the row as it arrived in _raw_record.
        Star expressions, not the contract's column list, so a unit test's fixture works the same.
    -#}
    select
        _source_file,
        struct_pack(*columns(* exclude (_source_file))) as _raw_record,
        nullif(trim(columns(* exclude (_source_file))), '') as 'raw_\0'
    from {{ relation }}
{% endmacro %}


{% macro to_utc_timestamp(text) -%}
    {#- ISO-8601 text with or without an offset (no offset = UTC) to a UTC timestamp; null when
        unparseable. -#}
    cast(timezone('UTC', try_cast({{ text }} as timestamptz)) as timestamp)
{%- endmacro %}


{% macro to_date(text) -%}
    try_cast({{ text }} as date)
{%- endmacro %}


{% macro to_amount(text) -%}
    {#- Money: decimal(18, 2); null when not a number or too large. -#}
    try_cast({{ text }} as decimal(18, 2))
{%- endmacro %}


{% macro to_integer(text) -%}
    {#- A whole number; '7.5' or 'seven' give null (a plain integer cast would round 7.5 to 8). -#}
    case
        when try_cast({{ text }} as decimal(38, 6)) = round(try_cast({{ text }} as decimal(38, 6)))
            then try_cast(try_cast({{ text }} as decimal(38, 6)) as integer)
    end
{%- endmacro %}


{% macro is_unparseable(text, typed) -%}
    ({{ text }} is not null and {{ typed }} is null)
{%- endmacro %}


{% macro as_of_timestamp() -%}
    {#- The run's reference time (UTC): var as_of, or the moment dbt started. -#}
    {%- if var('as_of') is not none -%}
        {{ to_utc_timestamp(sql_string(var('as_of'))) }}
    {%- else -%}
        cast({{ sql_string(run_started_at.strftime('%Y-%m-%d %H:%M:%S')) }} as timestamp)
    {%- endif -%}
{%- endmacro %}


{% macro is_future(timestamp) -%}
    ({{ timestamp }} > {{ as_of_timestamp() }} + to_hours(cast({{ var('future_tolerance_hours') }} as bigint)))
{%- endmacro %}


{% macro is_too_early(timestamp) -%}
    {#- Before var earliest_valid_at: a clock that was never set (1970-01-01), not a real
        moment. -#}
    ({{ timestamp }} < {{ to_utc_timestamp(sql_string(var('earliest_valid_at'))) }})
{%- endmacro %}


{% macro sql_list(values) -%}
    {%- for v in values %}{{ sql_string(v) }}{{ ", " if not loop.last }}{% endfor -%}
{%- endmacro %}


{% macro deduplicate(relation, key, compare, keep='latest', existing=none) %}
    {#-
        Emits the CTEs `versions`, `reasoned` and `deduplicated` over `relation`, which carries
        _check_reason (null when the row passed every rule). Among valid rows sharing a key, one is
        kept: the row from the latest file (keep='latest', file path order: a later drop updates a
        record) or the earliest (keep='first': facts are immutable, and an incremental model can
        append without revisiting old rows). Another row is a `duplicate` when its typed values equal
        the kept row's, a `duplicate_key` when they differ. `existing` (an incremental model's own
        table) holds rows already kept by earlier runs: they keep precedence, and only new rows are
        returned. `deduplicated` adds rejection_reason and record (the raw row as JSON text, only
        for rejected rows).
    -#}
    {%- set file_order = 'desc' if keep == 'latest' else 'asc' -%}
    hashed as (
        select
            *,
            false as _is_existing,
            hash({{ compare | join(', ') }}) as _content_hash
        from {{ relation }}
        {% if existing is not none %}
        union all by name
        select
            {% for column in key %}{{ column }},
            {% endfor -%}
            source_file as _source_file,
            cast(null as varchar) as _check_reason,
            true as _is_existing,
            hash({{ compare | join(', ') }}) as _content_hash
        from {{ existing }} as existing
        -- only the kept rows that share a key with a new row: the work follows the new rows, not history
        semi join {{ relation }} as incoming
            on {% for column in key %}incoming.{{ column }} = existing.{{ column }}{{ " and " if not loop.last }}{% endfor %}
        where existing.rejection_reason is null
        {% endif %}
    ),

    -- only keys held by more than one row need ranking: the window sorts those rows, not every row
    -- (at 10M events almost every key is unique)
    repeated_keys as (
        select
            _check_reason is null as _is_valid,
            {{ key | join(', ') }}
        from hashed
        group by all
        having count(*) > 1
    ),

    versions as (
        select
            hashed.*,
            1 as _version_rank,
            hashed._content_hash as _kept_hash
        from hashed
        anti join repeated_keys
            on repeated_keys._is_valid = (hashed._check_reason is null)
            {%- for column in key %}
            and repeated_keys.{{ column }} is not distinct from hashed.{{ column }}
            {%- endfor %}
        union all
        select
            *,
            row_number() over (
                partition by _check_reason is null, {{ key | join(', ') }}
                order by _is_existing desc, _source_file {{ file_order }}, _content_hash
            ) as _version_rank,
            first_value(_content_hash) over (
                partition by _check_reason is null, {{ key | join(', ') }}
                order by _is_existing desc, _source_file {{ file_order }}, _content_hash
            ) as _kept_hash
        from hashed
        semi join repeated_keys
            on repeated_keys._is_valid = (hashed._check_reason is null)
            {%- for column in key %}
            and repeated_keys.{{ column }} is not distinct from hashed.{{ column }}
            {%- endfor %}
    ),

    reasoned as (
        select
            *,
            case
                when _check_reason is not null then _check_reason
                when _version_rank = 1 then null
                when _content_hash = _kept_hash then 'duplicate'
                else 'duplicate_key'
            end as rejection_reason
        from versions
        where not _is_existing
    ),

    deduplicated as (
        select
            *,
            case
                when rejection_reason is not null then cast(to_json(_raw_record) as varchar)
            end as record
        from reasoned
    )
{% endmacro %}
