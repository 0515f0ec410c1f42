{#
    Change detection of the customer-keyed incremental models (int_events_sessionised,
    int_sessions_aggregated, fct_touchpoints). They compare what is upstream with what they stored
    instead of stamping rows with the run that wrote them, so a model built in a later, separate
    run still sees every change.
#}


{% macro customers_with_changed_event_counts(current, stored, stored_events='count(*)') %}
    {#-
        A select of the customers whose number of rows in `current` differs from their number in
        `stored` (an incremental model's own table; `stored_events` counts them when its rows are not
        events, e.g. 'sum(events)' for sessions), including customers only in one of them. Events are
        immutable and only ever added, so a customer's events changed exactly when the count did.
    -#}
    select coalesce(current_counts.customer_id, stored_counts.customer_id) as customer_id
    from (
        select
            customer_id,
            count(*) as events
        from {{ current }}
        group by customer_id
    ) as current_counts
    full outer join (
        select
            customer_id,
            {{ stored_events }} as events
        from {{ stored }}
        group by customer_id
    ) as stored_counts
        on stored_counts.customer_id = current_counts.customer_id
    where current_counts.events is distinct from stored_counts.events
{% endmacro %}
