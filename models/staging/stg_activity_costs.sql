with checked as (
    select * from {{ ref('base_activity_costs') }}
),

staged as (
    select
        period_month,
        activity,
        cost,
        driver
    from checked
    where rejection_reason is null
)

select * from staged
