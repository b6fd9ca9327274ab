"""The standalone facility kinds on the results page in a real browser (issue 16): a
plan of the Jinjiang multi-kind example (made-up layers) stored before the app starts,
its indicators per kind, the exclusions and a map layer and legend entry per kind.
Photographed into ``test-output/screenshots``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_app_browser import _frame_with, _nav, _no_traceback, _open, _settle, _shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "jinjiang_kinds.yaml"
LAYERS = ROOT / "examples" / "jinjiang_kinds.layers"


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A home whose database holds the multi-kind example's plan, and the plan."""
    from planner.data.io.layer_folder import read_layer_folder
    from planner.data.regions import load_region
    from planner.run import run_plan
    from planner.scenario import Scenario
    from planner.store import Store

    home = tmp_path_factory.mktemp("kinds") / "home"
    region = read_layer_folder(load_region("jinjiang"), LAYERS)
    plan = run_plan(region, Scenario.load(EXAMPLE))
    store = Store(home / "planner.sqlite")
    store.save_plan(store.save_scenario(plan.scenario).id, plan, 5.0)
    return home, plan


def test_results_page_shows_the_kinds(browser, stored, screenshots):
    from conftest import AppServer

    home, _ = stored
    server = AppServer(home)
    try:
        page = _open(browser, server.url)
        _nav(page, "规划结果")
        page.wait_for_selector("text=独立设施类型", timeout=60_000)
        _settle(page)
        # the tables are drawn on a canvas: their text is checked by the AppTests
        assert page.get_by_text("被选址规则排除的候选点及原因").count()
        frame = _frame_with(page, ".planner-legend")
        legend = frame.locator(".planner-legend").inner_text()
        for name in ("大件家具定点转运点", "智能回收设施", "集散交易市场"):
            assert name in legend
        _no_traceback(page)
        _shot(page, screenshots, "results_kinds.png")
        page.close()
    finally:
        server.stop()


def test_review_page_offers_the_kinds_sites(browser, stored, screenshots):
    # the markets' and kinds' sites are decided on in the review table (issue 16 item 5)
    from conftest import AppServer

    home, plan = stored
    server = AppServer(home)
    try:
        page = _open(browser, server.url)
        _nav(page, "站点审核")
        page.wait_for_selector("text=各独立设施类型的站点详情", timeout=60_000)
        _settle(page)
        # every site is in the review table: stations, centres, the market and the kinds'
        shown = len(plan.sites)
        assert (plan.sites["tier"] == "standalone").sum() and (plan.sites["tier"] == "market").sum()
        assert page.get_by_text(f"显示 {shown} / {shown} 个站点").count()
        _no_traceback(page)
        _shot(page, screenshots, "review_kinds.png")
        page.close()
    finally:
        server.stop()
