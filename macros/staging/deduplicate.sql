{#
    De-duplication: repeated raw rows become `duplicate` / `duplicate_key` rejections.
#}


{% macro deduplicate(relation, key, compare, keep='latest', existing=none, cte_hint='') %}
    {#-
        Emits the CTEs `versions`, `reasoned` and `deduplicated` over `relation`, which carries
        _check_reason (null when the row passed every rule). Among valid rows sharing a key, one is
        kept: the row from the latest file (keep='latest', file path order: a later drop updates a
        record) or the earliest (keep='first': facts are immutable, and an incremental model can
        append without revisiting old rows). Another row is a `duplicate` when its typed values equal
        the kept row's, a `duplicate_key` when they differ. `existing` (an incremental model's own
        table) holds rows already kept by earlier runs: they keep precedence, and only new rows are
        returned. `deduplicated` adds rejection_reason and record (the raw row as JSON text, only
        for rejected rows). `cte_hint` goes between `hashed as` and its body (raw_cte_hint).
    -#}
    {{ return(adapter.dispatch('deduplicate', 'journey_metrics')(
        relation, key, compare, keep, existing, cte_hint)) }}
{% endmacro %}


{% macro duckdb__deduplicate(relation, key, compare, keep='latest', existing=none, cte_hint='') %}
    {%- set file_order = 'desc' if keep == 'latest' else 'asc' -%}
    hashed as {{ cte_hint }} (
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


{% macro spark__deduplicate(relation, key, compare, keep='latest', existing=none, cte_hint='') %}
    {#- As duckdb__deduplicate, without `union all by name`: a new valid row whose key an earlier
        run kept ranks after that row and compares with its hash. -#}
    {%- set file_order = 'desc' if keep == 'latest' else 'asc' -%}
    {%- set key_match -%}
        {%- for column in key %}existing_keys.{{ column }} = hashed.{{ column }}{{ " and " if not loop.last }}{% endfor -%}
    {%- endset -%}
    hashed as (
        select
            *,
            false as _is_existing,
            xxhash64({{ compare | join(', ') }}) as _content_hash
        from {{ relation }}
    ),

    {% if existing is not none %}
    existing_keys as (
        select
            {% for column in key %}existing.{{ column }},
            {% endfor -%}
            xxhash64({{ compare | join(', ') }}) as _existing_hash
        from {{ existing }} as existing
        semi join {{ relation }} as incoming
            on {% for column in key %}incoming.{{ column }} = existing.{{ column }}{{ " and " if not loop.last }}{% endfor %}
        where existing.rejection_reason is null
    ),
    {% endif %}

    versions as (
        select
            hashed.*,
            {% if existing is not none -%}
            case
                when existing_keys._existing_hash is not null then 2
                else row_number() over (
                    partition by hashed._check_reason is null, {% for column in key %}hashed.{{ column }}{{ ", " if not loop.last }}{% endfor %}
                    order by hashed._source_file {{ file_order }}, hashed._content_hash
                )
            end as _version_rank,
            coalesce(existing_keys._existing_hash, first_value(hashed._content_hash) over (
                partition by hashed._check_reason is null, {% for column in key %}hashed.{{ column }}{{ ", " if not loop.last }}{% endfor %}
                order by hashed._source_file {{ file_order }}, hashed._content_hash
            )) as _kept_hash
            {%- else -%}
            row_number() over (
                partition by hashed._check_reason is null, {% for column in key %}hashed.{{ column }}{{ ", " if not loop.last }}{% endfor %}
                order by hashed._source_file {{ file_order }}, hashed._content_hash
            ) as _version_rank,
            first_value(hashed._content_hash) over (
                partition by hashed._check_reason is null, {% for column in key %}hashed.{{ column }}{{ ", " if not loop.last }}{% endfor %}
                order by hashed._source_file {{ file_order }}, hashed._content_hash
            ) as _kept_hash
            {%- endif %}
        from hashed
        {% if existing is not none -%}
        left join existing_keys
            on {{ key_match }}
            and hashed._check_reason is null
        {%- endif %}
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
    ),

    deduplicated as (
        select
            *,
            case
                when rejection_reason is not null
                    then to_json(_raw_record, map('ignoreNullFields', 'false'))
            end as record
        from reasoned
    )
{% endmacro %}
