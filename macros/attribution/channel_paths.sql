{% macro channel_path(channel, order_by) -%}
    {#- A journey's channel path, an aggregate over its touches: the channels in `order_by` order
        joined with ' > ' (ChannelAttribution's separator; journey_metrics.attribution.PATH_SEPARATOR
        splits it). Repeats are kept: "email > email > direct". -#}
    {{ ordered_string_agg(channel, "' > '", order_by) }}
{%- endmacro %}


{% macro channel_set(channel) -%}
    {#- A journey's channel set (its Shapley coalition), an aggregate over rows with distinct
        channels: the channels in ascending order joined with ' + ' (journey_metrics.attribution.
        SET_SEPARATOR splits it). int_channel_paths and fct_attribution_credits both key a coalition
        by it, so an order finds its coalition's Shapley shares. -#}
    {{ ordered_string_agg(channel, "' + '", channel) }}
{%- endmacro %}
