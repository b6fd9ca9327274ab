"""The app in a real browser: the region on a map with the approximate-data badge."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.wait_for_selector("text=区域数据", timeout=60_000)
    return page


def _map_frame(page):
    page.wait_for_selector("iframe", timeout=60_000)
    for _ in range(120):
        for frame in page.frames:
            if frame != page.main_frame and frame.query_selector(".leaflet-container"):
                return frame
        page.wait_for_timeout(500)
    raise AssertionError("no Leaflet map rendered")


def test_data_page_shows_region_map_with_badge(browser, app_url, tmp_path):
    page = _open(browser, app_url)
    assert page.get_by_text("近似数据").first.is_visible()
    frame = _map_frame(page)
    # county, township and community polygons are drawn (SVG/canvas paths in Leaflet)
    frame.wait_for_selector(".leaflet-overlay-pane canvas, .leaflet-overlay-pane path")
    assert frame.get_by_text("乡镇与村/社区边界为近似生成").is_visible()
    legend = frame.locator(".planner-legend").inner_text()
    assert "人口密度" in legend and re.search(r"\d", legend)
    for layer in ("区县", "乡镇/街道", "村/社区"):
        assert frame.locator(".leaflet-control-layers").get_by_text(layer).is_visible()
    page.screenshot(path=str(tmp_path / "data_page.png"))
    page.close()


def test_language_switch_to_english(browser, app_url):
    page = _open(browser, app_url)
    page.get_by_text("English").click()
    page.wait_for_selector("text=Region data", timeout=30_000)
    assert page.get_by_text("Approximate data").first.is_visible()
    frame = _map_frame(page)
    assert frame.get_by_text("approximate, not official").is_visible()
    page.close()
