"""Segments: who the customers are (K-Means segments of the buyers), and which segment suffers where."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

import marts
import ui

ui.header(
    "Segments",
    "Which kinds of buyers are there, how many of each, what sets them apart (centroids), what are they "
    "worth — and which segment suffers where (pain points with their lift)?",
    ["segment_profiles", "segment_centroids", "mart_segment_summary", "segment_pain_points"],
)

profiles = ui.load("segment_profiles", order_by="segment_id")
if profiles is not None:
    buyers = profiles[profiles["segment_id"] != 0]
    cols = st.columns(3)
    cols[0].metric(
        "Buyer segments (k)", f"{int(profiles['chosen_k'].max())}", help=marts.describe("segment_profiles", "chosen_k")
    )
    cols[1].metric(
        "Customers segmented",
        f"{profiles['customers'].sum():,.0f}",
        help="Every customer: buyers in their K-Means segment, the others in segment 0 (prospects).",
    )
    cols[2].metric(
        "Mean silhouette, buyers",
        ui.number((buyers["silhouette"] * buyers["customers"]).sum() / buyers["customers"].sum(), 2)
        if len(buyers)
        else "n/a",
        help=marts.describe("segment_profiles", "silhouette"),
    )
    figure = px.bar(
        profiles.sort_values("customers"),
        x="customers",
        y="segment_name",
        orientation="h",
        text=profiles.sort_values("customers")["share"].map(lambda s: f"{s:.0%}"),
        labels={"customers": "Customers", "segment_name": "Segment"},
        title="Segment sizes",
    )
    ui.chart(figure, "segments_sizes", height=340)

centroids = ui.load("segment_centroids")
if centroids is not None:
    st.subheader("Profiles: the centroid of each segment")
    # the buyers' segments: prospects (segment 0) have no purchase, so no clustering features
    buyers_only = centroids[centroids["segment_id"] != 0]
    pivot = buyers_only.pivot(index="feature", columns="segment_name", values="mean_value")
    # colour each feature by how far a segment sits from the others (z across segments); text: the value
    spread = pivot.std(axis=1).where(lambda s: s > 0)
    scaled = pivot.sub(pivot.mean(axis=1), axis=0).div(spread, axis=0)
    figure = px.imshow(
        scaled,
        aspect="auto",
        color_continuous_scale="RdBu_r",
        zmin=-2,
        zmax=2,
        labels={"x": "Segment", "y": "Feature", "color": "z across segments"},
        title="Centroids of the buyer segments (colour: above or below the others; text: the mean value)",
    )
    figure.update_traces(text=pivot.map(lambda v: f"{v:,.2f}").values, texttemplate="%{text}")
    ui.chart(figure, "segments_centroids", height=380)
    ui.table(centroids, "segment_centroids", "segment_centroids", height=240)

summary = ui.load("mart_segment_summary", order_by="segment_id")
if summary is not None:
    st.subheader("Funnel, value, churn and NPS by segment")
    ui.table(summary, "mart_segment_summary", "mart_segment_summary")

st.subheader("Pain points")
pains = ui.load("segment_pain_points", order_by="segment_id, pain_point_rank")
if pains is not None:
    chosen = ui.choose("Segments", sorted(pains["segment_name"].unique()), "segments_pain_segments")
    rows = pains[ui.matches(pains["segment_name"], chosen)]
    flagged = rows[rows["is_pain_point"]].sort_values("lift")
    if flagged.empty:
        st.info(
            "No signal is a pain point (lift above 1 and Holm-adjusted p below var pain_point_alpha) "
            "for the selected segments."
        )
    else:
        flagged = flagged.assign(label=flagged["segment_name"] + ": " + flagged["signal"])
        figure = px.bar(
            flagged,
            x="lift",
            y="label",
            color="segment_name",
            orientation="h",
            text=flagged["rate"].map(lambda r: f"rate {r:.0%}"),
            labels={"lift": "Lift (segment rate ÷ overall rate)", "label": "", "segment_name": "Segment"},
            title="Pain points: signals significantly more frequent in a segment",
        )
        figure.add_vline(x=1, line_dash="dot", line_color="grey")
        ui.chart(figure, "segments_pain_points", height=max(320, 80 + 32 * len(flagged)))
    ui.table(rows, "segment_pain_points", "segment_pain_points")
