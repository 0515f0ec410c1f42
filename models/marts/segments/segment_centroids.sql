-- One row per segment and clustering feature (var segment_features): the segment's centroid in
-- original units — the mean (and median) of the feature over its members.
with segments as (
    select * from {{ ref('customer_segments') }}
),

features as (
    select * from {{ ref('customer_features') }}
),

long_features as (
    {% for feature in var('segment_features') %}
    select
        customer_id,
        {{ sql_string(feature) }} as feature,
        cast({{ feature }} as double) as value
    from features
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        segments.segment_id,
        segments.segment_name,
        long_features.feature,
        avg(long_features.value) as mean_value,
        median(long_features.value) as median_value
    from long_features
    inner join segments
        on segments.customer_id = long_features.customer_id
    group by segments.segment_id, segments.segment_name, long_features.feature
)

select * from final
