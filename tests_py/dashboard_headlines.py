"""The dashboard's pages and the headline figure each must show, computed here from the marts in plain
SQL (independently of the page's pandas), formatted as the page formats it. Shared by the AppTest and
the browser tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from journey_metrics.paths import REPO_ROOT

from helpers import query

DASHBOARD = REPO_ROOT / "dashboard"
# The Funnels page opens on the first funnel of var funnels (its selectbox keeps their order).
FIRST_FUNNEL = yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text())["vars"]["funnels"][0]["name"]


@dataclass(frozen=True)
class Page:
    script: str  # relative to dashboard/
    url_path: str
    label: str  # the st.metric label of the headline figure
    sql: str  # the figure from its mart
    digits: int
    percent: bool = False  # a share: shown as ui.share shows it, 100 × value with a % sign


PAGES = [
    Page(
        "pages/1_Journey.py",
        "Journey",
        "Customers reaching awareness",
        "select sum(customers) from mart_stage_funnel where stage = 'awareness'",
        0,
    ),
    Page(
        "pages/2_Attribution.py",
        "Attribution",
        "Completed orders attributed",
        "select sum(conversions) from mart_channel_attribution where attribution_model = 'first_touch'",
        0,
    ),
    Page(
        "pages/3_Customer_value.py",
        "Customer_value",
        "Predicted CLV (sum)",
        "select sum(predicted_clv) from mart_customer_value",
        0,
    ),
    Page(
        "pages/4_Advocacy.py",
        "Advocacy",
        "NPS",
        "select 100.0 * (sum(promoters) - sum(detractors)) / sum(responses) from mart_nps_monthly",
        1,
    ),
    Page("pages/5_Segments.py", "Segments", "Customers segmented", "select sum(customers) from segment_profiles", 0),
    Page(
        "pages/6_Experiments.py",
        "Experiments",
        "Customers assigned",
        "select sum(customers) from experiment_cells "
        "where experiment_id = (select min(experiment_id) from experiment_cells)",
        0,
    ),
    Page(
        "pages/7_Funnels_and_retention.py",
        "Funnels_and_retention",
        "Conversion, first to last step",
        # customers at the last required step ÷ customers at step 1, the overall rows
        "select 1.0 * last.customers / first.customers from mart_funnels as first, mart_funnels as last "
        f"where first.funnel_name = '{FIRST_FUNNEL}' and last.funnel_name = first.funnel_name "
        "and first.breakdown = 'all' and last.breakdown = 'all' and first.step_number = 1 "
        "and last.step_number = (select max(step_number) from mart_funnels "
        f"where funnel_name = '{FIRST_FUNNEL}' and breakdown = 'all' and not is_optional)",
        1,
        percent=True,
    ),
]


def expected(db: Path, page: Page) -> str:
    value = query(db, page.sql)[0][0]
    assert value is not None, f"{page.script}: no headline value in the demo marts"
    if page.percent:
        return f"{100 * float(value):.{page.digits}f}%"
    return f"{float(value):,.{page.digits}f}"
