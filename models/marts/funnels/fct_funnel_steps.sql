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
--   - source orders: a completed order; nth: the customer's nth completed order (ties by order id);
--     interactions: any event or order (the first interaction, stage awareness of
--     fct_customer_stages); referrals: a referral the customer sent; promoter_responses: a survey
--     answer with NPS at or above var promoter_min_score; a list of sources: any of them;
--   - one event or order serves one step: a step never takes the row an earlier required step took
--     (so two order steps are two orders), and an optional step never the next required step's;
--     an nth step names one order, which may be the one an earlier step took; shares_with lists
--     earlier steps whose row a step may take too.
{%- set funnels = funnel_definitions() %}

with events as (
    select * from {{ ref('int_events_sessionised') }}
),

orders as (
    select * from {{ ref('stg_orders') }}
),

referrals as (
    select * from {{ ref('stg_referrals') }}
),

survey_responses as (
    select * from {{ ref('stg_survey_responses') }}
),

stage_map as (
    select * from {{ ref('stage_map') }}
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
    {%- for source in step.sources %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    {%- if source in ['events', 'interactions'] %}
    select
        events.customer_id,
        events.occurred_at as candidate_at,
        'event:' || events.event_id as row_key,
        true as is_event,
        events.channel,
        events.touchpoint
    from events
    {%- if source == 'events' and step.stage is not none %}
    where events.event_type in (
        select stage_map.event_type
        from stage_map
        where stage_map.stage = {{ sql_string(step.stage) }}
    )
    {%- elif source == 'events' %}
    where events.event_type in ({{ sql_list(step.event_types) }})
    {%- endif %}
    {%- endif %}
    {%- if source == 'interactions' %}
    union all
    select
        orders.customer_id,
        orders.ordered_at as candidate_at,
        'order:' || orders.order_id as row_key,
        false as is_event,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as touchpoint
    from orders
    {%- elif source == 'orders' %}
    select
        completed_orders.customer_id,
        completed_orders.ordered_at as candidate_at,
        'order:' || completed_orders.order_id as row_key,
        false as is_event,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as touchpoint
    from completed_orders
    {%- if step.nth is not none %}
    where completed_orders.order_number = {{ step.nth }}
    {%- endif %}
    {%- elif source == 'referrals' %}
    select
        referrals.referrer_customer_id as customer_id,
        referrals.sent_at as candidate_at,
        'referral:' || referrals.referral_id as row_key,
        false as is_event,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as touchpoint
    from referrals
    {%- elif source == 'promoter_responses' %}
    select
        survey_responses.customer_id,
        survey_responses.responded_at as candidate_at,
        'response:' || survey_responses.response_id as row_key,
        false as is_event,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as touchpoint
    from survey_responses
    where survey_responses.nps_score >= {{ var('promoter_min_score') }}
    {%- endif %}
    {%- endfor %}
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
        candidates.row_key as reached_key,
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
            order by candidates.candidate_at asc, candidates.row_key asc
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
{#- the rows this step may not take: an earlier required step's (and, for an optional step, the
    next required step's); an nth step names one order, which may be one an earlier step took -#}
{%- set taken = required | selectattr('number', 'lt', step.number) | map(attribute='number')
    | reject('in', step.shares_with) | list if step.nth is none else [] %}
{%- if item.until is not none %}
{%- do taken.append(item.until) %}
{%- endif %}
{%- set is_held = funnel.hold_constant and ('events' in step.sources or 'interactions' in step.sources) %}

{{ f }}step_{{ step.number }} as (
    select
        anchor.customer_id,
        candidates.candidate_at as reached_at,
        candidates.row_key as reached_key
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
        {%- if is_held %}
        and (
            not candidates.is_event
            or (
                {%- for property in funnel.hold_constant %}
                {{ 'and ' if not loop.first }}candidates.{{ property }} = first_step.held_{{ property }}
                {%- endfor %}
            )
        )
        {%- endif %}
    {%- for number in taken %}
    left join {{ f }}step_{{ number }} as taken_{{ number }}
        on taken_{{ number }}.customer_id = anchor.customer_id
    {%- endfor %}
    where
        true
        {%- for number in taken %}
        and (
            taken_{{ number }}.reached_key is null
            or candidates.row_key <> taken_{{ number }}.reached_key
        )
        {%- endfor %}
        {%- if item.until is not none %}
        and (taken_{{ item.until }}.reached_at is null or candidates.candidate_at <= taken_{{ item.until }}.reached_at)
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
    qualify
        row_number() over (
            partition by anchor.customer_id
            order by candidates.candidate_at asc, candidates.row_key asc
        ) = 1
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
