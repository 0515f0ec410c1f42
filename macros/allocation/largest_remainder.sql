{% macro largest_remainder(relation, weight, partition_by, tie_key, outputs) %}
    {#-
        Every row of `relation` with one new column per entry of `outputs` ({'amount': expression,
        'output': column name, 'decimals': 2 by default}): the row's share of the amount (one amount
        per partition, repeated on each of its rows) in proportion to `weight`, rounded to `decimals`
        decimals (2: the cent) by the largest-remainder method:
          1. each share is its exact value (amount × weight / the partition's total weight; equal
             shares when the weights add up to 0) rounded down to the unit;
          2. the units left over (amount minus the rounded-down shares: fewer than the rows) go one
             each to the rows with the largest fractional parts of the first output, ties broken by
             tie_break_hash(`tie_key`) (a list of column expressions: include the partition's own
             columns, so the same customer does not win every partition's ties); the hash is
             computed only in partitions with a unit left over, the only ones whose ranks are used.
        Every share is within one unit of its exact value and a partition's shares add up exactly
        to its amount. The partition's total weight is summed as decimal(38, 18), exactly, so it does
        not depend on the order the rows arrive in (a sum of doubles does, in its last bits, which
        could hand a leftover unit to another row from one run to the next): weights are at most
        1e20 and a weight below 1e-18 counts as 0 in the total. Further outputs (an order's conversion beside its revenue) follow the first
        output's order, which keeps both properties and costs no second sort. One select statement
        over `relation`; helper columns start with lr_.
    -#}
    {%- set partition = partition_by | join(', ') -%}
    select
        lr_ranked.*
        {%- for spec in outputs %}
        {%- set unit = 10 ** spec.get('decimals', 2) %},
        cast(
            (
                lr_ranked.lr_floor_{{ loop.index }}
                + case
                    when lr_ranked.lr_leftover_{{ loop.index }} > 0
                        and lr_ranked.lr_remainder_rank <= lr_ranked.lr_leftover_{{ loop.index }} then 1
                    -- floating point can put an exact share a hair above a whole unit: then the
                    -- rows ranked last give one back
                    when lr_ranked.lr_leftover_{{ loop.index }} < 0
                        and lr_ranked.lr_remainder_rank > lr_ranked.lr_rows + lr_ranked.lr_leftover_{{ loop.index }}
                        then -1
                    else 0
                end
            ) / {{ unit }}.0 as decimal(38, {{ spec.get('decimals', 2) }})
        ) as {{ spec.output }}
        {%- endfor %}
    from (
        select
            lr_left.*,
            row_number() over (
                -- the partition spelled out: Spark cannot extend a named window
                partition by {{ partition }}
                -- rounded, so that shares equal but for floating-point noise tie
                order by round(lr_left.lr_exact_1 - lr_left.lr_floor_1, 6) desc,
                    -- the tie-break hash only where the rank is used: in a partition with a
                    -- unit left over (most orders of a single-touch model have none)
                    case
                        when {% for spec in outputs %}lr_left.lr_leftover_{{ loop.index }} != 0{% if not loop.last %} or {% endif %}{% endfor %}
                            then {{ tie_break_hash(tie_key) }}
                    end
            ) as lr_remainder_rank
        from (
        select
            lr_floored.*,
            {%- for spec in outputs %}
            {%- set unit = 10 ** spec.get('decimals', 2) %}
            round(cast({{ spec.amount }} as double) * {{ unit }})
                - sum(lr_floored.lr_floor_{{ loop.index }}) over lr_partition as lr_leftover_{{ loop.index }},
            {%- endfor %}
            count(*) over lr_partition as lr_rows
        from (
            select
                lr_shared.*
                {%- for spec in outputs %}
                {%- set unit = 10 ** spec.get('decimals', 2) %},
                cast({{ spec.amount }} as double) * {{ unit }} * lr_shared.lr_share as lr_exact_{{ loop.index }},
                floor(cast({{ spec.amount }} as double) * {{ unit }} * lr_shared.lr_share) as lr_floor_{{ loop.index }}
                {%- endfor %}
            from (
                select
                    lr_source.*,
                    coalesce(
                        cast({{ weight }} as double)
                            / nullif(cast(sum(cast({{ weight }} as decimal(38, 18))) over lr_partition as double), 0),
                        1.0 / count(*) over lr_partition
                    ) as lr_share
                from {{ relation }} as lr_source
                window lr_partition as (partition by {{ partition }})
            ) as lr_shared
        ) as lr_floored
        window lr_partition as (partition by {{ partition }})
        ) as lr_left
    ) as lr_ranked
{% endmacro %}
