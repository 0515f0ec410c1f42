{% macro nps_metrics(responses, grain) %}
    {#-
        NPS and CSAT of `responses` (rows with nps_score, csat_score) per `grain` columns. Emits CTEs
        ending in `nps_metrics`. NPS = 100 × (promoters − detractors) / responses over responses with an
        NPS score; its standard error comes from the multinomial variance of the promoter and
        detractor shares: SE = 100 × sqrt((p_P + p_D − (p_P − p_D)²) / n); the margin of error is
        var nps_z (1.96) × SE and the interval is clipped to [−100, 100].
    -#}
    {%- set grain_list = grain | join(', ') -%}
    nps_counts as (
        select
            {{ grain_list }},
            count(nps_score) as responses,
            count(*) filter (where nps_score >= {{ var('promoter_min_score') }}) as promoters,
            count(*) filter (where nps_score >= {{ var('passive_min_score') }}
                and nps_score < {{ var('promoter_min_score') }}) as passives,
            count(*) filter (where nps_score < {{ var('passive_min_score') }}) as detractors,
            count(csat_score) as csat_responses,
            avg(csat_score) as csat_avg,
            count(*) filter (where csat_score >= {{ var('csat_satisfied_min_score') }}) as csat_satisfied
        from {{ responses }}
        group by {{ grain_list }}
    ),

    nps_shares as (
        select
            *,
            promoters / nullif(responses, 0) as promoter_share,
            detractors / nullif(responses, 0) as detractor_share
        from nps_counts
    ),

    nps_estimates as (
        select
            {{ grain_list }},
            responses,
            promoters,
            passives,
            detractors,
            100.0 * (promoter_share - detractor_share) as nps,
            100.0 * sqrt(greatest(
                promoter_share + detractor_share - pow(promoter_share - detractor_share, 2), 0
            ) / nullif(responses, 0)) as nps_standard_error,
            csat_responses,
            csat_avg,
            csat_satisfied / nullif(csat_responses, 0) as csat_satisfied_share,
            responses < {{ var('nps_min_responses') }} as is_small_sample
        from nps_shares
    ),

    nps_margins as (
        select
            *,
            {{ var('nps_z') }} * nps_standard_error as nps_margin_of_error
        from nps_estimates
    ),

    nps_metrics as (
        select
            *,
            greatest(nps - nps_margin_of_error, -100) as ci_low,
            least(nps + nps_margin_of_error, 100) as ci_high
        from nps_margins
    )
{% endmacro %}
