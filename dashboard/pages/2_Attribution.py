"""Attribution: which channels and touchpoints earn the conversions and revenue, under each model."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

import marts
import ui

MODELS = ["first_touch", "last_touch", "linear", "time_decay", "position_based", "markov", "shapley"]

ui.header(
    "Attribution",
    "Which channels and touchpoints earn the conversions and the revenue — and how much does the answer "
    "depend on the attribution model? Every model shares out the same completed orders.",
    ["mart_channel_attribution", "fct_attribution_credits", "mart_markov_removal_effects", "mart_shapley_values"],
)

everything = ui.load("mart_channel_attribution")
span = None
if everything is not None:
    span = ui.load("fct_attribution_credits", columns="min(ordered_at) as first_at, max(ordered_at) as last_at")
if span is not None:
    first, last = span.iloc[0]["first_at"].date(), span.iloc[0]["last_at"].date()
    filters = st.columns([2, 2])
    with filters[0]:
        start, end = ui.date_range(first, last, "Orders placed between", "attribution_dates")
    if (start.date(), end.date()) == (first, last):
        credits = everything
    else:
        # the mart sums every order; for a date range, sum its source (one row per order, model and touch)
        credits = ui.load(
            "fct_attribution_credits",
            columns="attribution_model, channel, touchpoint, sum(conversion_credit) as conversions, "
            "sum(revenue_credit) as revenue, count(distinct order_id) as orders_touched",
            where="ordered_at >= ? and ordered_at < ? + interval 1 day",
            params=(start.to_pydatetime(), end.to_pydatetime()),
            group_by="attribution_model, channel, touchpoint",
        )
        if credits is not None:
            totals = credits.groupby("attribution_model")[["conversions", "revenue"]].transform("sum")
            credits["conversion_share"] = credits["conversions"] / totals["conversions"]
            credits["revenue_share"] = credits["revenue"] / totals["revenue"]
    if credits is not None:
        with filters[1]:
            channels = ui.choose("Channels", sorted(credits["channel"].unique()), "attribution_channels")
        models = [m for m in MODELS if m in set(credits["attribution_model"])] + sorted(
            set(credits["attribution_model"]) - set(MODELS)
        )
        one_model = credits[credits["attribution_model"] == models[0]]
        cols = st.columns(3)
        cols[0].metric(
            "Completed orders attributed",
            ui.number(one_model["conversions"].sum(), 0),
            help=marts.describe("mart_channel_attribution", "conversions"),
        )
        cols[1].metric(
            "Revenue attributed",
            ui.money(one_model["revenue"].sum()),
            help="The same under every model: each order's revenue is shared among its touches.",
        )
        cols[2].metric("Models compared", f"{len(models)}")

        shown = credits[ui.matches(credits["channel"], channels)]
        by_channel = shown.groupby(["attribution_model", "channel"], as_index=False)[
            ["conversions", "revenue", "conversion_share", "revenue_share"]
        ].sum()
        order = by_channel.groupby("channel")["revenue"].sum().sort_values(ascending=False).index.tolist()
        left, right = st.columns(2)
        with left:
            figure = px.bar(
                by_channel,
                x="channel",
                y="revenue",
                color="attribution_model",
                barmode="group",
                category_orders={"channel": order, "attribution_model": models},
                labels={"channel": "Channel", "revenue": "Revenue credited", "attribution_model": "Model"},
                title="Revenue credited by channel, each model side by side",
            )
            ui.chart(figure, "attribution_revenue")
        with right:
            shares = by_channel.pivot(index="channel", columns="attribution_model", values="conversion_share")
            shares = shares.reindex(index=order, columns=[m for m in models if m in shares.columns])
            figure = ui.share_heatmap(
                shares,
                labels={"x": "Model", "y": "Channel", "color": "Share"},
                title="Share of conversions credited to each channel, by model",
            )
            ui.chart(figure, "attribution_conversions")

        by_touchpoint = shown.groupby(["attribution_model", "touchpoint"], as_index=False)["revenue_share"].sum()
        pivot = by_touchpoint.pivot(index="touchpoint", columns="attribution_model", values="revenue_share")
        pivot = pivot.reindex(columns=[m for m in models if m in pivot.columns])
        figure = ui.share_heatmap(
            pivot,
            labels={"x": "Model", "y": "Touchpoint", "color": "Revenue share"},
            title="Share of revenue credited to each touchpoint, by model",
        )
        ui.chart(figure, "attribution_touchpoints", height=380)
        ui.table(
            shown.sort_values(["attribution_model", "revenue"], ascending=[True, False]),
            "mart_channel_attribution",
            "mart_channel_attribution",
        )

st.subheader("Data-driven: Markov removal effects")
effects = ui.load("mart_markov_removal_effects")
if effects is not None:
    st.caption(
        "How much of the conversion probability of all journeys (converting and not) is lost when a channel "
        "is removed from them (first-order Markov chain, Anderl et al. 2016). The markov model above shares "
        "each order among its channels in proportion to these effects."
    )
    effects = effects.sort_values("removal_effect", ascending=False)
    figure = px.bar(
        effects,
        x="channel",
        y="removal_effect",
        text_auto=".2f",
        labels={"channel": "Channel", "removal_effect": "Removal effect"},
        title="Share of conversions lost without the channel",
    )
    figure.update_yaxes(tickformat=".0%")
    ui.chart(figure, "attribution_removal_effects")
    ui.table(effects, "mart_markov_removal_effects", "mart_markov_removal_effects")

st.subheader("Data-driven: Shapley values")
values = ui.load("mart_shapley_values", order_by="set_conversions desc, channel_set, shapley_value desc")
if values is not None:
    st.caption(
        "For each set of channels that converting orders touched: each channel's Shapley value in the game of "
        "the set's channels (Zhao et al. 2018), the conversions of journeys inside the set shared by what each "
        "channel adds. The shapley model above gives a channel its share in every order with that channel set."
    )
    top = 15
    biggest = values.drop_duplicates("channel_set").head(top)["channel_set"].tolist()
    shares = values[values["channel_set"].isin(biggest)].pivot(
        index="channel_set", columns="channel", values="shapley_share"
    )
    shares = shares.reindex(index=biggest, columns=sorted(shares.columns))
    figure = ui.share_heatmap(
        shares,
        labels={"x": "Channel", "y": "Channel set", "color": "Shapley share"},
        title=f"Shapley share of each channel, the {len(biggest)} channel sets with the most orders",
        text_format=".0%",
    )
    ui.chart(figure, "attribution_shapley_shares", height=max(380, 28 * len(biggest) + 120))
    ui.table(values, "mart_shapley_values", "mart_shapley_values", height=320)
