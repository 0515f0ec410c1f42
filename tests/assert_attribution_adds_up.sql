-- Under every attribution model, credited conversions and revenue add up exactly to the completed
-- orders and their revenue.
with orders as (
    select
        count(*) as conversions,
        coalesce(sum(revenue), 0) as revenue
    from {{ ref('stg_orders') }}
    where status = 'completed'
),

credited as (
    select
        attribution_model,
        sum(conversions) as conversions,
        sum(revenue) as revenue
    from {{ ref('mart_channel_attribution') }}
    group by attribution_model
),

models as (
    {{ value_rows(sql_list(var('attribution_models')).split(', '), 'attribution_model') }}
)

select
    models.attribution_model,
    credited.conversions as credited_conversions,
    orders.conversions as total_conversions,
    credited.revenue as credited_revenue,
    orders.revenue as total_revenue
from models
cross join orders
left join credited
    on credited.attribution_model = models.attribution_model
where coalesce(credited.conversions, 0) != orders.conversions
    or coalesce(credited.revenue, 0) != orders.revenue
