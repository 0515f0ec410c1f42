"""The journey-metrics dashboard: `make dashboard` (http://127.0.0.1:8501 unless DASHBOARD_PORT is set).

The entry point and its landing page; the pages are the files of dashboard/pages/ (Streamlit's pages
folder: the number orders them, the rest of the name is the label). Every page reads the published
marts read-only (marts.py) and says where its numbers come from.
"""

from __future__ import annotations

import streamlit as st

import ui

PAGES = [
    (
        "pages/1_Journey.py",
        "How many customers of each cohort move from stage to stage, how fast, and where they stall.",
    ),
    ("pages/2_Attribution.py", "Which channels and touchpoints earn the conversions and revenue, under each model."),
    ("pages/3_Customer_value.py", "CLV, P(alive), churn (both definitions), cost to serve, contribution, whale curve."),
    ("pages/4_Advocacy.py", "NPS with its interval over time and by cut; referrals, cascades, triggers, K."),
    ("pages/5_Segments.py", "Segment sizes, centroids, value by segment and each segment's pain points."),
    ("pages/6_Experiments.py", "SRM check, cell means, ANOVA, main effects (forest plot) and interactions."),
    (
        "pages/7_Funnels_and_retention.py",
        "Your funnels step by step (Wilson intervals, in progress apart), retention by cohort, paths to purchase.",
    ),
]

ui.header(
    "Journey metrics",
    "The customer-journey marts as pictures. Each page answers one set of questions, defines its numbers "
    "with the dbt docs, and lets you download every table as CSV.",
    [],
)
for script, answers in PAGES:
    label = script.removeprefix("pages/").split("_", 1)[1].removesuffix(".py").replace("_", " ")
    st.page_link(script, label=f"**{label}** — {answers}")
