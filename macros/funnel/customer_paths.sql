{% macro customer_paths(sessions, orders, customers, max_length) %}
    {#-
        Every customer's path of session channels before the first purchase (int_customer_path_steps,
        which mart_paths_to_purchase and mart_path_transitions read). `customers` (rows like dim_customers) is everyone; a buyer has a
        completed order in `orders` (rows like stg_orders), its first purchase is the earliest one.
        A buyer's path: the entry channels of its `sessions` (rows like fct_sessions) that started
        strictly before the first purchase; a non-buyer's: of all its sessions. In started_at order
        (ties by session_id), a null channel as var no_value_label, consecutive repeats collapsed
        (a, a, b, a: a > b > a), the first `max_length` channels kept and '(more)' after them when
        there are more; '(no sessions)' without a session.
        Emits CTEs ending in `customer_path_steps` (one row per customer and step: the kept
        channels, then '(more)' or '(no sessions)') and `customer_paths` (one row per customer).
    -#}
    path_first_purchases as (
        select
            customer_id,
            min(ordered_at) as first_purchase_at
        from {{ orders }}
        where status = 'completed'
        group by customer_id
    ),

    path_customers as (
        select
            {{ customers }}.customer_id,
            path_first_purchases.first_purchase_at,
            case
                when path_first_purchases.customer_id is not null then 'purchase'
                else 'no_purchase'
            end as outcome
        from {{ customers }}
        left join path_first_purchases
            on path_first_purchases.customer_id = {{ customers }}.customer_id
    ),

    -- the sessions a path is made of, each with the channel of the session before it
    path_sessions as (
        select
            path_customers.customer_id,
            {{ sessions }}.started_at,
            coalesce({{ sessions }}.entry_channel, {{ no_value() }}) as channel,
            lag(coalesce({{ sessions }}.entry_channel, {{ no_value() }})) over (
                partition by path_customers.customer_id
                order by {{ sessions }}.started_at, {{ sessions }}.session_id
            ) as previous_channel,
            row_number() over (
                partition by path_customers.customer_id
                order by {{ sessions }}.started_at, {{ sessions }}.session_id
            ) as session_number
        from path_customers
        inner join {{ sessions }}
            on {{ sessions }}.customer_id = path_customers.customer_id
        where
            path_customers.first_purchase_at is null
            or {{ sessions }}.started_at < path_customers.first_purchase_at
    ),

    -- consecutive repeats collapsed: a session starts a step when its channel differs from the
    -- previous session's
    path_channels as (
        select
            customer_id,
            channel,
            cast(row_number() over (
                partition by customer_id order by session_number
            ) as integer) as step_index
        from path_sessions
        where previous_channel is null or channel <> previous_channel
    ),

    path_channel_counts as (
        select
            customer_id,
            count(*) as channels
        from path_channels
        group by customer_id
    ),

    path_first_sessions as (
        select
            customer_id,
            min(started_at) as first_session_at
        from path_sessions
        group by customer_id
    ),

    path_summaries as (
        select
            path_customers.customer_id,
            path_customers.outcome,
            path_customers.first_purchase_at,
            path_first_sessions.first_session_at,
            coalesce(path_channel_counts.channels, 0) as channels
        from path_customers
        left join path_channel_counts
            on path_channel_counts.customer_id = path_customers.customer_id
        left join path_first_sessions
            on path_first_sessions.customer_id = path_customers.customer_id
    ),

    customer_path_steps as (
        select
            path_summaries.customer_id,
            path_summaries.outcome,
            path_channels.step_index,
            path_channels.channel as step
        from path_summaries
        inner join path_channels
            on path_channels.customer_id = path_summaries.customer_id
        where path_channels.step_index <= {{ max_length }}
        union all
        select
            customer_id,
            outcome,
            cast({{ max_length + 1 }} as integer) as step_index,
            '(more)' as step
        from path_summaries
        where channels > {{ max_length }}
        union all
        select
            customer_id,
            outcome,
            cast(1 as integer) as step_index,
            '(no sessions)' as step
        from path_summaries
        where channels = 0
    ),

    customer_path_strings as (
        select
            customer_id,
            {{ ordered_string_agg('step', "' > '", 'step_index') }} as path
        from customer_path_steps
        group by customer_id
    ),

    customer_paths as (
        select
            path_summaries.customer_id,
            path_summaries.outcome,
            customer_path_strings.path,
            cast(
                case
                    when path_summaries.channels > {{ max_length }} then {{ max_length }}
                    else path_summaries.channels
                end as integer
            ) as path_length,
            path_summaries.channels > {{ max_length }} as is_truncated,
            path_summaries.first_session_at,
            path_summaries.first_purchase_at,
            cast(
                {{ days_between('path_summaries.first_session_at', 'path_summaries.first_purchase_at') }}
                as double
            ) as days_to_purchase
        from path_summaries
        inner join customer_path_strings
            on customer_path_strings.customer_id = path_summaries.customer_id
    )
{% endmacro %}
