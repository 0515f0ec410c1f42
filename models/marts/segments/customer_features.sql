-- One row per customer: the customer-level features the segmentation (python_models/
-- customer_segments.py) clusters on, prepared in SQL as of the last day of data. Besides counts,
-- it holds rates and shares (per order, per month as a buyer, share of events): counts grow with
-- tenure, rates and shares describe behaviour, so customers acquired early and late compare fairly.
with customers as (
    select * from {{ ref('dim_customers') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

touchpoints as (
    select * from {{ ref('fct_touchpoints') }}
),

sessions as (
    select * from {{ ref('fct_sessions') }}
),

tickets as (
    select * from {{ ref('stg_support_tickets') }}
),

responses as (
    select * from {{ ref('stg_survey_responses') }}
),

referrals as (
    select * from {{ ref('stg_referrals') }}
),

as_of as (
    select
        cast({{ last_data_at() }} as date) as as_of_date
),

purchases as (
    select
        customer_id,
        count(*) as frequency,
        cast(sum(revenue) as decimal(38, 2)) as monetary,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at
    from orders
    where is_completed
    group by customer_id
),

engagement as (
    select
        customer_id,
        count(*) as events,
        count(*) filter (where stage = 'consideration') as consideration_events,
        -- how long the path to the first purchase was (is_before_first_purchase is null for
        -- customers who never bought: they count 0 here and get null in final)
        count(*) filter (where stage = 'consideration' and is_before_first_purchase)
            as consideration_events_before_first_order
    from touchpoints
    group by customer_id
),

session_counts as (
    select
        customer_id,
        count(*) as sessions
    from sessions
    group by customer_id
),

support as (
    select
        customer_id,
        count(*) as tickets,
        {% for category in var('ticket_categories') %}
        count(*) filter (where category = {{ sql_string(category) }}) as tickets_{{ category }},
        {% endfor %}
        count(*) filter (
            where category not in ({{ sql_list(var('ticket_categories')) }}) or category is null
        )
            as tickets_other,
        avg({{ hours_between('opened_at', 'resolved_at') }}) as avg_resolution_hours
    from tickets
    group by customer_id
),

nps as (
    select
        customer_id,
        {{ arg_max('nps_score', 'responded_at') }} as latest_nps,
        avg(nps_score) as avg_nps,
        count(*) as nps_responses
    from responses
    where nps_score is not null
    group by customer_id
),

referrals_sent as (
    select
        referrer_customer_id as customer_id,
        count(*) as referrals_sent
    from referrals
    group by referrer_customer_id
),

final as (
    select
        customers.customer_id,
        coalesce(
            {{ dates_between('cast(customers.awareness_at as date)', 'as_of.as_of_date') }}, 0
        ) as tenure_days,
        coalesce(
            {{ dates_between('cast(purchases.last_order_at as date)', 'as_of.as_of_date') }},
            {{ dates_between('cast(customers.awareness_at as date)', 'as_of.as_of_date') }},
            0
        ) as recency_days,
        coalesce(purchases.frequency, 0) as frequency,
        coalesce(purchases.monetary, 0) as monetary,
        -- decimals divided as doubles (DuckDB's rule; Spark would keep a decimal)
        cast(purchases.monetary as double) / purchases.frequency as avg_order_value,
        -- a rate, so early and late buyers compare: completed orders per calendar month since the
        -- first one (its month and the current month both count)
        purchases.frequency
        / ({{ months_between('cast(purchases.first_order_at as date)', 'as_of.as_of_date') }} + 1)
            as orders_per_month,
        coalesce(engagement.events, 0) as events,
        coalesce(session_counts.sessions, 0) as sessions,
        coalesce(engagement.consideration_events, 0) as consideration_events,
        -- share of the customer's tracked events spent browsing and comparing
        coalesce(engagement.consideration_events, 0)
        / nullif(engagement.events, 0) as consideration_share,
        case
            when purchases.frequency > 0
                then coalesce(engagement.consideration_events_before_first_order, 0)
        end as consideration_events_before_first_order,
        coalesce(support.tickets, 0) as tickets,
        -- support contacts per completed order (the contact rate), null without orders
        coalesce(support.tickets, 0) / purchases.frequency as tickets_per_order,
        {% for category in var('ticket_categories') %}
        coalesce(support.tickets_{{ category }}, 0) as tickets_{{ category }},
        {% endfor %}
        coalesce(support.tickets_other, 0) as tickets_other,
        support.avg_resolution_hours,
        nps.latest_nps,
        -- mean of all the customer's NPS answers: steadier than the latest one alone
        nps.avg_nps,
        coalesce(nps.nps_responses, 0) as nps_responses,
        coalesce(referrals_sent.referrals_sent, 0) as referrals_sent,
        customers.furthest_stage,
        customers.furthest_stage_order
    from customers
    cross join as_of
    left join purchases
        on purchases.customer_id = customers.customer_id
    left join engagement
        on engagement.customer_id = customers.customer_id
    left join session_counts
        on session_counts.customer_id = customers.customer_id
    left join support
        on support.customer_id = customers.customer_id
    left join nps
        on nps.customer_id = customers.customer_id
    left join referrals_sent
        on referrals_sent.customer_id = customers.customer_id
)

select * from final
