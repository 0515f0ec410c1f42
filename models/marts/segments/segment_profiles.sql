-- One row per segment: its size and share, its centroid in original units (the mean of each
-- clustering feature over its members, as JSON text; segment_centroids has them one per row), its
-- mean silhouette (over the sampled members), and the k chosen with the silhouette of every k
-- tried.
with segments as (
    select * from {{ ref('customer_segments') }}
),

k_selection as (
    select * from {{ ref('segment_k_selection') }}
),

centroids as (
    select * from {{ ref('segment_centroids') }}
),

centroid_json as (
    select
        segment_id,
        -- keys in feature order, so the text is the same on every run
        '{' || {{ ordered_string_agg(
            json_quote('feature') ~ " || ':' || coalesce(cast(round(mean_value, 4) as "
            ~ dbt.type_string() ~ "), 'null')",
            "','",
            'feature'
        ) }} || '}' as centroid
    from centroids
    group by segment_id
),

k_summary as (
    select
        max(k) filter (where is_chosen) as chosen_k,
        {{ ordered_string_agg(
            'cast(k as ' ~ dbt.type_string() ~ ") || ': ' || cast(round(silhouette, 4) as "
            ~ dbt.type_string() ~ ')',
            "', '",
            'k'
        ) }}
            as silhouette_by_k
    from k_selection
),

profiles as (
    select
        segments.segment_id,
        segments.segment_name,
        count(*) as customers,
        count(*) / sum(count(*)) over () as share,
        avg(segments.silhouette) as silhouette
    from segments
    group by segments.segment_id, segments.segment_name
),

final as (
    select
        profiles.segment_id,
        profiles.segment_name,
        profiles.customers,
        profiles.share,
        profiles.silhouette,
        centroid_json.centroid,
        k_summary.chosen_k,
        k_summary.silhouette_by_k
    from profiles
    cross join k_summary
    left join centroid_json
        on centroid_json.segment_id = profiles.segment_id
)

select * from final
