{#
    Statistical helpers in SQL: interval estimates and tests used by several marts.
#}

{% macro wilson_interval(successes, trials, side) -%}
    {#- Wilson score interval of a proportion at z = var nps_z; side is 'low' or 'high'. -#}
    {%- set z = var('nps_z') -%}
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


{% macro ratio_interval(successes_a, trials_a, successes_b, trials_b, side) -%}
    {#- Katz log interval of the ratio of two proportions (a / b) at z = var nps_z; null when either
        proportion is 0. -#}
    {%- set z = var('nps_z') -%}
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


{% macro two_proportion_z(successes_a, trials_a, successes_b, trials_b) -%}
    {#- z statistic of p_a − p_b with the pooled standard error; null when it cannot be computed.
        Arguments may be expressions: each is parenthesised. -#}
    {%- set xa, na, xb, nb =
        '(' ~ successes_a ~ ')', '(' ~ trials_a ~ ')', '(' ~ successes_b ~ ')', '(' ~ trials_b ~ ')'
    -%}
    (
        ({{ xa }} / nullif({{ na }}, 0) - {{ xb }} / nullif({{ nb }}, 0))
        / nullif(sqrt(
            ({{ xa }} + {{ xb }}) / nullif({{ na }} + {{ nb }}, 0)
            * (1 - ({{ xa }} + {{ xb }}) / nullif({{ na }} + {{ nb }}, 0))
            * (1.0 / nullif({{ na }}, 0) + 1.0 / nullif({{ nb }}, 0))
        ), 0)
    )
{%- endmacro %}


{% macro two_sided_normal_p(z) -%}
    {#- Two-sided p-value of a standard normal z: erfc(|z| / sqrt 2), by Abramowitz & Stegun 7.1.26
        (absolute error below 1.5e-7); DuckDB has no erf. -#}
    (
        (0.254829592 * (1.0 / (1.0 + 0.3275911 * abs({{ z }}) / sqrt(2)))
        - 0.284496736 * pow(1.0 / (1.0 + 0.3275911 * abs({{ z }}) / sqrt(2)), 2)
        + 1.421413741 * pow(1.0 / (1.0 + 0.3275911 * abs({{ z }}) / sqrt(2)), 3)
        - 1.453152027 * pow(1.0 / (1.0 + 0.3275911 * abs({{ z }}) / sqrt(2)), 4)
        + 1.061405429 * pow(1.0 / (1.0 + 0.3275911 * abs({{ z }}) / sqrt(2)), 5))
        * exp(-({{ z }}) * ({{ z }}) / 2)
    )
{%- endmacro %}
