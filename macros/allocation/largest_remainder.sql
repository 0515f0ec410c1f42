{% macro largest_remainder(relation, weight, partition_by, tie_key, outputs, sole_winner=none) %}
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
        1e20 and a weight below 1e-18 counts as 0 in the total; it and the row count come from a
        grouped pass joined back on the partition's columns, null-safe (a null key is one partition,
        as in a window). Further outputs (an order's
        conversion beside its revenue) follow the first output's order, which keeps both properties
        and costs no second sort.
        `sole_winner` (optional): a boolean expression over a row, true on every row of the
        partitions in which one row weighs exactly 1 and every other row exactly 0 (a first-touch
        credit, an order with one touch), false or null on the others. Those rows skip the windows:
        the winner takes the amount rounded to the unit and the others 0 (null where the amount is
        null), which is what the method gives there (its total weight is 1, the winner's share 1,
        the leftover 0 or 1 unit, and the winner's remainder ranks first); their lr_ helper
        columns but lr_share are null. The other rows go through the method as above.
        One select statement over `relation`; helper columns start with lr_.
    -#}
    {%- set partition = partition_by | join(', ') -%}
    select
        lr_ranked.*
        {%- for spec in outputs %},
        {% call lr_units_as_output(spec) -%}
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
        {%- endcall %}
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
                -- the partition's total weight and rows from a grouped pass joined back: cheaper
                -- than a window, which sorts every row with all its columns
                select
                    lr_source.*,
                    coalesce(
                        cast({{ weight }} as double) / nullif(cast(lr_totals.lr_total_weight as double), 0),
                        1.0 / lr_totals.lr_total_rows
                    ) as lr_share
                from {{ relation }} as lr_source
                inner join (
                    select
                        {%- for column in partition_by %}
                        {{ column }} as lr_key_{{ loop.index }},
                        {%- endfor %}
                        sum(cast({{ weight }} as decimal(38, 18))) as lr_total_weight,
                        count(*) as lr_total_rows
                    from {{ relation }}
                    {%- if sole_winner is not none %}
                    where not coalesce({{ sole_winner }}, false)
                    {%- endif %}
                    group by {{ partition }}
                ) as lr_totals
                    on {% for column in partition_by -%}
                    lr_totals.lr_key_{{ loop.index }} is not distinct from {{ column }}
                    {%- if not loop.last %}
                    and {% endif %}
                    {%- endfor %}
                {%- if sole_winner is not none %}
                where not coalesce({{ sole_winner }}, false)
                {%- endif %}
            ) as lr_shared
        ) as lr_floored
        window lr_partition as (partition by {{ partition }})
        ) as lr_left
    ) as lr_ranked
    {%- if sole_winner is not none %}
    union all
    select
        -- the source's columns and lr_share, the method's share here: 1 for the winner, else 0
        lr_sole.*,
        {%- for spec in outputs %}
        cast(null as double) as lr_exact_{{ loop.index }},
        cast(null as double) as lr_floor_{{ loop.index }},
        {%- endfor %}
        {%- for spec in outputs %}
        cast(null as double) as lr_leftover_{{ loop.index }},
        {%- endfor %}
        cast(null as bigint) as lr_rows,
        cast(null as bigint) as lr_remainder_rank
        {%- for spec in outputs %}
        {%- set unit = 10 ** spec.get('decimals', 2) %},
        -- the method's own arithmetic with a share of 1 or 0 (so the same types on every engine):
        -- the share rounded down, and the winner the unit left over when the amount rounds up
        {% call lr_units_as_output(spec) -%}
                floor(cast({{ spec.amount }} as double) * {{ unit }} * lr_sole.lr_share)
                + case
                    when lr_sole.lr_share = 1
                        and round(cast({{ spec.amount }} as double) * {{ unit }})
                        > floor(cast({{ spec.amount }} as double) * {{ unit }}) then 1
                    else 0
                end
        {%- endcall %}
        {%- endfor %}
    from (
        select
            lr_sole_source.*,
            case when cast({{ weight }} as double) = 1 then cast(1 as double) else cast(0 as double) end
                as lr_share
        from {{ relation }} as lr_sole_source
        where coalesce({{ sole_winner }}, false)
    ) as lr_sole
    {%- endif %}
{% endmacro %}

{% macro lr_units_as_output(spec) %}
    {#- largest_remainder's output column `spec.output`: the whole units of the call's body as an
        amount of spec's decimals (2 by default) -#}
    {%- set decimals = spec.get('decimals', 2) -%}
        cast(
            (
                {{ caller() }}
            ) / {{ 10 ** decimals }}.0 as decimal(38, {{ decimals }})
        ) as {{ spec.output }}
{%- endmacro %}
