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
    # the map iframe is replaced after the rerun: poll until the English map is in
    for _ in range(120):
        frames = [f for f in page.frames if f != page.main_frame]
        if any(f.get_by_text("approximate, not official").count() for f in frames):
            break
        page.wait_for_timeout(500)
    else:
        raise AssertionError("the map did not switch to English")
    page.close()


def test_import_panel_report_and_malformed_file(browser, app_url, tmp_path):
    from planner.regions import load_region

    counties = load_region("jinjiang").counties[["code", "name", "geometry"]]
    page = _open(browser, app_url)
    page.wait_for_selector("text=导入官方数据", timeout=60_000)
    upload = page.locator("[data-testid=stFileUploader] input[type=file]").first
    upload.set_input_files(
        files=[
            {
                "name": "区县.geojson",
                "mimeType": "application/geo+json",
                "buffer": counties.to_json().encode("utf-8"),
            }
        ]
    )
    page.wait_for_selector("text=检查通过：1 个区县可以导入", timeout=60_000)
    report = page.locator("table.imp-report")
    report.wait_for(timeout=30_000)
    assert "已自动处理" in report.inner_text()
    assert page.locator(".imp-chip.imp-error").inner_text() == "错误 0"
    page.get_by_role("button", name="应用到当前区域").wait_for(timeout=60_000)
    page.screenshot(path=str(tmp_path / "import_ok.png"))

    broken = b'{"type": "FeatureCollection", "features": [ broken'
    upload = page.locator("[data-testid=stFileUploader] input[type=file]").first
    upload.set_input_files(
        files=[{"name": "broken.geojson", "mimeType": "application/geo+json", "buffer": broken}]
    )
    page.wait_for_selector("tr.imp-error", timeout=60_000)
    page.wait_for_selector("text=未导入", timeout=30_000)
    page.get_by_role("button", name="应用到当前区域").wait_for(state="detached", timeout=30_000)
    text = page.inner_text("body")
    assert "文件“broken.geojson”已损坏或格式不正确，无法读取。" in text
    assert "Traceback" not in text
    assert page.locator(".imp-chip.imp-error").inner_text() == "错误 1"
    assert page.get_by_role("button", name="应用到当前区域").count() == 0
    page.screenshot(path=str(tmp_path / "import_bad.png"))
    page.close()


# --- planning flow: scenario → run → results ---------------------------------------------


def _nav(page, label: str) -> None:
    page.locator("[data-testid=stSidebarNav]").get_by_text(label, exact=True).click()


def _settle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000
    )


def _no_traceback(page) -> None:
    text = page.inner_text("body")
    assert "Traceback" not in text and "出错了" not in text, text[-2000:]


def _frame_with(page, selector: str):
    for _ in range(120):
        for frame in page.frames:
            if frame != page.main_frame and frame.query_selector(selector):
                return frame
        page.wait_for_timeout(500)
    raise AssertionError(f"no map frame with {selector}")


def test_jinjiang_plan_flow(browser, app_url, tmp_path):
    import time

    page = _open(browser, app_url)
    started = time.monotonic()
    page.wait_for_selector("text=区域数据：晋江市", timeout=30_000)  # Jinjiang is picked
    _nav(page, "情景设置")
    page.get_by_role("button", name="载入预设").click()
    page.wait_for_selector("text=已载入预设“晋江 2027 政策目标”", timeout=60_000)
    page.get_by_role("button", name="保存情景").click()
    page.wait_for_selector("text=已保存情景", timeout=60_000)
    _no_traceback(page)
    page.screenshot(path=str(tmp_path / "scenario.png"))

    _nav(page, "运行规划")
    page.get_by_role("button", name="开始计算").click()
    page.wait_for_selector("text=计算完成", timeout=120_000)
    page.wait_for_selector("[data-testid=stDataFrame]")  # status and gap per tier
    _no_traceback(page)
    page.screenshot(path=str(tmp_path / "run.png"))

    page.get_by_text("查看规划结果").click()
    page.wait_for_selector("[data-testid=stMetric]", timeout=60_000)
    metrics = {
        m.inner_text().split("\n")[0]: m.inner_text().split("\n")[-1]
        for m in page.locator("[data-testid=stMetric]").all()
    }
    assert metrics["回收站点"] == "80" and metrics["分拣中心"] == "2"
    frame = _frame_with(page, ".planner-centre")
    assert frame.locator(".planner-station").count() == 80
    assert frame.locator(".planner-centre").count() == 2
    assert "分拣中心" in frame.locator(".planner-legend").inner_text()
    # tests never assert wall-clock times: the figure is printed for the record
    print(f"Jinjiang flow: {time.monotonic() - started:.1f} s")
    # a popup with the site's details
    frame.locator(".planner-centre").first.dispatch_event("click")
    frame.wait_for_selector(".planner-popup", timeout=10_000)
    assert "负荷" in frame.locator(".planner-popup").inner_text()
    _no_traceback(page)
    page.screenshot(path=str(tmp_path / "results_zh.png"))

    page.get_by_text("English").click()
    page.wait_for_selector("text=Results: Jinjiang", timeout=30_000)
    page.wait_for_selector("[data-testid=stMetric]:has-text('Recycling stations')")
    assert page.get_by_text("Population within radius").first.is_visible()
    _no_traceback(page)
    page.screenshot(path=str(tmp_path / "results_en.png"))
    page.close()


def test_a_long_run_shows_progress_and_can_be_stopped(browser, app_url):
    page = _open(browser, app_url)
    page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").first.click()
    page.get_by_role("option", name="温州市").click()
    _settle(page)
    _nav(page, "情景设置")
    page.get_by_role("button", name="载入预设").click()
    page.wait_for_selector("text=已载入预设“温州 2027 政策目标”", timeout=60_000)
    page.get_by_role("button", name="保存情景").click()
    page.wait_for_selector("text=已保存情景", timeout=60_000)
    _nav(page, "运行规划")
    page.get_by_role("button", name="开始计算").click()
    page.wait_for_selector("[data-testid=stProgress]", timeout=30_000)
    page.wait_for_selector("text=求解回收站点布局（已用", timeout=60_000)
    # the app stays responsive meanwhile: another session opens and renders the data page
    other = _open(browser, app_url)
    other.wait_for_selector("text=近似数据", timeout=30_000)
    other.close()
    page.get_by_role("button", name="停止计算").click()
    page.wait_for_selector("text=已停止计算，没有保存结果", timeout=30_000)
    assert page.get_by_role("button", name="开始计算").is_visible()
    _no_traceback(page)
    page.close()


def test_region_survives_language_switches(browser, app_url):
    page = _open(browser, app_url)
    page.wait_for_selector("text=区域数据：晋江市", timeout=30_000)
    page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").first.click()
    page.get_by_role("option", name="温州市").click()
    page.wait_for_selector("h1:has-text('区域数据：温州市')", timeout=60_000)
    _settle(page)
    page.get_by_text("English").click()
    page.wait_for_selector("h1:has-text('Region data: Wenzhou')", timeout=60_000)
    _settle(page)
    page.get_by_text("简体中文").click()
    page.wait_for_selector("h1:has-text('区域数据：温州市')", timeout=60_000)
    _no_traceback(page)
    page.close()
