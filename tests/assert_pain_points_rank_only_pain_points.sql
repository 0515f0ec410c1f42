-- segment_pain_points ranks only its pain points (lift > 1, Holm-adjusted p below var
-- pain_point_alpha), 1, 2, … within each segment: no rank on any other row, none on a rate of 0.
with pain_points as (
    select * from {{ ref('segment_pain_points') }}
),

checked as (
    select
        segment_id,
        signal,
        rate,
        lift,
        p_value_holm,
        is_pain_point,
        pain_point_rank,
        count(*) filter (where is_pain_point) over (partition by segment_id) as segment_pain_points,
        max(pain_point_rank) over (partition by segment_id) as segment_max_rank
    from pain_points
)

select *
from checked
where is_pain_point != coalesce(lift > 1 and p_value_holm < {{ var('pain_point_alpha') }}, false)
    or (pain_point_rank is not null) != is_pain_point
    or (pain_point_rank is not null and rate = 0)
    or coalesce(segment_max_rank, 0) != segment_pain_points
