{% macro largest_remainder(relation, amount, weight, partition_by, tie_key, output, decimals=2) %}
    {#-
        Every row of `relation` with a new column `output`: the row's share of `amount` (one amount
        per partition, repeated on each of its rows) in proportion to `weight`, rounded to
        `decimals` decimals (2: the cent) by the largest-remainder method:
          1. each share is its exact value (amount × weight / the partition's total weight; equal
             shares when the weights add up to 0) rounded down to the unit;
          2. the units left over (amount minus the rounded-down shares: fewer than the rows) go one
             each to the rows with the largest fractional parts, ties broken by a hash of
             `tie_key` (a list of column expressions: include the partition's own columns, so the
             same customer does not win every partition's ties).
        Every share is within one unit of its exact value and a partition's shares add up exactly
        to its amount. Emits one select statement over `relation`; helper columns start with lr_.
    -#}
    {%- set partition = partition_by | join(', ') -%}
    {%- set unit = 10 ** decimals -%}
    {%- set key_parts = [] -%}
    {%- for part in tie_key -%}
        {%- do key_parts.append("coalesce(cast(" ~ part ~ " as " ~ dbt.type_string() ~ "), '')") -%}
        {%- if not loop.last %}{% do key_parts.append("'|'") %}{% endif -%}
    {%- endfor %}
    select
        lr_ranked.*,
        cast(
            (
                lr_ranked.lr_floor_units
                + case
                    when lr_ranked.lr_leftover_units > 0
                        and lr_ranked.lr_remainder_rank <= lr_ranked.lr_leftover_units then 1
                    -- floating point can put an exact share a hair above a whole unit: then the
                    -- rows with the smallest remainders give one back
                    when lr_ranked.lr_leftover_units < 0
                        and lr_ranked.lr_remainder_rank > lr_ranked.lr_rows + lr_ranked.lr_leftover_units then -1
                    else 0
                end
            ) / {{ unit }}.0 as decimal(38, {{ decimals }})
        ) as {{ output }}
    from (
        select
            lr_floored.*,
            lr_floored.lr_amount_units
                - sum(lr_floored.lr_floor_units) over (partition by {{ partition }}) as lr_leftover_units,
            row_number() over (
                partition by {{ partition }}
                -- rounded, so that shares equal but for floating-point noise tie
                order by round(lr_floored.lr_exact_units - lr_floored.lr_floor_units, 6) desc,
                    {{ dbt.hash(dbt.concat(key_parts)) }}
            ) as lr_remainder_rank,
            count(*) over (partition by {{ partition }}) as lr_rows
        from (
            select
                lr_exact.*,
                floor(lr_exact.lr_exact_units) as lr_floor_units
            from (
                select
                    lr_source.*,
                    round(cast({{ amount }} as double) * {{ unit }}) as lr_amount_units,
                    cast({{ amount }} as double) * {{ unit }} * coalesce(
                        cast({{ weight }} as double)
                            / nullif(sum(cast({{ weight }} as double)) over (partition by {{ partition }}), 0),
                        1.0 / count(*) over (partition by {{ partition }})
                    ) as lr_exact_units
                from {{ relation }} as lr_source
            ) as lr_exact
        ) as lr_floored
    ) as lr_ranked
{% endmacro %}
