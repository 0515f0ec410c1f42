{#
    The two-proportion z test.
#}


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
