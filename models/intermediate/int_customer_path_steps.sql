-- Every customer's path of session channels, computed once for mart_paths_to_purchase and
-- mart_path_transitions (macro customer_paths): one row per customer and step. A buyer's path runs
-- over the sessions that started before the first purchase, a non-buyer's over all of them; in
-- started_at order (ties by session_id), consecutive repeats collapsed, the first var
-- path_max_length channels kept and '(more)' after them; '(no sessions)' without a session. Each
-- row carries its customer's whole path too, so step_index 1 is one row per customer.
-- A table: two marts and the data tests read it.
{{ config(materialized='table') }}
{%- set max_length = path_max_length() %}

with sessions as (
    select * from {{ ref('fct_sessions') }}
),

orders as (
    select * from {{ ref('stg_orders') }}
),

dim_customers as (
    select * from {{ ref('dim_customers') }}
),

{{ customer_paths('sessions', 'orders', 'dim_customers', max_length) }},

final as (
    select
        customer_path_steps.customer_id,
        customer_path_steps.outcome,
        customer_path_steps.step_index,
        customer_path_steps.step,
        customer_paths.path,
        customer_paths.path_length,
        customer_paths.is_truncated,
        customer_paths.first_session_at,
        customer_paths.first_purchase_at,
        customer_paths.days_to_purchase
    from customer_path_steps
    inner join customer_paths
        on customer_paths.customer_id = customer_path_steps.customer_id
)

select * from final
