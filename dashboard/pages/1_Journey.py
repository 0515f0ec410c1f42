"""Journey: how customers move through the stages, by cohort, how long it takes, and where they stall."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

import ui

STAGES = ["awareness", "consideration", "decision", "retention", "advocacy"]
BREAKDOWNS = {
    "all customers": ("mart_stage_funnel", None),
    "acquisition channel": ("mart_stage_funnel_by_channel", "acquisition_channel"),
    "segment": ("mart_stage_funnel_by_segment", "segment_name"),
}

ui.header(
    "Journey",
    "How many customers of each cohort move from stage to stage, how fast, and where do they stall? "
    "Young cohorts (window still open) are marked: they are not worse, their customers may still move on.",
    ["mart_stage_funnel", "mart_stage_funnel_by_channel", "mart_stage_funnel_by_segment", "mart_stage_dropoff"],
)

breakdown = st.radio("Break down by", list(BREAKDOWNS), horizontal=True, key="journey_breakdown")
model, column = BREAKDOWNS[breakdown]
funnel = ui.load(model)

if funnel is not None:
    funnel["cohort_month"] = pd.to_datetime(funnel["cohort_month"])
    filters = st.columns([2, 2, 1])
    with filters[0]:
        low, high = ui.month_range(funnel["cohort_month"], "Cohorts (month of awareness)", "journey_cohorts")
    with filters[1]:
        values = ui.choose(breakdown.capitalize(), sorted(funnel[column].unique()), "journey_values") if column else []
    with filters[2]:
        complete_only = st.toggle(
            "Complete cohorts only",
            value=False,
            key="journey_complete",
            help="A cohort is complete once its funnel window has closed (is_complete).",
        )
    selected = funnel[ui.within(funnel["cohort_month"], low, high)]
    if column:
        selected = selected[ui.matches(selected[column], values)]
    if complete_only:
        selected = selected[selected["is_complete"]]

    totals = selected.groupby(["stage", "stage_order"], as_index=False)["customers"].sum().sort_values("stage_order")
    reached = dict(zip(totals["stage"], totals["customers"], strict=True))
    entered = reached.get("awareness", 0)
    cohorts = selected[["cohort_month", "is_complete"]].drop_duplicates()
    complete = selected[selected["is_complete"]].groupby("stage")["customers"].sum()

    cols = st.columns(4)
    cols[0].metric(
        "Customers reaching awareness",
        f"{entered:,.0f}",
        help="Customers of the selected cohorts at the first stage (sum of customers, stage awareness).",
    )
    cols[1].metric(
        "Awareness → decision (complete cohorts)",
        ui.share(complete.get("decision", 0) / complete["awareness"]) if complete.get("awareness") else "n/a",
        help="Share of the complete cohorts' customers who made a first completed purchase.",
    )
    cols[2].metric("Reached advocacy", ui.share(reached.get("advocacy", 0) / entered) if entered else "n/a")
    cols[3].metric("Cohorts", f"{len(cohorts)}", help=f"{int(cohorts['is_complete'].sum())} complete")

    left, right = st.columns(2)
    with left:
        figure = go.Figure()
        groups = [(breakdown, selected)] if not column else list(selected.groupby(column))
        for name, rows in groups:
            stage_totals = (
                rows.groupby(["stage", "stage_order"], as_index=False)["customers"].sum().sort_values("stage_order")
            )
            figure.add_trace(
                go.Funnel(
                    name=str(name),
                    y=stage_totals["stage"],
                    x=stage_totals["customers"],
                    textinfo="value+percent initial",
                )
            )
        figure.update_layout(title="Stage funnel of the selected cohorts", showlegend=bool(column))
        ui.chart(figure, "journey_funnel")
    with right:
        # conversion from the previous stage, per cohort, pooled over the selected breakdown values
        by_cohort = selected.groupby(["cohort_month", "stage", "stage_order", "is_complete"], as_index=False)[
            "customers"
        ].sum()
        by_cohort = by_cohort.sort_values(["cohort_month", "stage_order"])
        by_cohort["previous"] = by_cohort.groupby("cohort_month")["customers"].shift()
        by_cohort["conversion"] = by_cohort["customers"] / by_cohort["previous"].where(by_cohort["previous"] > 0)
        transitions = by_cohort[by_cohort["stage"] != "awareness"]
        figure = px.line(
            transitions,
            x="cohort_month",
            y="conversion",
            color="stage",
            markers=True,
            category_orders={"stage": STAGES},
            labels={"cohort_month": "Cohort", "conversion": "Conversion from previous stage", "stage": "Stage"},
            title="Conversion from the previous stage, by cohort",
        )
        young = cohorts.loc[~cohorts["is_complete"], "cohort_month"]
        if not young.empty:
            figure.add_vrect(
                x0=young.min() - pd.Timedelta(days=15),
                x1=young.max() + pd.Timedelta(days=15),
                fillcolor="lightgrey",
                opacity=0.35,
                line_width=0,
                annotation_text="young cohorts",
                annotation_position="top left",
            )
        figure.update_yaxes(tickformat=".0%")
        ui.chart(figure, "journey_conversion")

    hours = selected[selected["stage"] != "awareness"].dropna(subset=["median_hours_from_previous"])
    if column:
        hours = hours.groupby(["cohort_month", "stage", "stage_order"], as_index=False)[
            "median_hours_from_previous"
        ].median()
    figure = px.line(
        hours.sort_values(["stage_order", "cohort_month"]),
        x="cohort_month",
        y="median_hours_from_previous",
        color="stage",
        markers=True,
        category_orders={"stage": STAGES},
        labels={
            "cohort_month": "Cohort",
            "median_hours_from_previous": "Median hours from previous stage",
            "stage": "Stage",
        },
        title="Time to convert: median hours from the previous stage"
        + (f" (median over the selected {breakdown} values)" if column else ""),
    )
    figure.update_yaxes(type="log", dtick=1)  # ticks at 1, 10, 100, … hours
    ui.chart(figure, "journey_hours")
    ui.table(selected.sort_values(["cohort_month", "stage_order"]), model, model)

st.subheader("Drop-off pain points")
st.caption("What customers who stalled at a stage saw last, against those who moved on (complete cohorts only).")
dropoff = ui.load("mart_stage_dropoff")
if dropoff is not None:
    dimension = st.radio("Dimension", sorted(dropoff["dimension"].unique()), horizontal=True, key="journey_dimension")
    top = dropoff[(dropoff["dimension"] == dimension) & ~dropoff["is_small_sample"] & (dropoff["pain_point_rank"] <= 3)]
    top = top.sort_values(["stage_order", "pain_point_rank"])
    top = top.assign(label=top["stage"] + ": " + top["value"])
    figure = px.bar(
        top,
        x="lift",
        y="label",
        color="stage",
        orientation="h",
        category_orders={"stage": STAGES},
        text=top["lift"].map(lambda v: f"{v:.2f}×"),
        labels={"lift": "Lift (stalled share ÷ moved-on share)", "label": "", "stage": "Stage"},
        title=f"Top 3 pain points per stage by {dimension} (lift > 1: seen more by those who stalled)",
    )
    figure.update_yaxes(autorange="reversed")
    figure.add_vline(x=1, line_dash="dot", line_color="grey")
    ui.chart(figure, "journey_dropoff", height=460)
    ui.table(
        dropoff.sort_values(["stage_order", "dimension", "pain_point_rank"]), "mart_stage_dropoff", "mart_stage_dropoff"
    )
