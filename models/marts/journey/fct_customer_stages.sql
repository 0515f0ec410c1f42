with stages_reached as (
    select * from {{ ref('int_customer_stages_reached') }}
),

customers as (
    select * from {{ ref('stg_customers') }}
),

events as (
    -- the staged events (stg_events) as a table: the view would join its customers again
    select * from {{ ref('int_events_sessionised') }}
),

-- the channel of the customer's first event (ties by event id), when that event is the first
-- interaction: an aggregate (first_row), not a window sorting every event
first_events as (
    select
        events.customer_id,
        {{ first_row(
            {'occurred_at': 'events.occurred_at', 'channel': 'events.channel'},
            ['events.occurred_at', 'events.event_id']
        ) }} as picked
    from events
    group by events.customer_id
),

first_event as (
    select
        first_events.customer_id,
        first_events.picked.occurred_at,
        first_events.picked.channel
    from first_events
),

awareness as (
    select
        stages_reached.customer_id,
        stages_reached.reached_at as awareness_at,
        {{ month_start('stages_reached.reached_at') }} as cohort_month,
        coalesce(
            case
                when first_event.occurred_at = stages_reached.reached_at then first_event.channel
            end,
            customers.acquisition_channel,
            {{ no_value() }}
        ) as acquisition_channel
    from stages_reached
    left join first_event
        on first_event.customer_id = stages_reached.customer_id
    left join customers
        on customers.customer_id = stages_reached.customer_id
    where stages_reached.stage = 'awareness'
),

final as (
    select
        stages_reached.customer_id,
        stages_reached.stage,
        stages_reached.stage_order,
        stages_reached.reached_at,
        awareness.cohort_month,
        awareness.acquisition_channel,
        {{ hours_between(
            'lag(stages_reached.reached_at) over (partition by stages_reached.customer_id order by stages_reached.stage_order)',
            'stages_reached.reached_at'
        ) }} as hours_from_previous_stage
    from stages_reached
    inner join awareness
        on awareness.customer_id = stages_reached.customer_id
)

select * from final
