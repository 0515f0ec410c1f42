with stages_reached as (
    select * from {{ ref('int_customer_stages_reached') }}
),

customers as (
    select * from {{ ref('stg_customers') }}
),

events as (
    select * from {{ ref('stg_events') }}
),

-- the channel of the customer's first event, when that event is the first interaction
first_event as (
    select
        customer_id,
        occurred_at,
        channel
    from events
    qualify row_number() over (partition by customer_id order by occurred_at, event_id) = 1
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
