"""The dashboard in a real browser: `make dashboard` on a free port over the demo marts, every page
opened in headless Chromium (Playwright driving Debian's `chromium`, never `playwright install`),
its headline figure shown and no error; a screenshot per page in target/screenshots/ (git-ignored).

Without chromium the test is skipped, except where JOURNEY_REQUIRE_BROWSER is set (.ci/run sets it
after installing chromium): there a missing browser fails."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from dashboard_headlines import PAGES, expected

from journey_metrics.paths import REPO_ROOT

SCREENSHOTS = REPO_ROOT / "target" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT_S = 90
PAGE_TIMEOUT_MS = 60_000
VIEWPORT = {"width": 1600, "height": 1000}


def chromium_or_skip() -> str:
    if Path(CHROMIUM).is_file():
        return CHROMIUM
    reason = "chromium is not installed (apt-get install chromium): the browser test cannot run"
    if os.environ.get("JOURNEY_REQUIRE_BROWSER"):
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard(demo, tmp_path_factory):
    """`make dashboard` serving the demo warehouse; stopped by its process group's id afterwards."""
    chromium_or_skip()
    port = free_port()
    log = tmp_path_factory.mktemp("dashboard") / "dashboard.log"
    env = {
        **os.environ,
        "JOURNEY_DUCKDB_PATH": str(demo.db),
        "DBT_TARGET_PATH": str(demo.db.parent / "dbt_target"),
        "DASHBOARD_PORT": str(port),
    }
    with log.open("w") as output:
        server = subprocess.Popen(
            ["make", "--no-print-directory", "dashboard"],
            cwd=REPO_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: make, streamlit and any child stop together
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert server.poll() is None, f"make dashboard exited:\n{log.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"no /_stcore/health after {START_TIMEOUT_S} s:\n{log.read_text()}"
            time.sleep(0.5)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture(scope="module")
def browser(dashboard):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_or_skip(), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def test_every_page_shows_its_headline_figure_in_a_browser(demo, dashboard, browser, tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    problems = []
    try:
        for spec in PAGES:
            page.goto(f"{dashboard}/{spec.url_path}", wait_until="domcontentloaded")
            metric = page.get_by_test_id("stMetric").filter(has_text=spec.label).first
            metric.wait_for(state="visible")
            # the script has finished: the status widget no longer says it is running, charts are drawn
            page.wait_for_function(
                "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
                " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')"
            )
            page.wait_for_selector(".js-plotly-plot .main-svg")
            page.wait_for_timeout(1500)  # let plotly finish its transitions before the screenshot
            value = metric.get_by_test_id("stMetricValue").inner_text().strip()
            if value != expected(demo.db, spec):
                problems.append(f"{spec.url_path}: shows {value}, the mart says {expected(demo.db, spec)}")
            errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')
            # an SRM warning is an error alert by design; the demo's experiment has none
            if errors.count():
                problems.append(f"{spec.url_path}: {errors.first.inner_text()[:300]}")
            if page.get_by_text("Traceback").count():
                problems.append(f"{spec.url_path}: a traceback is shown")
            # Streamlit scrolls inside its main container, so a full-page shot needs a viewport that tall
            height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
            page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], height)})
            page.wait_for_timeout(1000)
            page.screenshot(path=str(SCREENSHOTS / f"{spec.url_path}.png"), full_page=True)
            page.set_viewport_size(VIEWPORT)
    finally:
        context.close()
    assert problems == []
