{#
    Defensive casts of raw text: null when a value does not parse (staging rejects the row).
#}


{% macro to_utc_timestamp(text) -%}
    {#- ISO-8601 text with or without an offset (no offset = UTC) to a UTC timestamp; null when
        unparseable. -#}
    {{ return(adapter.dispatch('to_utc_timestamp', 'journey_metrics')(text)) }}
{%- endmacro %}


{% macro duckdb__to_utc_timestamp(text) -%}
    cast(timezone('UTC', try_cast({{ text }} as timestamptz)) as timestamp)
{%- endmacro %}


{% macro spark__to_utc_timestamp(text) -%}
    {#- Spark's timestamp is an instant shown in the session time zone (UTC, profiles.yml). -#}
    try_cast({{ text }} as timestamp)
{%- endmacro %}


{% macro to_date(text) -%}
    {#- An ISO-8601 date (YYYY-MM-DD) from text; null when it does not parse or lies beyond the
        dates later date arithmetic can hold (DuckDB parses dates down to 5877642 BC, where
        truncating to the month or casting to a timestamp overflows and would stop the build
        instead of rejecting the row). Far but representable dates stay, for the timestamp rules. -#}
    {{ return(adapter.dispatch('to_date', 'journey_metrics')(text)) }}
{%- endmacro %}


{% macro default__to_date(text) -%}
    case
        when try_cast({{ text }} as date) between date '0001-01-01' and date '9999-12-31'
            then try_cast({{ text }} as date)
    end
{%- endmacro %}


{% macro duckdb__to_date(text) -%}
    case
        when isinf(try_cast({{ text }} as date))
            or try_cast({{ text }} as date)
            between date '290000-01-01 (BC)' and date '290000-12-31'
            then try_cast({{ text }} as date)
    end
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
    {#- True when the raw text holds a value but its cast gave null (invalid_timestamp /
        invalid_number). -#}
    ({{ text }} is not null and {{ typed }} is null)
{%- endmacro %}
