{#
    Defensive casts of raw text: null when a value does not parse (staging rejects the row).
#}


{% macro to_utc_timestamp(text) -%}
    {#- ISO-8601 text with or without an offset (no offset = UTC) to a UTC timestamp; null when
        unparseable. -#}
    cast(timezone('UTC', try_cast({{ text }} as timestamptz)) as timestamp)
{%- endmacro %}


{% macro to_date(text) -%}
    {#- An ISO-8601 date (YYYY-MM-DD) from text; null when it does not parse. -#}
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
    {#- True when the raw text holds a value but its cast gave null (invalid_timestamp /
        invalid_number). -#}
    ({{ text }} is not null and {{ typed }} is null)
{%- endmacro %}
