"""The dashboard (dashboard/) without a browser: every page runs against the demo marts with Streamlit's
AppTest and shows its headline figure as the mart has it; a missing warehouse, missing marts and empty
marts give a message, never a traceback; queries follow the published release; exposures name every
page's marts."""

from __future__ import annotations

import ast
import importlib
import os
import sys

import duckdb
import pytest
import yaml
from dashboard_headlines import DASHBOARD, PAGES, expected
from streamlit.testing.v1 import AppTest

from journey_metrics.paths import REPO_ROOT

# Every page's freshness line reads these (marts.freshness).
FRESHNESS_MODELS = {"fct_touchpoints", "fct_orders"}


def run_page(script: str) -> AppTest:
    """The app as `streamlit run dashboard/app.py` serves it, on `script`'s page."""
    app = AppTest.from_file(str(DASHBOARD / "app.py"), default_timeout=60)
    app.run()
    if script != "app.py":
        app.switch_page(script).run()
    return app


def page_models(script: str) -> tuple[list[str], set[str]]:
    """The models a page names in ui.header(...) and those it loads with ui.load(...)."""
    tree = ast.parse((DASHBOARD / script).read_text())
    header, loaded = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("header", "load"):
            if node.func.attr == "header":
                header = [element.value for element in node.args[2].elts]
            elif isinstance(node.args[0], ast.Constant):  # the Journey page loads the model of a breakdown
                loaded.add(node.args[0].value)
    return header, loaded


@pytest.fixture
def published(demo, monkeypatch):
    """The demo warehouse as the published one, and the docs of the same build."""
    monkeypatch.setenv("JOURNEY_DUCKDB_PATH", str(demo.db))
    monkeypatch.setenv("DBT_TARGET_PATH", str(demo.db.parent / "dbt_target"))
    return demo.db


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.url_path)
def test_page_runs_on_the_demo_and_shows_its_headline_figure(published, page):
    app = run_page(page.script)
    assert not app.exception, [exception.message for exception in app.exception]
    assert not app.warning, [warning.value for warning in app.warning]  # every mart is there
    shown = {metric.label: metric.value for metric in app.metric}
    assert shown[page.label] == expected(published, page)
    header, _ = page_models(page.script)
    # the definitions come from the dbt docs of the build
    expander = app.expander[0]
    assert "from the dbt docs" in expander.label
    text = " ".join(markdown.value for markdown in expander.markdown)
    assert all(f"`{model}`" in text for model in header)
    assert "(no description)" not in text


def test_the_headline_figures_move_with_the_filters(published):
    """A filter is applied, not just drawn: one cohort's awareness count, on the Journey page."""
    app = run_page(PAGES[0].script)
    cohorts = app.select_slider(key="journey_cohorts")
    first, _ = cohorts.value
    cohorts.set_range(first, first).run()
    month = f"{first:%Y-%m}"
    shown = {metric.label: metric.value for metric in app.metric}
    (count,) = [
        row[0]
        for row in duckdb.connect(str(published), read_only=True)
        .execute(
            "select customers from mart_stage_funnel where stage = 'awareness' and strftime(cohort_month, '%Y-%m') = ?",
            [month],
        )
        .fetchall()
    ]
    assert shown["Customers reaching awareness"] == f"{count:,}"
    assert not app.exception


def test_a_missing_warehouse_gives_a_message_on_every_page(tmp_path, monkeypatch):
    monkeypatch.setenv("JOURNEY_DUCKDB_PATH", str(tmp_path / "none" / "journey.duckdb"))
    for page in PAGES:
        app = run_page(page.script)
        assert not app.exception, (page.script, [exception.message for exception in app.exception])
        assert app.warning and all("No warehouse at" in warning.value for warning in app.warning), page.script


def test_missing_and_empty_marts_give_a_message_on_every_page(published, tmp_path, monkeypatch):
    """A warehouse without the marts, then one whose marts have their columns and no rows."""
    bare = tmp_path / "bare.duckdb"
    duckdb.connect(str(bare)).close()
    monkeypatch.setenv("JOURNEY_DUCKDB_PATH", str(bare))
    for page in PAGES:
        app = run_page(page.script)
        assert not app.exception, (page.script, [exception.message for exception in app.exception])
        assert app.warning and all("is not in the published warehouse" in w.value for w in app.warning), page.script

    empty = tmp_path / "empty.duckdb"
    models = set(FRESHNESS_MODELS)
    for page in PAGES:
        models |= set(page_models(page.script)[0])
    with duckdb.connect(str(empty)) as con:
        con.execute(f"attach '{published}' as demo (read_only)")
        for model in sorted(models):
            con.execute(f"create table main.{model} as select * from demo.main.{model} limit 0")
    monkeypatch.setenv("JOURNEY_DUCKDB_PATH", str(empty))
    for page in PAGES:
        app = run_page(page.script)
        assert not app.exception, (page.script, [exception.message for exception in app.exception])
        assert not app.warning, page.script
        assert app.info and any("has no rows" in info.value for info in app.info), page.script


