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

{#- The steps are a chain: each step's CTE reads only the one before it and carries forward what
    later steps need (step 1's time, window end and held values; each required step's time at_N and
    row key_N), so no CTE is read twice on the way down: engines that inline CTEs (Spark) would
    otherwise expand the chain exponentially. -#}
{%- set is_any = funnel.order == 'any' %}
{%- set with_exclusions = funnel.exclude_event_types | length > 0 %}
{%- set carried = ['customer_id', 'first_at', 'window_ends_at', 'held_channel', 'held_touchpoint'] %}
{%- if is_any and with_exclusions %}{% do carried.append('excluded_at') %}{% endif %}
{%- do carried.extend(['at_1', 'key_1']) %}

-- each customer's first step-1 candidate: an aggregate (first_row), not a sorted window
{{ f }}first_candidates as (
    select
        candidates.customer_id,
        {{ first_row(
            {
                'candidate_at': 'candidates.candidate_at',
                'row_key': 'candidates.row_key',
                'channel': 'candidates.channel',
                'touchpoint': 'candidates.touchpoint'
            },
            ['candidates.candidate_at', 'candidates.row_key']
        ) }} as picked
    from {{ f }}candidates_1 as candidates
    group by candidates.customer_id
),

{{ f }}start as (
    select
        firsts.customer_id,
        firsts.picked.candidate_at as first_at,
        {%- if funnel.window_days is none %}
        cast(null as timestamp) as window_ends_at,
        {%- else %}
        {{ dbt.dateadd('second', (funnel.window_days * 86400) | int, 'firsts.picked.candidate_at') }}
            as window_ends_at,
        {%- endif %}
        firsts.picked.channel as held_channel,
        firsts.picked.touchpoint as held_touchpoint,
        firsts.picked.candidate_at as at_1,
        firsts.picked.row_key as key_1
    from {{ f }}first_candidates as firsts
),

{{ f }}step_1 as (
    {%- if is_any and with_exclusions %}
    -- order any: an exclusion after step 1 ends the attempt there
    select
        start.customer_id,
        start.first_at,
        start.window_ends_at,
        start.held_channel,
        start.held_touchpoint,
        min(exclusions.excluded_at) as excluded_at,
        start.at_1,
        start.key_1
    from {{ f }}start as start
    left join {{ f }}exclusions as exclusions
        on
        exclusions.customer_id = start.customer_id
        and exclusions.excluded_at > start.at_1
    group by
        start.customer_id,
        start.first_at,
        start.window_ends_at,
        start.held_channel,
        start.held_touchpoint,
        start.at_1,
        start.key_1
    {%- else %}
    select * from {{ f }}start
    {%- endif %}
),

{#- one macro-like block per later step: `anchor` is the CTE the step starts from (strict: the
    previous required step's, with the customers who reached it; any: the previous required step's
    too, which there holds every customer who started, reached or not) -#}
{%- set last_required = {'number': 1} %}
{%- for step in required + optional if step.number > 1 %}
{%- set is_required = not step.is_optional %}
{%- set anchor = step.previous_required if not is_any else (
    step.previous_required if is_required else last_required.number) %}
{%- set following = required | selectattr('number', 'gt', step.number) | list %}
{%- set until = (following | first).number if step.is_optional and following and not is_any else none %}
{#- the rows this step may not take: an earlier required step's (and, for an optional step, the
    next required step's); an nth step names one order, which may be one an earlier step took -#}
{%- set taken = required | selectattr('number', 'lt', step.number) | map(attribute='number')
    | reject('in', step.shares_with) | list if step.nth is none else [] %}
{%- set is_held = funnel.hold_constant and ('events' in step.sources or 'interactions' in step.sources) %}
{#- strict: at or after the previous required step; any: at or after step 1 -#}
{%- set after = 'anchor.first_at' if is_any else 'anchor.at_' ~ step.previous_required %}
{%- set conditions = [
    'candidates.customer_id = anchor.customer_id',
    'candidates.candidate_at >= ' ~ after,
    '(anchor.window_ends_at is null or candidates.candidate_at <= anchor.window_ends_at)'
] %}
{%- if step.within_hours is not none %}
{%- do conditions.append('candidates.candidate_at <= ' ~ dbt.dateadd(
    'second', (step.within_hours * 3600) | int, 'anchor.at_' ~ step.previous_required)) %}
{%- endif %}
{%- if is_held %}
{%- set held = [] %}
{%- for property in funnel.hold_constant %}
{%- do held.append('candidates.' ~ property ~ ' = anchor.held_' ~ property) %}
{%- endfor %}
{%- do conditions.append('(not candidates.is_event or (' ~ held | join(' and ') ~ '))') %}
{%- endif %}
{%- for number in taken %}
{%- do conditions.append(
    '(anchor.key_' ~ number ~ ' is null or candidates.row_key <> anchor.key_' ~ number ~ ')') %}
{%- endfor %}
{%- if until is not none %}
{%- do conditions.append('(next_step.at_' ~ until ~ ' is null or candidates.candidate_at <= next_step.at_'
    ~ until ~ ')') %}
{%- do conditions.append('(next_step.key_' ~ until ~ ' is null or candidates.row_key <> next_step.key_'
    ~ until ~ ')') %}
{%- endif %}
{%- if is_any and with_exclusions %}
{%- do conditions.append('(anchor.excluded_at is null or candidates.candidate_at < anchor.excluded_at)') %}
{%- endif %}

{%- set picked = {} %}
{%- if is_required %}
{%- for column in carried %}
{%- do picked.update({column: 'anchor.' ~ column}) %}
{%- endfor %}
{%- do picked.update({'at_' ~ step.number: 'candidates.candidate_at', 'key_' ~ step.number: 'candidates.row_key'}) %}
{%- else %}
{%- do picked.update({
    'customer_id': 'anchor.customer_id',
    'first_at': 'anchor.first_at',
    'window_ends_at': 'anchor.window_ends_at',
    'previous_at': 'anchor.at_' ~ step.previous_required,
    'reached_at': 'candidates.candidate_at'
}) %}
{%- endif %}

-- the anchor's earliest candidate (first_row: an aggregate per anchor customer, not a sorted window)
{{ f }}step_{{ step.number }}_firsts as (
    select
        anchor.customer_id,
        {{ first_row(picked, ['candidates.candidate_at', 'candidates.row_key']) }} as picked
    from {{ f }}step_{{ anchor }} as anchor
    {%- if until is not none %}
    left join {{ f }}step_{{ until }} as next_step
        on next_step.customer_id = anchor.customer_id
    {%- endif %}
    {{ 'left' if is_any else 'inner' }} join {{ f }}candidates_{{ step.number }} as candidates
        on {{ conditions | join('\n        and ') }}
    {%- if not is_any and with_exclusions %}
    where
        not exists (
            select 1 as found
            from {{ f }}exclusions as exclusions
            where
                exclusions.customer_id = anchor.customer_id
                and exclusions.excluded_at > {{ after }}
                and exclusions.excluded_at <= candidates.candidate_at
        )
    {%- endif %}
    group by anchor.customer_id
),

{{ f }}step_{{ step.number }} as (
    select
        {%- for column in picked %}
        firsts.picked.{{ column }} as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ f }}step_{{ step.number }}_firsts as firsts
),
{%- if is_required %}
{%- do carried.extend(['at_' ~ step.number, 'key_' ~ step.number]) %}
{%- do last_required.update({'number': step.number}) %}
{%- endif %}
{%- endfor %}

{{ f }}reached as (
    {%- for step in funnel.steps %}
    {%- set at = 'reached.at_' ~ step.number if not step.is_optional else 'reached.reached_at' %}
    {%- set previous_at = none if step.previous_required is none else (
        'reached.previous_at' if step.is_optional else 'reached.at_' ~ step.previous_required) %}
    select
        {{ sql_string(funnel.name) }} as funnel_name,
        reached.customer_id,
        {{ step.number }} as step_number,
        {{ sql_string(step.name) }} as step_name,
        {{ 'true' if step.is_optional else 'false' }} as is_optional,
        {{ at }} as reached_at,
        {%- if previous_at is none %}
        cast(null as double) as hours_from_previous,
        {%- else %}
        {{ hours_between(previous_at, at) }} as hours_from_previous,
        {%- endif %}
        {{ hours_between('reached.first_at', at) }} as hours_from_first,
        reached.window_ends_at
    from {{ f }}step_{{ step.number }} as reached
    {%- if is_any %}
    where {{ at }} is not null
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
