"""Customer value: what customers are worth, who is slipping away, what serving them costs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

import marts
import ui

ui.header(
    "Customer value",
    "Who is worth most, who is slipping away, and what does serving them cost? Predicted CLV and "
    "P(alive) come from the selected purchase model; churn is shown under both definitions "
    "(inactivity, and P(alive) below its threshold).",
    [
        "mart_customer_value",
        "clv_holdout_validation",
        "mart_churn",
        "mart_value_chain",
        "mart_value_by_channel",
        "fct_customer_costs",
        "mart_whale_curve",
        "mart_whale_curve_summary",
        "clv_total_intervals",
    ],
)

value = ui.load("mart_customer_value")
if value is not None:
    value["cohort_month"] = pd.to_datetime(value["cohort_month"])
    filters = st.columns(3)
    with filters[0]:
        low, high = ui.month_range(value["cohort_month"], "Cohorts (month of awareness)", "value_cohorts")
    with filters[1]:
        channels = ui.choose(
            "Acquisition channels", sorted(value["acquisition_channel"].dropna().unique()), "value_channels"
        )
    with filters[2]:
        segments = ui.choose("Segments", sorted(value["segment_name"].dropna().unique()), "value_segments")
    chosen = value[
        ui.matches(value["acquisition_channel"], channels)
        & ui.matches(value["segment_name"], segments)
        & ui.within(value["cohort_month"], low, high)
    ]
    buyers = chosen[chosen["orders"] > 0]

    cols = st.columns(6)
    cols[0].metric(
        "Predicted CLV (sum)",
        ui.money(chosen["predicted_clv"].sum()),
        help=marts.describe("mart_customer_value", "predicted_clv"),
    )
    cols[1].metric("CLV per customer", ui.number(chosen["predicted_clv"].mean(), 2))
    cols[2].metric(
        "Mean P(alive), buyers",
        ui.share(buyers["probability_alive"].mean()),
        help=marts.describe("mart_customer_value", "probability_alive"),
    )
    cols[3].metric(
        "Churned: inactivity",
        ui.share(chosen["is_churned"].dropna().astype(float).mean()),
        help=marts.describe("mart_customer_value", "is_churned"),
    )
    cols[4].metric(
        "Churned: model",
        ui.share(chosen["is_churned_by_model"].dropna().astype(float).mean()),
        help=marts.describe("mart_customer_value", "is_churned_by_model"),
    )
    cols[5].metric(
        "Contribution",
        ui.money(chosen["contribution"].sum()),
        help=f"Cost to serve: {ui.money(chosen['cost_to_serve'].sum())}. "
        + marts.describe("mart_customer_value", "contribution"),
    )

    left, right = st.columns(2)
    with left:
        figure = px.histogram(
            buyers,
            x="predicted_clv",
            nbins=60,
            labels={"predicted_clv": "Predicted CLV", "count": "Buyers"},
            title=f"CLV distribution ({len(buyers):,} buyers)",
        )
        figure.update_yaxes(title="Buyers")
        ui.chart(figure, "value_clv_histogram")
    with right:
        figure = px.histogram(
            buyers,
            x="probability_alive",
            nbins=40,
            labels={"probability_alive": "P(alive)"},
            title="P(alive) of the buyers",
        )
        threshold = marts.project_vars().get("churn_p_alive_threshold")
        if threshold is not None:
            figure.add_vline(
                x=threshold, line_dash="dash", line_color="firebrick", annotation_text=f"churn threshold {threshold}"
            )
        figure.update_yaxes(title="Buyers")
        ui.chart(figure, "value_p_alive")

    st.subheader("CLV with intervals")
    # The modelled customers' total predicted CLV with its 80% and 95% intervals, as clv_total_intervals
    # has them: percentiles of the totals of the parameter draws (never sums of the customers' own
    # intervals, which would be far too wide). The filters above do not apply to it.
    totals = ui.load("clv_total_intervals", order_by="grouping, group_value")
    if totals is not None:
        overall = totals[totals["grouping"] == "all"]
        if len(overall):
            row = overall.iloc[0]
            st.caption(
                f"All {row['customers']:,} modelled customers: {ui.money(row['total_predicted_clv'])} "
                f"(80% interval {ui.money(row['total_predicted_clv_low_80'])}–"
                f"{ui.money(row['total_predicted_clv_high_80'])}, 95% "
                f"{ui.money(row['total_predicted_clv_low_95'])}–{ui.money(row['total_predicted_clv_high_95'])}). "
                "The intervals are the uncertainty of the fitted parameters, not of the purchases to come."
                + (f" {row['interval_note']}" if isinstance(row["interval_note"], str) else "")
            )
        groupings = {"segment_name": "Segment", "cohort_month": "Cohort month"}
        present = [grouping for grouping in groupings if grouping in set(totals["grouping"])]
        if present:
            grouping = st.radio(
                "CLV totals by", present, format_func=groupings.get, horizontal=True, key="value_clv_intervals_by"
            )
            rows = totals[totals["grouping"] == grouping].copy()
            if grouping == "cohort_month":
                rows["group_value"] = pd.to_datetime(rows["group_value"])
                rows = rows.sort_values("group_value")
            else:
                rows = rows.sort_values("total_predicted_clv", ascending=False)
            point = rows["total_predicted_clv"]

            def interval(level: int, color: str, thickness: float, width: float) -> go.Scatter:
                """The level% interval of each total, as error bars around it."""
                return go.Scatter(
                    name=f"{level}% interval",
                    x=rows["group_value"],
                    y=point,
                    mode="markers",
                    marker={"size": 1, "color": color},
                    error_y={
                        "type": "data",
                        "array": rows[f"total_predicted_clv_high_{level}"] - point,
                        "arrayminus": point - rows[f"total_predicted_clv_low_{level}"],
                        "thickness": thickness,
                        "width": width,
                        "color": color,
                    },
                )

            figure = go.Figure(
                [
                    interval(95, "grey", thickness=1.5, width=8),
                    interval(80, "steelblue", thickness=6, width=0),
                    go.Scatter(
                        name="Total at the fitted parameters",
                        x=rows["group_value"],
                        y=point,
                        mode="markers",
                        marker={"size": 9, "color": "black"},
                        customdata=rows["customers"],
                        hovertemplate="%{x}<br>%{y:,.0f} (%{customdata:,} customers)<extra></extra>",
                    ),
                ]
            )
            figure.update_layout(
                title=f"Total predicted CLV by {groupings[grouping].lower()}, with 80% and 95% intervals",
                xaxis_title=groupings[grouping],
                yaxis_title="Total predicted CLV",
            )
            ui.chart(figure, "value_clv_intervals")
            ui.table(rows, "clv_total_intervals", "clv_total_intervals")

    st.subheader("Predicted vs actual purchases in the holdout")
    holdout = ui.load(
        "clv_holdout_validation",
        where="not is_total",
        order_by="model, bucket_order",
        empty_hint="The holdout is computed when var calibration_end is set before the end of the data, e.g. "
        "`make build BUILD_ARGS=\"--vars '{calibration_end: 2025-06-30}'\"`.",
    )
    if holdout is not None:
        models = sorted(holdout["model"].unique())
        default = holdout.loc[holdout["is_selected"], "model"]
        model = st.selectbox(
            "Model", models, index=models.index(default.iloc[0]) if len(default) else 0, key="value_holdout_model"
        )
        rows = holdout[holdout["model"] == model].melt(
            id_vars=["frequency_bucket", "bucket_order"],
            value_vars=["actual_per_customer", "predicted_per_customer"],
            var_name="series",
            value_name="purchases",
        )
        figure = px.bar(
            rows.sort_values("bucket_order"),
            x="frequency_bucket",
            y="purchases",
            color="series",
            barmode="group",
            labels={
                "frequency_bucket": "Purchases in the calibration period",
                "purchases": "Purchases per customer in the holdout",
                "series": "",
            },
            title=f"Holdout: predicted vs actual purchases per customer ({model})",
        )
        ui.chart(figure, "value_holdout")
        ui.table(holdout, "clv_holdout_validation", "clv_holdout_validation")

    st.subheader("Churn under both definitions")
    churn = ui.load("mart_churn")
    if churn is not None:
        churn["cohort_month"] = pd.to_datetime(churn["cohort_month"])
        rows = churn[ui.matches(churn["acquisition_channel"], channels) & ui.within(churn["cohort_month"], low, high)]
        monthly = rows.groupby("month", as_index=False)[
            ["active_customers", "newly_churned", "active_customers_by_model", "newly_churned_by_model"]
        ].sum()
        monthly["inactivity"] = monthly["newly_churned"] / monthly["active_customers"].where(
            monthly["active_customers"] > 0
        )
        monthly["model (P(alive))"] = monthly["newly_churned_by_model"] / monthly["active_customers_by_model"].where(
            monthly["active_customers_by_model"] > 0
        )
        long = monthly.melt(
            id_vars="month",
            value_vars=["inactivity", "model (P(alive))"],
            var_name="definition",
            value_name="churn_rate",
        )
        figure = px.line(
            long,
            x="month",
            y="churn_rate",
            color="definition",
            markers=True,
            labels={"month": "Month", "churn_rate": "Monthly churn rate", "definition": "Definition"},
            title="Monthly churn: newly churned ÷ active customers",
        )
        figure.update_yaxes(tickformat=".0%")
        ui.chart(figure, "value_churn")
        ui.table(monthly, "mart_churn_by_month", "mart_churn")

    st.subheader("Cost to serve and contribution")
    left, right = st.columns(2)
    with left:
        # per activity in long form (fct_customer_costs), summed over the selected customers
        by_activity = ui.load(
            "fct_customer_costs",
            columns="customer_id, activity, sum(allocated_cost) as allocated_cost",
            where="not is_unallocated",
            group_by="customer_id, activity",
        )
        if by_activity is not None:
            selected = by_activity[by_activity["customer_id"].isin(chosen["customer_id"])]
            costs = (
                selected.groupby("activity")["allocated_cost"]
                .sum()
                .astype(float)
                .rename(lambda activity: activity.replace("_", " "))
                .sort_values()
            )
            figure = px.bar(
                x=costs.values,
                y=costs.index,
                orientation="h",
                labels={"x": "Cost allocated to the selected customers", "y": "Value-chain activity"},
                title="Cost to serve by value-chain activity",
            )
            ui.chart(figure, "value_cost_by_activity")
    with right:
        by_segment = chosen.groupby("segment_name", as_index=False)["contribution"].sum().sort_values("contribution")
        figure = px.bar(
            by_segment,
            x="contribution",
            y="segment_name",
            orientation="h",
            color=np.where(by_segment["contribution"] >= 0, "positive", "negative"),
            color_discrete_map={"positive": "seagreen", "negative": "firebrick"},
            labels={"contribution": "Contribution", "segment_name": "Segment"},
            title="Contribution by segment",
        )
        figure.update_layout(showlegend=False)
        ui.chart(figure, "value_contribution_segment")

    left, right = st.columns(2)
    with left:
        by_channel = chosen.groupby("acquisition_channel", as_index=False)[["contribution", "predicted_clv"]].sum()
        by_channel = by_channel.sort_values("contribution")
        figure = go.Figure(
            [
                go.Bar(
                    name="Contribution",
                    y=by_channel["acquisition_channel"],
                    x=by_channel["contribution"],
                    orientation="h",
                ),
                go.Bar(
                    name="Predicted CLV",
                    y=by_channel["acquisition_channel"],
                    x=by_channel["predicted_clv"],
                    orientation="h",
                ),
            ]
        )
        figure.update_layout(
            barmode="group",
            title="Contribution and predicted CLV by acquisition channel",
            xaxis_title="Amount",
            yaxis_title="Acquisition channel",
        )
        ui.chart(figure, "value_contribution_channel")
    with right:
        # The whale curve as mart_whale_curve has it: overall or one segment (the channel and cohort
        # filters above do not apply to it).
        whale_summary = ui.load("mart_whale_curve_summary", order_by="breakdown, breakdown_value")
        if whale_summary is not None:
            curves = whale_summary["breakdown_value"].tolist()
            curve_name = st.selectbox(
                "Whale curve of",
                curves,
                format_func=lambda name: "all customers" if name == "all" else f"segment: {name}",
                key="value_whale_curve",
            )
            picked = whale_summary[whale_summary["breakdown_value"] == curve_name].iloc[0]
            curve = ui.load(
                "mart_whale_curve",
                where="breakdown = ? and breakdown_value = ?",
                params=(picked["breakdown"], curve_name),
                order_by="customer_rank",
            )
            if curve is not None:
                shares = not picked["is_total_nonpositive"]
                y = "cumulative_share" if shares else "cumulative_contribution"
                figure = px.line(
                    curve,
                    x="customer_share",
                    y=y,
                    labels={
                        "customer_share": "Customers ranked by contribution (share)",
                        "cumulative_share": "Cumulative contribution (share of total)",
                        "cumulative_contribution": "Cumulative contribution",
                    },
                    title="Cost-to-serve whale curve",
                )
                if shares:
                    figure.add_hline(y=1, line_dash="dot", line_color="grey", annotation_text="100% of contribution")
                    figure.add_annotation(
                        x=picked["peak_customer_share"],
                        y=picked["peak_share"],
                        text=f"peak {picked['peak_share']:.0%} at {picked['peak_customer_share']:.0%} of customers",
                        showarrow=True,
                        arrowhead=2,
                    )
                    figure.update_yaxes(tickformat=".0%")
                figure.update_xaxes(tickformat=".0%", range=[0, 1])
                ui.chart(figure, "value_whale")
                if shares:
                    st.caption(
                        f"The best {ui.share(picked['crossing_customer_share'])} of customers earn 100% of the "
                        f"contribution; {ui.share(picked['unprofitable_customer_share'])} are unprofitable."
                    )
                else:
                    st.caption(
                        "Total contribution is zero or negative: no share of it is shown, only the running total."
                    )

    if whale_summary is not None:
        ui.table(whale_summary, "mart_whale_curve_summary", "mart_whale_curve_summary")

    ui.table(
        chosen.sort_values("predicted_clv", ascending=False), "mart_customer_value", "mart_customer_value", height=320
    )

chain = ui.load("mart_value_chain", order_by="period_month, cost desc")
if chain is not None:
    st.subheader("Value chain: cost by activity and month")
    figure = px.area(
        chain,
        x="period_month",
        y="cost",
        color="activity",
        labels={"period_month": "Month", "cost": "Cost", "activity": "Activity"},
        title="Monthly cost of each value-chain activity",
    )
    ui.chart(figure, "value_chain")
    ui.table(chain, "mart_value_chain", "mart_value_chain", height=300)
by_channel_mart = ui.load("mart_value_by_channel", order_by="contribution desc")
if by_channel_mart is not None:
    ui.table(by_channel_mart, "mart_value_by_channel", "mart_value_by_channel")
