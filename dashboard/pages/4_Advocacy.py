"""Advocacy: is loyalty moving (NPS with its margin of error), and what makes customers refer?"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

import marts
import ui

CUTS = {
    "touchpoint": "Touchpoint surveyed",
    "acquisition_channel": "Acquisition channel",
    "stage_reached": "Stage reached",
    "segment": "Segment",
    "experiment_arm": "Experiment arm",
}

ui.header(
    "Advocacy",
    "Is loyalty moving, beyond the margin of error? Where is NPS low — by touchpoint, channel, segment, "
    "experiment arm? Who refers, after which moments, and how far is referral growth from K = 1?",
    [
        "mart_nps_monthly",
        "mart_nps_by_cut",
        "mart_referrals",
        "mart_referral_cascades",
        "mart_referral_triggers",
        "mart_referral_sensitivity",
        "mart_referral_value",
        "mart_referral_uplift",
    ],
)

monthly = ui.load("mart_nps_monthly", order_by="response_month")
low = high = None
if monthly is not None:
    monthly["response_month"] = pd.to_datetime(monthly["response_month"])
    low, high = ui.month_range(monthly["response_month"], "Responses in the months", "advocacy_months")
    rows = monthly[monthly["response_month"].between(low, high)]
    nps, ci_low, ci_high = marts.nps_of(rows["promoters"].sum(), rows["detractors"].sum(), rows["responses"].sum())
    csat = (rows["csat_avg"] * rows["csat_responses"]).sum() / rows["csat_responses"].sum()
    cols = st.columns(4)
    cols[0].metric(
        "NPS",
        ui.number(nps),
        help=f"95% interval {ci_low:.1f} to {ci_high:.1f}. " + marts.describe("mart_nps_monthly", "nps"),
    )
    cols[1].metric("Responses with an NPS score", f"{rows['responses'].sum():,.0f}")
    cols[2].metric(
        "Promoters / detractors",
        f"{ui.share(rows['promoters'].sum() / rows['responses'].sum())} / "
        f"{ui.share(rows['detractors'].sum() / rows['responses'].sum())}",
    )
    cols[3].metric("CSAT (mean, 1–5)", ui.number(csat, 2), help=marts.describe("mart_nps_monthly", "csat_avg"))

    figure = go.Figure(
        [
            go.Scatter(
                x=rows["response_month"], y=rows["ci_high"], line={"width": 0}, showlegend=False, hoverinfo="skip"
            ),
            go.Scatter(
                x=rows["response_month"],
                y=rows["ci_low"],
                fill="tonexty",
                line={"width": 0},
                fillcolor="rgba(31, 119, 180, 0.2)",
                name="95% interval",
            ),
            go.Scatter(
                x=rows["response_month"],
                y=rows["nps"],
                mode="lines+markers",
                name="NPS",
                line={"color": "rgb(31, 119, 180)"},
            ),
        ]
    )
    figure.update_layout(
        title="NPS by month with its 95% interval", xaxis_title="Response month", yaxis_title="NPS (−100 to 100)"
    )
    ui.chart(figure, "advocacy_nps_monthly")

cuts = ui.load("mart_nps_by_cut")
if cuts is not None:
    cuts["response_month"] = pd.to_datetime(cuts["response_month"])
    present = [c for c in CUTS if c in set(cuts["cut"])] + sorted(set(cuts["cut"]) - set(CUTS))
    cut = st.radio("NPS by", present, format_func=lambda c: CUTS.get(c, c), horizontal=True, key="advocacy_cut")
    rows = cuts[cuts["cut"] == cut]
    if low is not None:
        rows = rows[rows["response_month"].between(low, high)]
    pooled = rows.groupby("cut_value", as_index=False)[["promoters", "detractors", "responses"]].sum()
    pooled[["nps", "ci_low", "ci_high"]] = pooled.apply(
        lambda r: pd.Series(marts.nps_of(r["promoters"], r["detractors"], r["responses"])), axis=1
    )
    minimum = marts.project_vars().get("nps_min_responses", 0)
    pooled["sample"] = pooled["responses"].map(
        lambda n: f"fewer than {minimum} responses" if n < minimum else "enough responses"
    )
    pooled = pooled.sort_values("nps")
    figure = px.scatter(
        pooled,
        x="nps",
        y="cut_value",
        color="sample",
        error_x=pooled["ci_high"] - pooled["nps"],
        error_x_minus=pooled["nps"] - pooled["ci_low"],
        hover_data=["responses"],
        color_discrete_map={"enough responses": "rgb(31, 119, 180)", f"fewer than {minimum} responses": "grey"},
        labels={"nps": "NPS with its 95% interval", "cut_value": CUTS.get(cut, cut), "sample": ""},
        title=f"NPS by {CUTS.get(cut, cut).lower()} over the selected months",
    )
    figure.add_vline(x=0, line_dash="dot", line_color="grey")
    figure.update_traces(marker={"size": 11})
    ui.chart(figure, "advocacy_nps_cut", height=max(320, 60 + 40 * len(pooled)))
    ui.table(rows.sort_values(["cut_value", "response_month"]), "mart_nps_by_cut", "mart_nps_by_cut", height=280)

st.subheader("Referrals")
referrals = ui.load("mart_referrals", order_by="cohort_month")
if referrals is not None:
    customers = referrals["customers"].sum()
    k = referrals["referrals_converted"].sum() / customers if customers else float("nan")
    cols = st.columns(3)
    cols[0].metric("Viral coefficient K", ui.number(k, 3), help=marts.describe("mart_referrals", "viral_coefficient"))
    cols[1].metric("Referrals sent", f"{referrals['referrals_sent'].sum():,.0f}")
    cols[2].metric(
        "Referral conversion rate", ui.share(referrals["referrals_converted"].sum() / referrals["referrals_sent"].sum())
    )
    left, right = st.columns(2)
    with left:
        figure = px.bar(
            referrals,
            x="cohort_month",
            y="viral_coefficient",
            labels={"cohort_month": "Referrer cohort", "viral_coefficient": "K (converted referrals per customer)"},
            title="Viral coefficient K by cohort",
        )
        ui.chart(figure, "advocacy_k")
    with right:
        figure = px.line(
            referrals,
            x="cohort_month",
            y="conversion_rate",
            markers=True,
            labels={"cohort_month": "Referrer cohort", "conversion_rate": "Referrals converted ÷ sent"},
            title="Referral conversion rate by cohort",
        )
        figure.update_yaxes(tickformat=".0%")
        ui.chart(figure, "advocacy_referral_conversion")
    ui.table(referrals, "mart_referrals", "mart_referrals")

sensitivity = ui.load("mart_referral_sensitivity")
if sensitivity is not None:
    last = sensitivity[sensitivity["generation"] == sensitivity["generation"].max()].sort_values("k")
    last = last.drop_duplicates("k")
    generations = int(sensitivity["generation"].max())
    last = last[last["cumulative_referred_customers"] > 0]  # K = 0 refers nobody: no point on a log axis
    figure = px.scatter(
        last,
        x="k",
        y="cumulative_referred_customers",
        color="growth_regime",
        log_y=True,
        hover_data=["scenario_type", "k_multiplier"],
        labels={
            "k": "Viral coefficient K",
            "growth_regime": "Growth",
            "cumulative_referred_customers": "Referred customers (log)",
        },
        title=f"K sensitivity: customers referred after {generations} generations from "
        f"{marts.project_vars().get('referral_projection_seed_customers', '?')} seed customers",
    )
    figure.add_scatter(
        x=last["k"],
        y=last["cumulative_referred_customers"],
        mode="lines",
        line={"color": "lightgrey"},
        showlegend=False,
        hoverinfo="skip",
    )
    figure.data = figure.data[-1:] + figure.data[:-1]  # the line under the points
    figure.update_traces(selector={"mode": "markers"}, marker={"size": 10})
    figure.update_yaxes(dtick=1)
    figure.add_vline(x=1, line_dash="dash", line_color="firebrick", annotation_text="K = 1: tipping point")
    current = sensitivity["current_k"].iloc[0]
    figure.add_vline(
        x=current,
        line_dash="dot",
        line_color="seagreen",
        annotation_text=f"today K = {current:.3f}",
        annotation_position="top left",
    )
    ui.chart(figure, "advocacy_sensitivity")
    ui.table(sensitivity, "mart_referral_sensitivity", "mart_referral_sensitivity", height=260)

left, right = st.columns(2)
with left:
    triggers = ui.load("mart_referral_triggers", where="not is_small_sample", order_by="lift desc")
    if triggers is not None:
        triggers = triggers.head(12).sort_values("lift")
        figure = px.scatter(
            triggers,
            x="lift",
            y="moment",
            color="moment_kind",
            error_x=triggers["lift_ci_high"] - triggers["lift"],
            error_x_minus=triggers["lift"] - triggers["lift_ci_low"],
            labels={"lift": "Lift of the referral rate (95% interval)", "moment": "", "moment_kind": "Kind"},
            title="Which moments are followed by a referral?",
        )
        figure.add_vline(x=1, line_dash="dot", line_color="grey")
        figure.update_traces(marker={"size": 10})
        ui.chart(figure, "advocacy_triggers", height=460)
        ui.table(triggers.sort_values("lift", ascending=False), "mart_referral_triggers", "mart_referral_triggers")
with right:
    cascades = ui.load("mart_referral_cascades", order_by="cascade_size desc")
    if cascades is not None:
        sizes = cascades.groupby("cascade_size", as_index=False).size()
        figure = px.bar(
            sizes,
            x="cascade_size",
            y="size",
            log_y=True,
            text="size",
            labels={"cascade_size": "Customers reached downstream (root excluded)", "size": "Referrers (log)"},
            title=f"Referral cascades of {len(cascades):,} referrers",
        )
        figure.update_xaxes(type="category")
        figure.update_yaxes(dtick=1)
        figure.update_traces(textposition="outside", cliponaxis=False)
        ui.chart(figure, "advocacy_cascades", height=460)
        ui.table(cascades.head(50), "mart_referral_cascades", "mart_referral_cascades", height=260)

referred = ui.load("mart_referral_value")
if referred is not None:
    st.markdown("**Referred customers against the others**")
    ui.table(referred, "mart_referral_value", "mart_referral_value")

uplift = ui.load("mart_referral_uplift")
if uplift is not None:
    st.markdown("**Referral uplift: referred customers against non-referred ones of the same month and country**")
    shown = uplift.dropna(subset=["relative_uplift"])
    if not shown.empty:
        figure = px.scatter(
            shown,
            x="relative_uplift",
            y="metric",
            error_x=shown["relative_uplift_ci_high"] - shown["relative_uplift"],
            error_x_minus=shown["relative_uplift"] - shown["relative_uplift_ci_low"],
            labels={"relative_uplift": "Relative uplift with its 95% interval", "metric": ""},
            title=f"Referred vs matched non-referred customers ({int(shown['matched_referred_customers'].max()):,} "
            f"referred customers matched in {int(shown['strata'].max()):,} strata)",
        )
        figure.add_vline(x=0, line_dash="dot", line_color="grey")
        figure.add_vline(x=0.16, line_dash="dash", line_color="seagreen", annotation_text="+16% (Schmitt et al. 2011)")
        figure.update_traces(marker={"size": 11})
        figure.update_xaxes(tickformat=".0%")
        ui.chart(figure, "advocacy_referral_uplift", height=320)
    ui.table(uplift, "mart_referral_uplift", "mart_referral_uplift")