@pytest.fixture
def marts_module():
    sys.path.insert(0, str(DASHBOARD))
    try:
        yield importlib.import_module("marts")
    finally:
        sys.path.remove(str(DASHBOARD))


def test_queries_follow_the_published_release_and_hold_no_lock(marts_module, tmp_path, monkeypatch):
    """The link is resolved per query and the cache is keyed by the release: a switch shows the new
    release at once; a query closes its read-only connection, so it never blocks a writer."""
    link = tmp_path / "journey.duckdb"
    releases = []
    for value in (1, 2):
        release = tmp_path / "releases" / str(value) / "journey.duckdb"
        release.parent.mkdir(parents=True)
        with duckdb.connect(str(release)) as con:
            con.execute(f"create table fct_probe as select {value} as v")
        releases.append(release)
    monkeypatch.setenv("JOURNEY_DUCKDB_PATH", str(link))
    for release in releases:
        temporary = tmp_path / "link.tmp"
        temporary.symlink_to(os.path.relpath(release, tmp_path))
        os.replace(temporary, link)
        assert marts_module.release_path() == release.resolve()
        assert marts_module.query("select v from fct_probe")["v"].tolist() == [int(release.parent.name)]
        with duckdb.connect(str(release)) as writer:  # read-write: fails while a reader holds the file
            writer.execute("select 1")
    assert marts_module.freshness().release == "releases/2/journey.duckdb"


def test_definitions_without_a_manifest_read_the_yaml_as_dbt_renders_it(published, marts_module):
    """Before any `dbt parse` the pages read the models' YAML (doc blocks filled in): the same text."""
    manifest = marts_module.docs()
    from_yaml = marts_module._docs_from_yaml(("test",))
    models = set(FRESHNESS_MODELS)
    for page in PAGES:
        models |= set(page_models(page.script)[0])

    def words(text: str) -> str:
        return " ".join(text.split())

    for model in sorted(models):
        assert words(from_yaml[model]["description"]) == words(manifest[model]["description"]), model
        for column, text in manifest[model]["columns"].items():
            assert words(from_yaml[model]["columns"][column]) == words(text), (model, column)


def test_nps_of_pooled_counts_equals_the_mart_row(published, marts_module):
    """The page's NPS over several months uses macro nps_metrics' formula: on one month it is the row."""
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute(
            "select promoters, detractors, responses, nps, ci_low, ci_high from mart_nps_monthly"
        ).fetchall()
    for promoters, detractors, responses, nps, ci_low, ci_high in rows:
        assert marts_module.nps_of(promoters, detractors, responses) == pytest.approx((nps, ci_low, ci_high), abs=1e-9)


def test_the_landing_page_links_every_page(published):
    app = run_page("app.py")
    assert not app.exception, [exception.message for exception in app.exception]
    source = (DASHBOARD / "app.py").read_text()
    assert sorted(f"pages/{path.name}" for path in (DASHBOARD / "pages").glob("*.py")) == sorted(
        p.script for p in PAGES
    )
    assert all(f'"{page.script}"' in source for page in PAGES)


def test_exposures_name_every_page_and_the_marts_it_reads():
    exposures = yaml.safe_load((REPO_ROOT / "models" / "_exposures.yml").read_text())["exposures"]
    exposures = {exposure["name"]: exposure for exposure in exposures}
    assert len(exposures) == len(PAGES)
    for page in PAGES:
        exposure = exposures[f"dashboard_{page.url_path.lower()}"]
        assert exposure["url"].endswith(f"/{page.url_path}")
        header, loaded = page_models(page.script)
        assert loaded <= set(header), (page.script, loaded - set(header))
        depends_on = {ref.removeprefix("ref('").removesuffix("')") for ref in exposure["depends_on"]}
        assert depends_on == set(header) | FRESHNESS_MODELS, page.script
