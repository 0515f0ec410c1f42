{#
    Interval estimates of proportions and of ratios of proportions.
#}


{% macro wilson_interval(successes, trials, side, z) -%}
    {#- Wilson score interval of a proportion at `z` (1.96: 95%); side is 'low' or 'high'. -#}
    {%- set sign = '-' if side == 'low' else '+' -%}
    {%- set successes, trials = '(' ~ successes ~ ')', '(' ~ trials ~ ')' -%}
    (
        ({{ successes }} / {{ trials }} + {{ z }} * {{ z }} / (2.0 * {{ trials }})
            {{ sign }} {{ z }} * sqrt(
                ({{ successes }} / {{ trials }}) * (1 - {{ successes }} / {{ trials }}) / {{ trials }}
                + {{ z }} * {{ z }} / (4.0 * {{ trials }} * {{ trials }})
            ))
        / (1 + {{ z }} * {{ z }} / {{ trials }})
    )
{%- endmacro %}


{% macro ratio_interval(successes_a, trials_a, successes_b, trials_b, side, z) -%}
    {#- Katz log interval of the ratio of two proportions (a / b) at `z` (1.96: 95%); null when
        either proportion is 0. -#}
    {%- set sign = '-' if side == 'low' else '+' -%}
    {%- set successes_a, trials_a = '(' ~ successes_a ~ ')', '(' ~ trials_a ~ ')' -%}
    {%- set successes_b, trials_b = '(' ~ successes_b ~ ')', '(' ~ trials_b ~ ')' -%}
    case
        when {{ successes_a }} > 0 and {{ successes_b }} > 0 then
            exp(
                ln(({{ successes_a }} / {{ trials_a }}) / ({{ successes_b }} / {{ trials_b }}))
                {{ sign }} {{ z }} * sqrt(
                    1.0 / {{ successes_a }} - 1.0 / {{ trials_a }} + 1.0 / {{ successes_b }} - 1.0 / {{ trials_b }}
                )
            )
    end
{%- endmacro %}
