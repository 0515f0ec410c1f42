-- Every raw row that did not reach its staging model, with the reason. Together with the stg_
-- models this accounts for every raw row: raw rows = staged rows + rejected rows, per table.
-- A table, built once a run: its data tests and the reconciliation test read it, and a view would
-- repeat the anti-join of every event against the customers for each of them.
{{ config(materialized='table') }}
{% set tables = raw_table_names() %}

with
{% for table_name in tables %}
{{ table_name }}_rejected as (
    select
        '{{ table_name }}' as source_table,
        source_key,
        rejection_reason as reason,
        record,
        source_file
    from {{ ref('base_' ~ table_name) }}
    where rejection_reason is not null
),
{% endfor %}

-- events whose rules passed in base_events but whose customer is not in stg_customers (checked at
-- query time, see stg_events); their record is rebuilt from the typed values
events_unknown_customer as (
    select
        'events' as source_table,
        base_events.source_key,
        'unknown_customer' as reason,
        {{ json_object([
            ['event_id', 'base_events.event_id'],
            ['customer_id', 'base_events.customer_id'],
            ['occurred_at', 'base_events.occurred_at'],
            ['event_type', 'base_events.event_type'],
            ['channel', 'base_events.channel'],
            ['touchpoint', 'base_events.touchpoint'],
            ['session_id', 'base_events.session_id'],
        ]) }} as record,
        base_events.source_file
    from {{ ref('base_events') }} as base_events
    anti join {{ ref('stg_customers') }} as customers
        on customers.customer_id = base_events.customer_id
    where base_events.rejection_reason is null
),

unioned as (
    {% for table_name in tables %}
    select * from {{ table_name }}_rejected
    union all
    {% endfor %}
    select * from events_unknown_customer
)

select * from unioned
