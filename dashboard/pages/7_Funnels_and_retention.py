"""Funnels and retention: the user-defined funnels step by step, retention by cohort, paths to purchase."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

import marts
import ui

START = "(start)"
ENDS = {"(purchase)": "#2ca02c", "(no purchase)": "#7f7f7f"}
IN_PROGRESS_COLOUR = "lightgrey"


def ordered(values: Iterable[str], preferred: list[str]) -> list[str]:
    """`values` in the order of `preferred` (the project's vars), any others after them, sorted."""
    values = set(values)
    return [v for v in preferred if v in values] + sorted(values - set(preferred))


def label(breakdown: str) -> str:
    return "all customers" if breakdown == "all" else breakdown.replace("_", " ")


def interval(value: float, low: float, high: float) -> str:
    return f"{ui.share(value)} ({ui.share(low)}–{ui.share(high)})"


def curve(rows: pd.DataFrame) -> pd.DataFrame:
    """Retention per period over the complete cohorts, pooled (the mean weighted by cohort size):
    Σ active customers ÷ Σ cohort customers, bounded and unbounded."""
    complete = rows[rows["is_complete"]]
    pooled = complete.groupby("period_number", as_index=False).agg(
        cohorts=("cohort_start", "nunique"),
        cohort_customers=("cohort_customers", "sum"),
        active_customers=("active_customers", "sum"),
        unbounded_active_customers=("unbounded_active_customers", "sum"),
    )
    pooled["bounded"] = pooled["active_customers"] / pooled["cohort_customers"]
    pooled["unbounded"] = pooled["unbounded_active_customers"] / pooled["cohort_customers"]
    return pooled


ui.header(
    "Funnels and retention",
    "How far do customers get through each funnel you defined, step by step (with Wilson intervals, and "
    "customers still in progress counted apart, not as drop-offs), how long each step takes, and how it "
    "differs by breakdown? How many buyers of each cohort come back, period after period? Which channel "
    "paths lead to a first purchase and which do not?",
    ["mart_funnels", "mart_retention", "mart_paths_to_purchase", "mart_path_transitions"],
)

# --- funnels -------------------------------------------------------------------------------------------

funnels = ui.load(
    "mart_funnels",
    order_by="funnel_name, breakdown, breakdown_value, step_number",
    empty_hint="No funnel defined (var funnels) or no customer started one.",
)
if funnels is not None:
    definitions = {f["name"]: f for f in marts.project_vars().get("funnels") or [] if isinstance(f, dict)}
    funnel = st.selectbox(
        "Funnel",
        ordered(funnels["funnel_name"].unique(), list(definitions)),
        key="funnels_name",
        help="The funnels of var funnels (dbt_project.yml), in their order there.",
    )
    rows = funnels[funnels["funnel_name"] == funnel].copy()
    rows["step"] = (
        rows["step_number"].astype(str)
        + ". "
        + rows["step_name"]
        + rows["is_optional"].map({True: " (optional)", False: ""})
    )
    steps = rows[rows["breakdown"] == "all"].sort_values("step_number")
    required = steps[~steps["is_optional"]]
    last = (required if len(required) else steps).iloc[-1]
    first = steps.iloc[0]

    cols = st.columns(4)
    cols[0].metric(
        "Conversion, first to last step",
        ui.share(last["conversion_from_first"]),
        help=f"Customers who reached the last required step ({last['step_name']}) ÷ customers who started "
        f"({first['step_name']}), conversion_from_first; 95% Wilson interval "
        f"{ui.share(last['conversion_from_first_ci_low'])} to {ui.share(last['conversion_from_first_ci_high'])}.",
    )
    cols[1].metric("Customers who started", f"{first['customers']:,.0f}", help=f"Reached step 1, {first['step_name']}.")
    cols[2].metric(
        "In progress at the last step",
        f"{last['in_progress']:,.0f}",
        help=marts.describe("mart_funnels", "in_progress"),
    )
    cols[3].metric("Steps", f"{len(steps)}", help=f"{int(steps['is_optional'].sum())} optional")

    left, right = st.columns(2)
    with left:
        hover = [
            f"{r.customers:,} reached · {r.in_progress:,} in progress<br>from the previous step "
            + interval(
                r.conversion_from_previous, r.conversion_from_previous_ci_low, r.conversion_from_previous_ci_high
            )
            for r in steps.itertuples()
        ]
        figure = go.Figure(
            [
                go.Bar(
                    name="Reached the step",
                    x=steps["step"],
                    y=steps["customers"],
                    text=steps["customers"].map("{:,}".format),
                    hovertext=hover,
                    hoverinfo="x+text",
                ),
                go.Bar(
                    name="In progress (may still reach it: right-censored)",
                    x=steps["step"],
                    y=steps["in_progress"],
                    marker={"color": IN_PROGRESS_COLOUR, "pattern": {"shape": "/"}},
                    hovertext=hover,
                    hoverinfo="x+text",
                ),
            ]
        )
        figure.update_layout(barmode="stack", title=f"Customers per step of {funnel}", showlegend=True)
        figure.update_yaxes(title="Customers")
        ui.chart(figure, "funnels_steps")
    with right:
        conversions = pd.concat(
            [
                steps.assign(
                    kind=kind,
                    rate=steps[column],
                    low=steps[f"{column}_ci_low"],
                    high=steps[f"{column}_ci_high"],
                )
                for kind, column in (
                    ("from the previous required step", "conversion_from_previous"),
                    ("from the first step", "conversion_from_first"),
                )
            ]
        )
        figure = px.scatter(
            conversions,
            x="step",
            y="rate",
            color="kind",
            error_y=conversions["high"] - conversions["rate"],
            error_y_minus=conversions["rate"] - conversions["low"],
            hover_data={"customers": True, "previous_step_customers": True, "in_progress": True},
            labels={"step": "", "rate": "Conversion (95% Wilson interval)", "kind": "Conversion"},
            title="Conversion per step with its 95% Wilson interval",
        )
        figure.update_traces(marker={"size": 11})
        figure.update_layout(scattermode="group")  # the two conversions of a step side by side
        figure.update_yaxes(tickformat=".0%", range=[0, 1.05])
        ui.chart(figure, "funnels_conversion")

    timed = steps.dropna(subset=["median_hours_from_previous"])
    if not timed.empty:
        hours = timed.melt(
            id_vars=["step", "step_number"],
            value_vars=["median_hours_from_previous", "p90_hours_from_previous"],
            var_name="statistic",
            value_name="hours",
        )
        hours["statistic"] = hours["statistic"].map(
            {"median_hours_from_previous": "median", "p90_hours_from_previous": "90th percentile"}
        )
        figure = px.bar(
            hours.sort_values("step_number"),
            x="step",
            y="hours",
            color="statistic",
            barmode="group",
            text=hours.sort_values("step_number")["hours"].map(lambda v: f"{v:,.0f}"),
            labels={"step": "", "hours": "Hours from the previous required step", "statistic": ""},
            title="Time to convert: hours from the previous required step (median and 90th percentile)",
        )
        figure.update_yaxes(type="log", dtick=1)  # ticks at 1, 10, 100, … hours
        ui.chart(figure, "funnels_hours")

    breakdowns = ordered(
        rows.loc[rows["breakdown"] != "all", "breakdown"].unique(), definitions.get(funnel, {}).get("breakdowns") or []
    )
    if breakdowns:
        pick = st.columns(2)
        breakdown = pick[0].radio(
            "Break down by", breakdowns, format_func=label, horizontal=True, key=f"funnels_breakdown_{funnel}"
        )
        step_labels = steps["step"].tolist()
        step = pick[1].selectbox(
            "At step", step_labels, index=step_labels.index(last["step"]), key=f"funnels_step_{funnel}"
        )
        cut = rows[(rows["breakdown"] == breakdown) & (rows["step"] == step)].copy()
        cut = cut.sort_values("breakdown_value" if breakdown == "cohort_month" else "conversion_from_first")
        cut["status"] = (
            cut["in_progress"]
            .gt(0)
            .map({True: "some customers still in progress (may rise)", False: "no customer in progress"})
        )
        figure = px.scatter(
            cut,
            x="conversion_from_first",
            y="breakdown_value",
            color="status",
            category_orders={"breakdown_value": cut["breakdown_value"].tolist()},
            error_x=cut["conversion_from_first_ci_high"] - cut["conversion_from_first"],
            error_x_minus=cut["conversion_from_first"] - cut["conversion_from_first_ci_low"],
            hover_data={"customers": True, "in_progress": True, "median_hours_from_previous": ":.1f"},
            color_discrete_map={
                "some customers still in progress (may rise)": "grey",
                "no customer in progress": px.colors.qualitative.Plotly[0],
            },
            labels={
                "conversion_from_first": f"Conversion from the first step to {step} (95% Wilson interval)",
                "breakdown_value": label(breakdown).capitalize(),
                "status": "",
            },
            title=f"Conversion from the first step by {label(breakdown)} (dotted: all customers)",
        )
        overall = steps.loc[steps["step"] == step, "conversion_from_first"].iloc[0]
        figure.add_vline(x=overall, line_dash="dot", line_color="grey")
        figure.update_traces(marker={"size": 10})
        figure.update_xaxes(tickformat=".0%")
        ui.chart(figure, "funnels_breakdown", height=max(360, 120 + 28 * len(cut)))
    ui.table(rows.drop(columns="step"), "mart_funnels", "mart_funnels")

# --- retention -----------------------------------------------------------------------------------------

st.subheader("Retention by cohort of first purchase")
st.caption(
    "Grey cells: periods not over by the end of the data (is_complete false), left out of the curve. "
    "The curve pools the complete cohorts of each period, weighted by cohort size; unbounded retention counts "
    "activity up to the end of the data, so a young cohort's may still rise."
)
retention = ui.load("mart_retention", order_by="breakdown, breakdown_value, cohort_start, period_number")
if retention is not None:
    retention["cohort_start"] = pd.to_datetime(retention["cohort_start"])
    grain = retention["grain"].iloc[0]
    pick = st.columns(2)
    breakdown = pick[0].radio(
        "Break down by",
        ordered(retention["breakdown"].unique(), ["all"]),
        format_func=label,
        horizontal=True,
        key="retention_breakdown",
    )
    by = retention[retention["breakdown"] == breakdown]
    value = (
        pick[1].selectbox(
            label(breakdown).capitalize(), sorted(by["breakdown_value"].unique()), key=f"retention_value_{breakdown}"
        )
        if breakdown != "all"
        else "all"
    )
    cohorts = by[by["breakdown_value"] == value].copy()
    cohorts["cohort"] = cohorts["cohort_start"].dt.strftime("%Y-%m" if grain == "month" else "%Y-%m-%d")

    pooled = curve(cohorts)
    period_1 = pooled.loc[pooled["period_number"] == 1, "bounded"]
    cols = st.columns(3)
    cols[0].metric(
        "Period 1 retention (complete cohorts)",
        ui.share(period_1.iloc[0]) if len(period_1) else "n/a",
        help=f"Customers active in the {grain} after their cohort's, pooled over the complete cohorts.",
    )
    sizes = cohorts.drop_duplicates("cohort_start")
    cols[1].metric("Buyers in the cohorts", f"{sizes['cohort_customers'].sum():,.0f}")
    cols[2].metric("Cohorts", f"{len(sizes)}", help=f"by {grain} of the first completed order")

    grid = cohorts.pivot(index="cohort", columns="period_number", values="retention_rate").sort_index()
    done = cohorts.pivot(index="cohort", columns="period_number", values="is_complete").reindex_like(grid)
    done = done.fillna(False).astype(bool)
    later = grid.drop(columns=0, errors="ignore").where(done.drop(columns=0, errors="ignore"))
    # period 0 holds the first purchase (100% with activity orders): cap the scale at the later periods'
    top = later.max().max() if later.notna().any().any() else 1.0
    figure = go.Figure(
        [
            go.Heatmap(
                z=grid.where(done),
                x=grid.columns,
                y=grid.index,
                zmin=0,
                zmax=top,
                colorscale="Blues",
                text=grid.where(done).map(lambda v: "" if pd.isna(v) else f"{100 * v:.0f}"),
                texttemplate="%{text}",
                textfont={"size": 10},
                colorbar={"title": "retention", "tickformat": ".0%"},
                hovertemplate="cohort %{y}, period %{x}: %{z:.1%}<extra></extra>",
            ),
            go.Heatmap(
                z=(~done).astype(float).where(~done),
                x=grid.columns,
                y=grid.index,
                customdata=grid.where(~done),
                colorscale=[[0, IN_PROGRESS_COLOUR], [1, IN_PROGRESS_COLOUR]],
                showscale=False,
                hovertemplate="cohort %{y}, period %{x}: not over yet (%{customdata:.1%} so far)<extra></extra>",
            ),
        ]
    )
    figure.update_layout(
        title=f"Retention (%) by cohort and {grain}s since the first purchase"
        + ("" if value == "all" else f" — {label(breakdown)} {value}"),
        showlegend=False,
    )
    figure.update_xaxes(title=f"{grain.capitalize()}s since the cohort's own", dtick=1)
    figure.update_yaxes(title="Cohort", autorange="reversed", type="category")
    ui.chart(figure, "retention_heatmap", height=max(ui.CHART_HEIGHT, 120 + 22 * len(grid)))

    left, right = st.columns(2)
    with left:
        lines = pooled.melt(
            id_vars=["period_number", "cohorts", "cohort_customers"],
            value_vars=["bounded", "unbounded"],
            var_name="retention",
            value_name="rate",
        )
        figure = px.line(
            lines,
            x="period_number",
            y="rate",
            color="retention",
            line_dash="retention",
            markers=True,
            hover_data={"cohorts": True, "cohort_customers": True},
            labels={
                "period_number": f"{grain.capitalize()}s since the cohort's own",
                "rate": "Retention (complete cohorts, weighted by size)",
                "retention": "Retention",
                "cohorts": "Complete cohorts",
                "cohort_customers": "Their customers",
            },
            title="Retention curve: active in the period (bounded) or in it or later (unbounded)",
        )
        figure.update_yaxes(tickformat=".0%", range=[0, 1.05])
        ui.chart(figure, "retention_curve")
    with right:
        if breakdown != "all":
            compare = pd.concat(
                [curve(group).assign(breakdown_value=name) for name, group in by.groupby("breakdown_value")]
            )
            figure = px.line(
                compare[compare["period_number"] > 0],
                x="period_number",
                y="bounded",
                color="breakdown_value",
                markers=True,
                hover_data={"cohorts": True, "cohort_customers": True},
                labels={
                    "period_number": f"{grain.capitalize()}s since the cohort's own",
                    "bounded": "Bounded retention (complete cohorts)",
                    "breakdown_value": label(breakdown).capitalize(),
                },
                title=f"Bounded retention by {label(breakdown)}, from period 1",
            )
            figure.update_yaxes(tickformat=".0%")
        else:
            figure = px.bar(
                sizes,
                x="cohort_start",
                y="cohort_customers",
                color="cohort_customers",
                color_continuous_scale="Blues",
                labels={"cohort_start": "Cohort", "cohort_customers": "Buyers"},
                title="Cohort sizes: buyers by the period of their first purchase",
            )
            figure.update_coloraxes(showscale=False)
        ui.chart(figure, "retention_compare")
    ui.table(by, "mart_retention", "mart_retention")

# --- paths ---------------------------------------------------------------------------------------------

st.subheader("Paths to purchase")
st.caption(
    "The entry channels of a customer's sessions in order (repeats collapsed): for buyers up to their first "
    "purchase, for the others all of them."
)
paths = ui.load("mart_paths_to_purchase", order_by="outcome desc, path_rank")
if paths is not None:
    ranks = int(paths["path_rank"].max())
    top_n = st.slider("Top paths per outcome", 1, ranks, min(10, ranks), key="paths_top") if ranks > 1 else 1
    columns = ["path_rank", "path", "customers", "share", "median_days_to_purchase", "path_length", "is_truncated"]
    left, right = st.columns(2)
    for column, outcome in zip((left, right), ("purchase", "no_purchase"), strict=True):
        with column:
            top = paths[(paths["outcome"] == outcome) & (paths["path_rank"] <= top_n)]
            st.markdown(
                f"**{'Bought' if outcome == 'purchase' else 'Never bought'}**: top {len(top)} of "
                f"{int((paths['outcome'] == outcome).sum()):,} paths, {ui.share(top['share'].sum())} of the "
                f"{paths.loc[paths['outcome'] == outcome, 'customers'].sum():,.0f} customers"
            )
            ui.table(top[columns], f"top_paths_{outcome}", "mart_paths_to_purchase")

transitions = ui.load("mart_path_transitions", order_by="step_index, customers desc")
if transitions is not None:
    # A node is a step at a position (its id: the position and the name), so a channel at step 2 and the
    # same channel at step 3 are two nodes; each end is one node (position None), wherever a path ends.
    def node(index: int, name: str) -> tuple[int | None, str]:
        return (None, name) if name in ENDS else (index, name)

    sources = [node(i - 1, name) for i, name in zip(transitions["step_index"], transitions["from_step"], strict=True)]
    targets = [node(i, name) for i, name in zip(transitions["step_index"], transitions["to_step"], strict=True)]
    ids = list(dict.fromkeys(sources + targets))
    names = [name for _, name in ids]
    palette = px.colors.qualitative.Safe
    channels = {name: palette[k % len(palette)] for k, name in enumerate(sorted(set(names) - {START, *ENDS}))}
    colours = [ENDS.get(name) or ("#444444" if name == START else channels[name]) for name in names]
    position = {i: k for k, i in enumerate(ids)}
    figure = go.Figure(
        go.Sankey(
            node={
                "label": names,
                "color": colours,
                "customdata": ["end of the path" if index is None else f"step {index}" for index, _ in ids],
                "hovertemplate": "%{label}, %{customdata}: %{value:,} customers<extra></extra>",
                "pad": 12,
            },
            link={
                "source": [position[s] for s in sources],
                "target": [position[t] for t in targets],
                "value": transitions["customers"],
                "color": "rgba(150, 150, 150, 0.25)",
            },
        )
    )
    # showlegend set: a Sankey trace has no legend entry (and no showlegend for ui.chart to read)
    figure.update_layout(
        title="Paths from the first session to the outcome, step by step (all customers)", showlegend=False
    )
    ui.chart(figure, "paths_sankey", height=620)
    ui.table(transitions, "mart_path_transitions", "mart_path_transitions")
