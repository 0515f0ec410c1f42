{#
    De-duplication: repeated raw rows become `duplicate` / `duplicate_key` rejections.
#}


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
