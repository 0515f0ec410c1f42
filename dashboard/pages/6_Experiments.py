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
    "how much (main effects with 95% intervals, Holm-adjusted; CUPED-adjusted by the pre-assignment period), do "
    "factors interact, and which levels to ship (with a guardrail metric)?",
    [
        "experiment_cells",
        "experiment_anova",
        "experiment_effects",
        "experiment_srm",
        "experiment_cuped",
        "experiment_decisions",
    ],
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

    # CUPED: the same main effects with the outcome adjusted by the pre-assignment period (experiment_cuped)
    st.subheader("CUPED: main effects adjusted by the pre-assignment period")
    adjusted = ui.load(
        "experiment_cuped",
        where="experiment_id = ? and term_type = 'main' and not is_reference",
        params=(experiment,),
        order_by="term, level",
    )
    if adjusted is not None:
        first = adjusted.iloc[0]
        if pd.isna(first["theta"]):
            st.info(
                f"No CUPED for this experiment: {first['customers_without_pre_period']:,} customers have no "
                "pre-assignment period (it starts before the data) or it does not vary. The unadjusted effects stand.",
                icon=":material/info:",
            )
        else:
            cols = st.columns(4)
            cols[0].metric(
                "Variance reduction (CUPED)",
                ui.share(first["variance_reduction"]),
                help=marts.describe("experiment_cuped", "variance_reduction"),
            )
            cols[1].metric("ρ (outcome, pre-period)", ui.number(first["rho"], 3))
            cols[2].metric("θ", ui.number(first["theta"], 4), help=marts.describe("experiment_cuped", "theta"))
            cols[3].metric(
                "Customers used",
                f"{first['customers_used']:,}",
                help=f"{first['customers_without_pre_period']:,} without a pre-assignment period left out",
            )
            label = adjusted["term"] + " = " + adjusted["level"]
            both = pd.concat(
                [
                    pd.DataFrame(
                        {
                            "label": label,
                            "analysis": "CUPED-adjusted",
                            "estimate": adjusted["estimate"],
                            "ci_low": adjusted["ci_low"],
                            "ci_high": adjusted["ci_high"],
                        }
                    ),
                    pd.DataFrame(
                        {
                            "label": label,
                            "analysis": "unadjusted",
                            "estimate": adjusted["unadjusted_estimate"],
                            "ci_low": adjusted["unadjusted_ci_low"],
                            "ci_high": adjusted["unadjusted_ci_high"],
                        }
                    ),
                ],
                ignore_index=True,
            )
            figure = px.scatter(
                both,
                x="estimate",
                y="label",
                color="analysis",
                error_x=both["ci_high"] - both["estimate"],
                error_x_minus=both["estimate"] - both["ci_low"],
                labels={"estimate": f"Effect on {metric} (95% interval)", "label": ""},
                title="Main effects: CUPED-adjusted against unadjusted",
            )
            figure.add_vline(x=0, line_dash="dot", line_color="grey")
            ui.chart(figure, "experiments_cuped", height=max(360, 60 + 50 * len(adjusted)))

    decisions = ui.load("experiment_decisions", where="experiment_id = ?", params=(experiment,), order_by="factor")
    if decisions is not None:
        st.subheader("Decision per factor")
        st.caption(
            "Ship a factor's best level when its main effect is significant after Holm and the guardrail metric "
            "does not fall significantly; do not ship when the guardrail falls or the level is significantly worse; "
            "otherwise inconclusive."
        )
        ui.table(decisions, "experiment_decisions", "experiment_decisions")

    anova = ui.load("experiment_anova", where="experiment_id = ?", params=(experiment,))
    if anova is not None:
        st.subheader("ANOVA (Type II)")
        ui.table(anova, "experiment_anova", "experiment_anova")
    ui.table(cells, "experiment_cells", "experiment_cells")
    if effects is not None:
        ui.table(effects, "experiment_effects", "experiment_effects")
    if adjusted is not None:
        ui.table(adjusted, "experiment_cuped", "experiment_cuped")
