-- One row per segment: its size and share, its centroid in original units (the mean of each
-- feature over its members), its mean silhouette (over the sampled members), and the k chosen with
-- the silhouette of every k tried.
with segments as (
    select * from {{ ref('customer_segments') }}
),

features as (
    select * from {{ ref('customer_features') }}
),

k_selection as (
    select * from {{ ref('segment_k_selection') }}
),

k_summary as (
    select
        max(k) filter (where is_chosen) as chosen_k,
        string_agg(cast(k as varchar) || ': ' || cast(round(silhouette, 4) as varchar), ', ' order by k)
            as silhouette_by_k
    from k_selection
),

profiles as (
    select
        segments.segment_id,
        segments.segment_name,
        count(*) as customers,
        count(*) / sum(count(*)) over () as share,
        avg(segments.silhouette) as silhouette,
        {% for feature in var('segment_features') %}
        avg(features.{{ feature }}) as avg_{{ feature }},
        {% endfor %}
        avg(features.avg_order_value) as avg_avg_order_value
    from segments
    inner join features
        on features.customer_id = segments.customer_id
    group by segments.segment_id, segments.segment_name
),

final as (
    select
        profiles.*,
        k_summary.chosen_k,
        k_summary.silhouette_by_k
    from profiles
    cross join k_summary
)

select * from final
