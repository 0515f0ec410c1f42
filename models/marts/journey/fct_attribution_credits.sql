-- Credit for each completed order, shared among its touches (int_order_touches: sessions by
-- default), under the models of var attribution_models (default all seven):
--   first_touch     all credit to the earliest touch
--   last_touch      all credit to the latest touch
--   linear          equal shares
--   time_decay      shares proportional to 0.5 ^ (days before the order /
--                   attribution_half_life_days)
--   position_based  attribution_first_touch_weight to the first, attribution_last_touch_weight to
--                   the last, the rest split evenly among the middle ones (one touch: all; two:
--                   first and last in proportion to their weights)
--   markov          each channel of the order in proportion to its Markov removal-effect share
--                   (attribution_removal_effects), split evenly among that channel's touches
--   shapley         each channel of the order its Shapley share in the order's channel set
--                   (attribution_shapley_shares), split evenly among that channel's touches
-- (markov and shapley: when the order's channels all weigh 0, its touches share equally)
-- Credits are rounded by the largest-remainder method (macro largest_remainder: revenue to the
-- cent, conversions to 1e-12 in the same order), so every credit is within one unit of its exact
-- share and every order's credits add up exactly to 1 conversion and to its revenue. An order with
-- one touch, and the first- and last-touch models, have one touch weighing 1 and the rest 0: those
-- skip the method's windows (largest_remainder's sole_winner), with the same result.
{%- set half_life = var('attribution_half_life_days') %}
{#- the oldest touch's time-decay weight must stay above largest_remainder's 1e-18 weight floor -#}
{%- if half_life <= 0 or 0.5 ** (var('attribution_lookback_days') / half_life) < 1e-15 %}
    {{ exceptions.raise_compiler_error(
        "var attribution_half_life_days (" ~ half_life ~ ") must be positive and at least 1/50 of"
        ~ " attribution_lookback_days (" ~ var('attribution_lookback_days') ~ ")"
    ) }}
{%- endif %}
{%- set known_models = [
    'first_touch', 'last_touch', 'linear', 'time_decay', 'position_based', 'markov', 'shapley'
] %}
{%- for model_name in var('attribution_models') if model_name not in known_models %}
    {{ exceptions.raise_compiler_error(
        "var attribution_models: unknown model '" ~ model_name ~ "' (known: "
        ~ known_models | join(', ') ~ ")"
    ) }}
{%- endfor %}
{%- set first_weight = var('attribution_first_touch_weight') %}
{%- set last_weight = var('attribution_last_touch_weight') %}

with touches as (
    select * from {{ ref('int_order_touches') }}
),

removal_effects as (
    select * from {{ ref('attribution_removal_effects') }}
),

shapley_shares as (
    select * from {{ ref('attribution_shapley_shares') }}
),

order_channels as (
    select
        order_id,
        channel,
        count(*) as channel_touches
    from touches
    where touches > 0
    group by order_id, channel
),

order_channel_sets as (
    select
        order_id,
        {{ channel_set('channel') }} as channel_set
    from order_channels
    group by order_id
),

-- the data-driven models' weight of each touch: its channel's weight in the order, shared evenly
-- among the channel's touches
touch_weights as (
    select
        touches.order_id,
        touches.touch_number,
        coalesce(removal_effects.removal_effect_share, 0.0)
        / order_channels.channel_touches as markov_weight,
        coalesce(shapley_shares.shapley_share, 0.0)
        / order_channels.channel_touches as shapley_weight
    from touches
    inner join order_channels
        on order_channels.order_id = touches.order_id
        and order_channels.channel = touches.channel
    inner join order_channel_sets
        on order_channel_sets.order_id = touches.order_id
    left join removal_effects
        on removal_effects.channel = touches.channel
    left join shapley_shares
        on shapley_shares.channel_set = order_channel_sets.channel_set
        and shapley_shares.channel = touches.channel
),

-- one row per touch with its data-driven weights, joined before the models multiply the rows
by_touch as (
    select
        touches.order_id,
        touches.touch_number,
        touches.touches,
        touches.revenue,
        touches.days_before_order,
        touch_weights.markov_weight,
        touch_weights.shapley_weight
    from touches
    left join touch_weights
        on touch_weights.order_id = touches.order_id
        and touch_weights.touch_number = touches.touch_number
),

attribution_models as (
    {% for model_name in var('attribution_models') %}
    select '{{ model_name }}' as attribution_model
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- only the columns the allocation needs: its windows sort every column they carry, so the
-- touches' descriptive columns are joined back afterwards
weighted as (
    select
        by_touch.order_id,
        by_touch.touch_number,
        by_touch.revenue,
        attribution_models.attribution_model,
        -- one touch weighs 1 and the others 0: the allocation's shortcut (sole_winner)
        by_touch.touches <= 1
        or attribution_models.attribution_model in ('first_touch', 'last_touch') as has_sole_winner,
        case
            when by_touch.touches <= 1 then 1.0
            when attribution_models.attribution_model = 'first_touch'
                then case when by_touch.touch_number = 1 then 1.0 else 0.0 end
            when attribution_models.attribution_model = 'last_touch'
                then case when by_touch.touch_number = by_touch.touches then 1.0 else 0.0 end
            when attribution_models.attribution_model = 'linear' then 1.0 / by_touch.touches
            when attribution_models.attribution_model = 'time_decay'
                then power(0.5, by_touch.days_before_order / {{ half_life }})
            when attribution_models.attribution_model = 'position_based' and by_touch.touches = 2
                then
                    case
                        when by_touch.touch_number = 1 then {{ first_weight }}
                        else {{ last_weight }}
                    end
                    / ({{ first_weight }} + {{ last_weight }})
            when attribution_models.attribution_model = 'position_based'
                then
                    case
                        when by_touch.touch_number = 1 then {{ first_weight }}
                        when by_touch.touch_number = by_touch.touches then {{ last_weight }}
                        else (1.0 - {{ first_weight }} - {{ last_weight }}) / (by_touch.touches - 2)
                    end
            when attribution_models.attribution_model = 'markov' then by_touch.markov_weight
            when attribution_models.attribution_model = 'shapley' then by_touch.shapley_weight
        end as weight
    from by_touch
    cross join attribution_models
),

credited as (
    {{ largest_remainder(
        'weighted',
        weight='weight',
        partition_by=['attribution_model', 'order_id'],
        tie_key=['attribution_model', 'order_id', 'touch_number'],
        sole_winner='has_sole_winner',
        outputs=[
            {'amount': 'revenue', 'output': 'revenue_credit'},
            {'amount': '1', 'output': 'conversion_credit', 'decimals': 12},
        ]
    ) }}
),

final as (
    select
        touches.order_id,
        touches.customer_id,
        touches.ordered_at,
        credited.attribution_model,
        touches.touch_number,
        touches.touches,
        touches.session_id,
        touches.channel,
        touches.touchpoint,
        credited.conversion_credit,
        cast(credited.revenue_credit as decimal(18, 2)) as revenue_credit
    from credited
    inner join touches
        on touches.order_id = credited.order_id
        and touches.touch_number = credited.touch_number
)

select * from final
