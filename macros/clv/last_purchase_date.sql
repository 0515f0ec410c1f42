{% macro last_purchase_date() -%}
    {#- The last day with a completed order (UTC): where the purchase-based measures end — the CLV
        calibration (by default) and holdout, and inactivity churn. One definition for all of them;
        activity-based measures (customer features, experiment windows) use last_data_at(). -#}
    (
        select max(cast(ordered_at as date))
        from {{ ref('stg_orders') }}
        where status = 'completed'
    )
{%- endmacro %}
