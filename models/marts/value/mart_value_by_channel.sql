-- How value differs across acquisition channels: one row per channel of first interaction.
with customer_value as (
    select * from {{ ref('mart_customer_value') }}
),

final as (
    select
        acquisition_channel,
        count(*) as customers,
        count(*) filter (where orders > 0) as buyers,
        sum(revenue) as revenue,
        sum(gross_margin) as gross_margin,
        sum(cost_to_serve) as cost_to_serve,
        sum(contribution) as contribution,
        -- decimals divided as doubles (DuckDB's rule; Spark would keep a decimal)
        cast(sum(contribution) as double) / count(*) as contribution_per_customer,
        avg(predicted_clv) as avg_predicted_clv,
        sum(predicted_clv) as predicted_clv
    from customer_value
    group by acquisition_channel
)

select * from final
