"""What every page shares: its header (question, freshness, definitions), loading a mart with a clear
message when it is missing or empty, tables with a CSV download, filters and number formats."""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

import marts

# One look for every chart: readable labels, room for the legend above the plot.
CHART_FONT = 14
CHART_HEIGHT = 420


def header(title: str, question: str, models: list[str]) -> None:
    """The page's title, the questions it answers, the release it reads and its models' definitions."""
    st.set_page_config(page_title=f"{title} · journey metrics", layout="wide")
    st.title(title)
    st.markdown(question)
    fresh = marts.freshness()
    parts = [f"Release **{fresh.release}**"]
    if fresh.published_at:
        parts.append(f"published {fresh.published_at:%Y-%m-%d %H:%M} UTC")
    if fresh.last_event_at:
        parts.append(f"last event {fresh.last_event_at:%Y-%m-%d %H:%M}")
    if fresh.last_order_at:
        parts.append(f"last completed order {fresh.last_order_at:%Y-%m-%d %H:%M}")
    st.caption(" · ".join(parts))
    if not models:
        return
    with st.expander("Definitions (from the dbt docs)"):
        for model in models:
            st.markdown(f"**`{model}`** — {marts.describe(model) or '(no description)'}")


def load(name: str, empty_hint: str = "", **query) -> pd.DataFrame | None:
    """The mart, or None after a message saying why it cannot be shown (never a traceback)."""
    try:
        frame = marts.mart(name, **query)
    except marts.MartUnavailable as error:
        st.warning(str(error), icon=":material/warning:")
        return None
    if frame.empty:
        st.info(
            f"`{name}` has no rows{' for this selection' if query.get('params') else ''}. {empty_hint}".strip(),
            icon=":material/info:",
        )
        return None
    return frame


def table(frame: pd.DataFrame, name: str, model: str | None = None, height: int | str = "auto") -> None:
    """A table with its columns' dbt descriptions as tooltips and a CSV download."""
    frame = frame.copy()
    for column in frame.select_dtypes("datetime").columns:  # a DATE column reads as a day, not midnight
        days = frame[column].dropna()
        if (days == days.dt.normalize()).all():
            frame[column] = frame[column].dt.date
    config = {}
    for column in frame.columns:
        help_text = (marts.describe(model, column) or None) if model else None
        if column.startswith("p_value") and pd.api.types.is_numeric_dtype(frame[column]):
            # p-values span many orders of magnitude: 3.2e-17 reads, 0.0000000000000000 does not
            config[column] = st.column_config.NumberColumn(help=help_text, format="scientific")
        else:
            config[column] = st.column_config.Column(help=help_text)
    st.dataframe(frame, hide_index=True, column_config=config, height=height)
    st.download_button(
        f"Download {name}.csv",
        frame.to_csv(index=False).encode("utf-8"),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"download_{name}",
        on_click="ignore",
        icon=":material/download:",
    )


def chart(figure: go.Figure, key: str, height: int = CHART_HEIGHT) -> None:
    """A Plotly chart in the dashboard's look: room at the top for the title, and the legend when shown."""
    legend = figure.layout.showlegend is True or (
        figure.layout.showlegend is None and sum(trace.showlegend is not False for trace in figure.data) > 1
    )
    figure.update_layout(
        height=height,
        font={"size": CHART_FONT},
        margin={"l": 10, "r": 10, "t": 100 if legend else 50, "b": 10},
        # the title at the top, the legend in one band between it and the plot
        title={"y": 0.99, "yanchor": "top", "x": 0.01, "xanchor": "left"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0},
    )
    st.plotly_chart(figure, key=key)


def share_heatmap(shares: pd.DataFrame, labels: dict[str, str], title: str, text_format: str = ".1%") -> go.Figure:
    """A heatmap of shares (rows x columns of `shares`, 0–1), each cell printed with `text_format`, the
    colour bar in whole percent."""
    figure = px.imshow(
        shares, text_auto=text_format, aspect="auto", color_continuous_scale="Blues", labels=labels, title=title
    )
    figure.update_coloraxes(colorbar_tickformat=".0%")
    return figure


def month_range(months: pd.Series, label: str, key: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """A slider over the months present; returns the first and last month chosen."""
    values = sorted(pd.to_datetime(months.dropna().unique()))
    if len(values) < 2:
        return (values[0], values[0]) if values else (pd.Timestamp.min, pd.Timestamp.max)
    options = [v.date() for v in values]
    low, high = st.select_slider(
        label, options=options, value=(options[0], options[-1]), format_func=lambda d: f"{d:%Y-%m}", key=key
    )
    return pd.Timestamp(low), pd.Timestamp(high)


def date_range(low: date, high: date, label: str, key: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """A day slider from `low` to `high`; returns the chosen range as Timestamps (end inclusive)."""
    if low >= high:
        return pd.Timestamp(low), pd.Timestamp(high)
    start, end = st.slider(label, min_value=low, max_value=high, value=(low, high), format="YYYY-MM-DD", key=key)
    return pd.Timestamp(start), pd.Timestamp(end)


def choose(label: str, options: list, key: str, help: str | None = None) -> list:
    """A multiselect; nothing chosen (the default) means no filter: see `matches`."""
    return st.multiselect(label, options, key=key, placeholder="all", help=help)


def matches(values: pd.Series, chosen: list) -> pd.Series:
    """Rows whose value was chosen; every row (missing values included) when nothing was chosen."""
    return values.isin(chosen) if chosen else pd.Series(True, index=values.index)


def within(months: pd.Series, low: pd.Timestamp, high: pd.Timestamp) -> pd.Series:
    """Rows in [low, high]; rows without a month are kept (they belong to no cohort to filter out)."""
    return months.between(low, high) | months.isna()


def money(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{value:,.0f}"


def share(value: float, digits: int = 1) -> str:
    return "n/a" if pd.isna(value) else f"{100 * value:.{digits}f}%"


def number(value: float, digits: int = 1) -> str:
    return "n/a" if pd.isna(value) else f"{value:,.{digits}f}"
