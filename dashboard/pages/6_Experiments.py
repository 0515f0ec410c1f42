"""Experiments: did the treatments work? Randomisation first (SRM), then cells, ANOVA and effects."""

from __future__ import annotations

import json

import pandas as pd
import plotly.express as px
import streamlit as st

import marts
import ui

ui.header(
    "Experiments",
    "Was the randomisation sound (sample-ratio mismatch)? Which factor levels move the primary metric, by "
    "how much (main effects with 95% intervals, Holm-adjusted), and do factors interact?",
    ["experiment_cells", "experiment_anova", "experiment_effects", "experiment_srm"],
)

cells = ui.load(
    "experiment_cells",
    order_by="experiment_id, cell",
    empty_hint="No experiment in the raw data (experiments, experiment_assignments).",
)
if cells is not None:
    experiment = st.selectbox("Experiment", sorted(cells["experiment_id"].unique()), key="experiments_id")
    cells = cells[cells["experiment_id"] == experiment].copy()
    metric = cells["metric"].iloc[0]

    srm = ui.load("experiment_srm", where="experiment_id = ?", params=(experiment,))
    if srm is not None:
        mismatched = srm[srm["is_mismatch"]]
        if not mismatched.empty:
            st.error(
                "**Sample-ratio mismatch**: the assignment counts of "
                + ", ".join(f"{r.factor} ({r.counts}, p = {r.p_value:.2g})" for r in mismatched.itertuples())
                + " differ from the design. The randomisation may be broken: do not trust the effects below "
                "until the cause is found.",
                icon=":material/error:",
            )
        else:
            st.success(
                f"No sample-ratio mismatch: every factor's assignment counts fit the design "
                f"(lowest p = {srm['p_value'].min():.2g}).",
                icon=":material/check_circle:",
            )

    effects = ui.load("experiment_effects", where="experiment_id = ?", params=(experiment,))
    best = effects[effects["term_type"] == "best_combination"] if effects is not None else pd.DataFrame()
    cols = st.columns(3)
    cols[0].metric(
        "Customers assigned", f"{cells['customers'].sum():,.0f}", help=marts.describe("experiment_cells", "customers")
    )
    cols[1].metric("Primary metric", metric)
    if len(best):
        top = best.iloc[0]
        cols[2].metric(
            "Best combination: mean",
            f"{top['estimate']:,.2f}",
            help=f"95% interval {top['ci_low']:.2f} to {top['ci_high']:.2f}",
        )
        st.caption(f"Best combination of levels: **{top['level']}**")
    left, right = st.columns(2)
    with left:
        ordered = cells.sort_values("mean")
        figure = px.scatter(
            ordered,
            x="mean",
            y="cell",
            error_x=ordered["ci_high"] - ordered["mean"],
            error_x_minus=ordered["mean"] - ordered["ci_low"],
            hover_data=["customers", "std"],
            labels={"mean": f"Mean {metric} (95% interval)", "cell": ""},
            title="Cell means with their 95% intervals",
        )
        figure.update_traces(marker={"size": 10})
        ui.chart(figure, "experiments_cells", height=max(360, 60 + 34 * len(cells)))
    with right:
        if effects is not None:
            main = effects[(effects["term_type"] == "main") & ~effects["is_reference"]].copy()
            main["label"] = main["term"] + " = " + main["level"]
            main = main.sort_values("estimate")
            figure = px.scatter(
                main,
                x="estimate",
                y="label",
                error_x=main["ci_high"] - main["estimate"],
                error_x_minus=main["estimate"] - main["ci_low"],
                hover_data=["p_value_holm", "relative_lift", "other_factors"],
                labels={"estimate": f"Effect on {metric} against the reference level (95% interval)", "label": ""},
                title="Main effects (forest plot)",
            )
            figure.add_vline(x=0, line_dash="dot", line_color="grey")
            figure.update_traces(marker={"size": 11, "symbol": "square"})
            ui.chart(figure, "experiments_forest", height=max(360, 60 + 34 * len(cells)))

    # Interaction plot: the cell means of one factor's levels, one line per level of another factor,
    # averaged with equal weight over any remaining factors (as the marginal means are).
    levels = pd.DataFrame([json.loads(v) for v in cells["levels"]], index=cells.index)
    factors = list(levels.columns)
    if len(factors) >= 2:
        pick = st.columns(2)
        x_factor = pick[0].selectbox("Interaction plot: x axis", factors, index=0, key="experiments_x")
        colour = pick[1].selectbox("Lines", [f for f in factors if f != x_factor], index=0, key="experiments_lines")
        grid = pd.concat([levels, cells["mean"]], axis=1).groupby([x_factor, colour], as_index=False)["mean"].mean()
        figure = px.line(
            grid,
            x=x_factor,
            y="mean",
            color=colour,
            markers=True,
            labels={"mean": f"Mean {metric}"},
            title=f"Interaction: {x_factor} × {colour} (parallel lines = no interaction)",
        )
        ui.chart(figure, "experiments_interaction")

    anova = ui.load("experiment_anova", where="experiment_id = ?", params=(experiment,))
    if anova is not None:
        st.subheader("ANOVA (Type II)")
        ui.table(anova, "experiment_anova", "experiment_anova")
    ui.table(cells, "experiment_cells", "experiment_cells")
    if effects is not None:
        ui.table(effects, "experiment_effects", "experiment_effects")
