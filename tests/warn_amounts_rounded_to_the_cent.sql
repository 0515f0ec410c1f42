-- Amounts are decimal(18, 2): a value with more decimals is rounded to the cent in staging
-- (12.345 becomes 12.35) and staged, not rejected. Severity warn: the business should know its
-- export carries sub-cent values. One row per table and column with such values, and an example.
-- Exponent notation that lands on the cent (1e3 = 1000.00) is exact, so not counted; a value
-- beyond decimal(18, 2) is rejected as invalid_number, so not counted either.
{{ config(severity='warn') }}

with orders as (
    select * from {{ ref('raw_orders') }}
),

costs as (
    select * from {{ ref('raw_activity_costs') }}
),

amounts as (
    select
        'orders' as source_table,
        'revenue' as column_name,
        trim(revenue) as amount_text
    from orders
    union all
    select
        'orders' as source_table,
        'cost_of_goods' as column_name,
        trim(cost_of_goods) as amount_text
    from orders
    union all
    select
        'activity_costs' as source_table,
        'cost' as column_name,
        trim(cost) as amount_text
    from costs
),

rounded as (
    select
        source_table,
        column_name,
        amount_text
    from amounts
    -- the cent value, back in floating point, differs from the text's own value
    where try_cast(amount_text as double) <> cast({{ to_amount('amount_text') }} as double)
)

select
    source_table,
    column_name,
    count(*) as rounded_values,
    min(amount_text) as example
from rounded
group by source_table, column_name
