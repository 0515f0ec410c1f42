-- The user-defined funnels of var funnels (macro funnel_definitions checks them): one row per
-- funnel, customer and step reached. Rules (docs: models/marts/funnels/_funnels.yml):
--   - a customer's attempt starts at their first step-1 event (or order), ties by event id;
--   - order strict: each required step is the earliest qualifying event at or after the previous
--     required step, inside the window (window_days after step 1) and, with within_hours, at most
--     that long after the previous required step; order any: the earliest qualifying event at or
--     after step 1, inside the window;
--   - an optional step counts when it happens between the previous required step and the next
--     required one (or the window's end) and never moves or blocks the next required step;
--   - an excluded event after the previous required step and at or before a candidate ends the
--     attempt there: no later step is reached;
--   - hold_constant: every event step's event has step 1's value of each listed property (orders
--     have no channel or touchpoint: order steps are not held);
--   - source orders: a completed order; nth: the customer's nth completed order (ties by order id).
-- depends_on: {{ ref('stage_map') }}
{%- set funnels = funnel_definitions() %}

with events as (
    select * from {{ ref('int_events_sessionised') }}
),

orders as (
    select * from {{ ref('stg_orders') }}
),

completed_orders as (
    select
        orders.customer_id,
        orders.order_id,
        orders.ordered_at,
        row_number() over (
            partition by orders.customer_id
            order by orders.ordered_at asc, orders.order_id asc
        ) as order_number
    from orders
    where orders.status = 'completed'
),

{%- for funnel in funnels %}
{%- set f = 'f' ~ loop.index ~ '_' %}
{%- set required = funnel.steps | rejectattr('is_optional') | list %}
{%- set optional = funnel.steps | selectattr('is_optional') | list %}

-- funnel {{ funnel.name }}: each step's candidate events or orders
{%- for step in funnel.steps %}

{{ f }}candidates_{{ step.number }} as (
    {%- if step.source == 'events' %}
    select
        events.customer_id,
        events.occurred_at as candidate_at,
        events.event_id as tie_key,
        events.channel,
        events.touchpoint
    from events
    where events.event_type in ({{ sql_list(step.event_types) }})
    {%- else %}
    select
        completed_orders.customer_id,
        completed_orders.ordered_at as candidate_at,
        completed_orders.order_id as tie_key,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as touchpoint
    from completed_orders
    {%- if step.nth is not none %}
    where completed_orders.order_number = {{ step.nth }}
    {%- endif %}
    {%- endif %}
),
{%- endfor %}

{%- if funnel.exclude_event_types %}

{{ f }}exclusions as (
    select
        events.customer_id,
        events.occurred_at as excluded_at
    from events
    where events.event_type in ({{ sql_list(funnel.exclude_event_types) }})
),
{%- endif %}

{{ f }}step_1 as (
    select
        candidates.customer_id,
        candidates.candidate_at as reached_at,
        candidates.channel as held_channel,
        candidates.touchpoint as held_touchpoint,
        {%- if funnel.window_days is none %}
        cast(null as timestamp) as window_ends_at
        {%- else %}
        {{ dbt.dateadd('second', (funnel.window_days * 86400) | int, 'candidates.candidate_at') }}
            as window_ends_at
        {%- endif %}
    from {{ f }}candidates_1 as candidates
    qualify
        row_number() over (
            partition by candidates.customer_id
            order by candidates.candidate_at asc, candidates.tie_key asc
        ) = 1
),

{#- every later step: the earliest qualifying candidate at or after its anchor (the previous
    required step; step 1 in order any), bounded above by `until` (for an optional step, the next
    required step). Required steps first: an optional step reads the one after it. -#}
{%- set later = [] %}
{%- for step in required if step.number > 1 %}
{%- do later.append({
    'step': step,
    'anchor': step.previous_required if funnel.order == 'strict' else 1,
    'until': none
}) %}
{%- endfor %}
{%- for step in optional %}
{%- set following = required | selectattr('number', 'gt', step.number) | list %}
{%- do later.append({
    'step': step,
    'anchor': step.previous_required if funnel.order == 'strict' else 1,
    'until': (following | first).number if following and funnel.order == 'strict' else none
}) %}
{%- endfor %}

{%- for item in later %}
{%- set step = item.step %}

{{ f }}step_{{ step.number }} as (
    select
        anchor.customer_id,
        min(candidates.candidate_at) as reached_at
    from {{ f }}step_{{ item.anchor }} as anchor
    inner join {{ f }}step_1 as first_step
        on first_step.customer_id = anchor.customer_id
    inner join {{ f }}candidates_{{ step.number }} as candidates
        on candidates.customer_id = anchor.customer_id
        and candidates.candidate_at >= anchor.reached_at
        and (
            first_step.window_ends_at is null
            or candidates.candidate_at <= first_step.window_ends_at
        )
        {%- if step.within_hours is not none %}
        and candidates.candidate_at
        <= {{ dbt.dateadd('second', (step.within_hours * 3600) | int, 'anchor.reached_at') }}
        {%- endif %}
        {%- if step.source == 'events' %}
        {%- for property in funnel.hold_constant %}
        and candidates.{{ property }} = first_step.held_{{ property }}
        {%- endfor %}
    {%- endif %}
    {%- if item.until is not none %}
    left join {{ f }}step_{{ item.until }} as next_step
        on next_step.customer_id = anchor.customer_id
    {%- endif %}
    where
        true
        {%- if item.until is not none %}
        and (next_step.reached_at is null or candidates.candidate_at <= next_step.reached_at)
        {%- endif %}
    {%- if funnel.exclude_event_types %}
        and not exists (
            select 1 as found
            from {{ f }}exclusions as exclusions
            where
                exclusions.customer_id = anchor.customer_id
                and exclusions.excluded_at > anchor.reached_at
                and exclusions.excluded_at <= candidates.candidate_at
        )
        {%- endif %}
    group by anchor.customer_id
),
{%- endfor %}

{{ f }}reached as (
    {%- for step in funnel.steps %}
    select
        {{ sql_string(funnel.name) }} as funnel_name,
        reached.customer_id,
        {{ step.number }} as step_number,
        {{ sql_string(step.name) }} as step_name,
        {{ 'true' if step.is_optional else 'false' }} as is_optional,
        reached.reached_at,
        {%- if step.previous_required is none %}
        cast(null as double) as hours_from_previous,
        {%- else %}
        {{ hours_between('previous.reached_at', 'reached.reached_at') }} as hours_from_previous,
        {%- endif %}
        {{ hours_between('first_step.reached_at', 'reached.reached_at') }} as hours_from_first,
        first_step.window_ends_at
    from {{ f }}step_{{ step.number }} as reached
    inner join {{ f }}step_1 as first_step
        on first_step.customer_id = reached.customer_id
    {%- if step.previous_required is not none %}
    left join {{ f }}step_{{ step.previous_required }} as previous
        on previous.customer_id = reached.customer_id
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),
{%- endfor %}

final as (
    {%- for funnel in funnels %}
    select * from f{{ loop.index }}_reached
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as funnel_name,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as integer) as step_number,
        cast(null as {{ dbt.type_string() }}) as step_name,
        cast(null as boolean) as is_optional,
        cast(null as timestamp) as reached_at,
        cast(null as double) as hours_from_previous,
        cast(null as double) as hours_from_first,
        cast(null as timestamp) as window_ends_at
    where false
    {%- endfor %}
)

select * from final
