-- Per customer, the BG/NBD / Gamma-Gamma inputs at day grain as of the calibration end
-- (var calibration_end, default the last day with a completed order), in var clv_time_unit:
--   frequency      distinct purchase days after the first one (repeat purchases)
--   recency        time from the first to the last purchase day
--   age            time from the first purchase day to the calibration end (T)
--   monetary_value mean completed revenue of the repeat purchase days (null without repeats)
-- and the holdout: purchase days after the calibration end up to the last day of data.
-- Every customer has a row; customers without a completed order by the calibration end have
-- has_purchased = false and no model inputs.
{% set unit_days = clv_unit_days() %}

with customers as (
    select * from {{ ref('stg_customers') }}
),

orders as (
    select * from {{ ref('stg_orders') }}
    where status = 'completed'
),

purchase_days as (
    select
        customer_id,
        cast(ordered_at as date) as purchase_date,
        sum(revenue) as revenue,
        sum(revenue - cost_of_goods) filter (where cost_of_goods is not null) as known_margin,
        sum(revenue) filter (where cost_of_goods is not null) as revenue_with_known_cost
    from orders
    group by customer_id, cast(ordered_at as date)
),

bounds as (
    select
        {% if var('calibration_end') is none -%}
        {{ last_purchase_date() }}
        {%- else -%}
        cast({{ sql_string(var('calibration_end')) }} as date)
        {%- endif %} as calibration_end,
        {{ last_purchase_date() }} as data_end
),

calibration_days as (
    select
        purchase_days.*,
        row_number() over (
            partition by purchase_days.customer_id order by purchase_days.purchase_date
        ) as purchase_number
    from purchase_days
    cross join bounds
    where purchase_days.purchase_date <= bounds.calibration_end
),

calibration as (
    select
        customer_id,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        count(*) - 1 as frequency,
        {{ avg_as_double('revenue', 'purchase_number > 1') }} as monetary_value,
        -- decimals divided as doubles (DuckDB's rule; Spark would keep a decimal)
        cast(sum(known_margin) as double) / cast(nullif(sum(revenue_with_known_cost), 0) as double)
            as margin_ratio
    from calibration_days
    group by customer_id
),

holdout as (
    select
        purchase_days.customer_id,
        count(*) as holdout_purchases
    from purchase_days
    cross join bounds
    where purchase_days.purchase_date > bounds.calibration_end
    group by purchase_days.customer_id
),

population_margin as (
    select
        coalesce(
            cast(sum(known_margin) as double)
            / cast(nullif(sum(revenue_with_known_cost), 0) as double),
            0
        ) as margin_ratio
    from calibration_days
),

final as (
    select
        customers.customer_id,
        calibration.customer_id is not null as has_purchased,
        calibration.first_purchase_date,
        calibration.last_purchase_date,
        calibration.frequency,
        {{ dates_between('calibration.first_purchase_date', 'calibration.last_purchase_date') }}
        / {{ unit_days }}e0 as recency,
        {{ dates_between('calibration.first_purchase_date', 'bounds.calibration_end') }}
        / {{ unit_days }}e0 as age,
        calibration.monetary_value,
        coalesce(calibration.margin_ratio, population_margin.margin_ratio) as margin_ratio,
        case
            when calibration.customer_id is not null then coalesce(holdout.holdout_purchases, 0)
        end
            as holdout_purchases,
        {{ dates_between('bounds.calibration_end', 'bounds.data_end') }} / {{ unit_days }}e0
            as holdout_length,
        bounds.calibration_end,
        '{{ var('clv_time_unit') }}' as time_unit
    from customers
    cross join bounds
    cross join population_margin
    left join calibration
        on calibration.customer_id = customers.customer_id
    left join holdout
        on holdout.customer_id = customers.customer_id
)

select * from final
