with checked as (
    select * from {{ ref('base_experiment_assignments') }}
),

staged as (
    select
        experiment_id,
        customer_id,
        assigned_at,
        factor,
        level
    from checked
    where rejection_reason is null
)

select * from staged
