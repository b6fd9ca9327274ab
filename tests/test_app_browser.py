"""The app in a real browser (Debian's chromium, driven by Playwright): the region on a
map with the approximate-data badge, imports, the Jinjiang plan from scenario to results
and compare, a run stopped half-way, and scenarios and plans surviving a restart of the
app. Each page is photographed into ``test-output/screenshots`` (``$PLANNER_TEST_OUTPUT``).
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def _count(frame, selector: str) -> int:
    """How many ``selector`` the frame holds; 0 for a frame a rerun has just detached."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        return frame.locator(selector).count()
    except PlaywrightError:
        return 0


def _map_frames_now(page) -> list:
    """The page's frames other than the main one, as they are at this moment."""
    return [f for f in page.frames if f != page.main_frame]


def _open(browser, url: str):
    if "region=" not in url:  # the app reopens the region chosen last: start from Jinjiang
        url += ("&" if "?" in url else "?") + "region=jinjiang"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.wait_for_selector("text=区域数据", timeout=60_000)
    return page


def _map_frame(page):
    page.wait_for_selector("iframe", timeout=60_000)
    for _ in range(120):
        for frame in _map_frames_now(page):
            if _count(frame, ".leaflet-container"):
                return frame
        page.wait_for_timeout(500)
    raise AssertionError("no Leaflet map rendered")


def _downloaded_workbook(page, download, path_folder):
    """Click a download button and open the workbook it gives."""
    import openpyxl

    # scrolled first: right after a scroll Chromium routes a click by the old layout,
    # and the (out-of-process, sandboxed) map frame that was there would get it
    download.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    with page.expect_download(timeout=120_000) as info:
        download.click()
    path = path_folder / "sites.xlsx"
    info.value.save_as(path)
    return openpyxl.load_workbook(path)


def test_data_page_shows_region_map_with_badge(browser, app_url, screenshots):
    page = _open(browser, app_url)
    page.get_by_text("近似数据").first.wait_for(timeout=30_000)
    frame = _map_frame(page)
    # county, township and community polygons are drawn (SVG/canvas paths in Leaflet)
    frame.wait_for_selector(".leaflet-overlay-pane canvas, .leaflet-overlay-pane path")
    frame.get_by_text("乡镇与村/社区边界为近似生成").wait_for(timeout=30_000)
    legend = frame.locator(".planner-legend").inner_text()
    assert "人口密度" in legend and re.search(r"\d", legend)
    for layer in ("区县", "乡镇/街道", "村/社区"):
        frame.locator(".leaflet-control-layers").get_by_text(layer).wait_for(
            timeout=30_000
        )  # visible
    _shot(page, screenshots, "data.png")
    page.close()


def test_language_switch_to_english(browser, app_url):
    page = _open(browser, app_url)
    page.get_by_text("English").click()
    page.wait_for_selector("text=Region data", timeout=30_000)
    page.get_by_text("Approximate data").first.wait_for(timeout=30_000)
    # the map iframe is replaced after the rerun: poll until the English map is in
    for _ in range(120):
        if any(_count(f, "text=approximate, not official") for f in _map_frames_now(page)):
            break
        page.wait_for_timeout(500)
    else:
        raise AssertionError("the map did not switch to English")
    page.close()


def test_import_panel_report_and_malformed_file(browser, app_url, screenshots):
    from planner.data.regions import load_region

    counties = load_region("jinjiang").counties[["code", "name", "geometry"]]
    page = _open(browser, app_url)
    page.wait_for_selector("text=导入官方数据", timeout=60_000)
    upload = page.locator("[class*=st-key-imp_replace] input[type=file]")
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
    _shot(page, screenshots, "data_import_ok.png")

    broken = b'{"type": "FeatureCollection", "features": [ broken'
    upload = page.locator("[class*=st-key-imp_replace] input[type=file]")
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
    _shot(page, screenshots, "data_import_refused.png")
    page.close()


# --- planning flow: scenario → run → results ---------------------------------------------


def _nav(page, label: str) -> None:
    page.locator("[data-testid=stSidebarNav]").get_by_text(label, exact=True).click()


def _settle(page) -> None:
    """Wait until the app has finished its run (generous: a loaded 2-core CI machine
    can take a minute to draw a 200-station plan)."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=180_000
    )


def _choose_option(page, picker, option: str) -> None:
    """Choose ``option`` (its exact label) in the select box ``picker``.

    A rerun of the page (a map finishing its drawing) closes an open list, so the
    list is opened again until the option can be clicked.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    wanted = page.get_by_role("option", name=option, exact=True)
    for attempt in range(10):
        _settle(page)
        picker.scroll_into_view_if_needed()
        picker.locator("input").click()  # the middle of the box is its label
        try:
            wanted.click(timeout=5_000)
            break
        except PlaywrightTimeout:
            if attempt == 9:
                raise
            page.keyboard.press("Escape")
    _settle(page)


def _no_traceback(page) -> None:
    text = page.inner_text("body")
    assert "Traceback" not in text and "出错了" not in text, text[-2000:]


def _frame_with(page, selector: str):
    for _ in range(120):
        for frame in _map_frames_now(page):
            if _count(frame, selector):
                return frame
        page.wait_for_timeout(500)
    raise AssertionError(f"no map frame with {selector}")


def _frames_with(page, selector: str, count: int) -> list:
    """The ``count`` map frames that contain ``selector`` (waits for them)."""
    for _ in range(120):
        frames = [f for f in _map_frames_now(page) if _count(f, selector)]
        if len(frames) == count:
            return frames
        page.wait_for_timeout(500)
    raise AssertionError(f"expected {count} map frames with {selector}")


def _shot(page, folder, name: str) -> None:
    """A screenshot of the whole page once Streamlit has finished drawing it.

    Streamlit scrolls inside its own container, so the window is made as tall as the
    page for the picture and then set back.
    """
    _settle(page)
    size = page.viewport_size
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('section, div')].map(e => e.scrollHeight))"
    )
    page.set_viewport_size(
        {"width": size["width"], "height": max(size["height"], min(height, 4000))}
    )
    page.wait_for_timeout(1000)  # let the maps redraw at the new size
    page.screenshot(path=str(folder / name))
    page.set_viewport_size(size)


def _save_preset(page) -> None:
    """Scenario page: load the Jinjiang 2027 preset and save it."""
    _nav(page, "情景设置")
    page.get_by_role("button", name="载入预设").click()
    page.wait_for_selector("text=已载入预设“晋江 2027 政策目标”", timeout=60_000)
    _settle(page)  # while Streamlit redraws, the old and the new button both exist
    page.get_by_role("button", name="保存情景").first.click()
    page.wait_for_selector("text=已保存情景", timeout=60_000)


def _run_current(page) -> None:
    """Run page: start the current scenario and wait until it is done."""
    _nav(page, "运行规划")
    page.get_by_role("button", name="开始计算").click()
    ended = page.locator("text=计算完成").or_(page.locator("text=计算失败"))
    ended = ended.or_(page.locator("text=没有得到可行方案"))
    ended.first.wait_for(timeout=180_000)
    assert page.get_by_text("计算完成").count(), page.inner_text("body")[-3000:]
    page.wait_for_selector("[data-testid=stDataFrame]")  # status and gap per tier


def _metrics(page) -> dict[str, str]:
    page.wait_for_selector("[data-testid=stMetric]", timeout=60_000)
    return {
        m.inner_text().split("\n")[0]: m.inner_text().split("\n")[-1]
        for m in page.locator("[data-testid=stMetric]").all()
    }


def test_jinjiang_plan_flow(browser, app_url, screenshots):
    import time

    page = _open(browser, app_url)
    started = time.monotonic()
    page.wait_for_selector("text=区域数据：晋江市", timeout=30_000)  # Jinjiang is picked
    _save_preset(page)
    _no_traceback(page)
    _shot(page, screenshots, "scenario.png")

    _run_current(page)
    _no_traceback(page)
    _shot(page, screenshots, "run.png")

    page.get_by_text("查看规划结果").click()
    metrics = _metrics(page)
    assert metrics["回收站点"] == "80" and metrics["分拣中心"] == "2"
    frame = _frame_with(page, ".planner-centre")
    assert frame.locator(".planner-station").count() == 80
    assert frame.locator(".planner-centre").count() == 2
    assert "分拣中心" in frame.locator(".planner-legend").inner_text()
    # tests never assert wall-clock times: the figure is printed for the record
    print(f"Jinjiang flow: {time.monotonic() - started:.1f} s")
    _no_traceback(page)
    _shot(page, screenshots, "results.png")
    # a popup with the site's details
    frame = _frame_with(page, ".planner-centre")
    frame.locator(".planner-centre").first.dispatch_event("click")
    frame.wait_for_selector(".planner-popup", timeout=10_000)
    assert "负荷" in frame.locator(".planner-popup").inner_text()
    page.screenshot(path=str(screenshots / "results_popup.png"))

    page.get_by_text("English").click()
    page.wait_for_selector("text=Results: Jinjiang", timeout=30_000)
    page.wait_for_selector("[data-testid=stMetric]:has-text('Recycling stations')")
    page.get_by_text("Population within radius").first.wait_for(timeout=30_000)
    _no_traceback(page)
    _shot(page, screenshots, "results_en.png")
    page.get_by_text("简体中文").click()
    page.wait_for_selector("text=规划结果：晋江市", timeout=30_000)

    # a second plan with 60 stations, saved as a copy of the scenario, then compared
    _nav(page, "情景设置")
    count = page.get_by_role("spinbutton", name="回收站点数量（个）")
    count.fill("60")
    count.press("Enter")
    page.wait_for_selector("text=有未保存的修改", timeout=30_000)
    page.get_by_role("button", name="复制为新情景").click()
    page.wait_for_selector("text=已另存为新情景", timeout=60_000)
    _run_current(page)
    page.get_by_text("60 个回收站点、2 个分拣中心").first.wait_for(timeout=30_000)
    _nav(page, "方案对比")
    page.wait_for_selector("text=指标对比", timeout=60_000)
    table = page.locator("[data-testid=stDataFrame]").first
    table.wait_for(timeout=30_000)
    maps = _frames_with(page, ".planner-station", 2)
    assert sorted(f.locator(".planner-station").count() for f in maps) == [60, 80]
    page.get_by_text("地图对比").scroll_into_view_if_needed()
    _no_traceback(page)
    _shot(page, screenshots, "compare.png")
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
    page.get_by_role("button", name="开始计算").wait_for(timeout=30_000)
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


# --- a restart of the app keeps scenarios and plans ---------------------------------------


def test_scenarios_and_plans_survive_an_app_restart(browser, tmp_path, screenshots):
    from conftest import AppServer
    from playwright.sync_api import expect

    home = tmp_path / "home"
    first = AppServer(home)
    try:
        page = _open(browser, first.url)
        _save_preset(page)
        _run_current(page)
        page.close()
    finally:
        assert first.stop() is not None  # the server process has ended
    assert (home / "planner.sqlite").exists()

    second = AppServer(home)  # a new server process on the same PLANNER_HOME
    try:
        assert second.port != first.port or first.proc.poll() is not None
        page = _open(browser, second.url)
        # the scenario is listed and chosen in the sidebar
        picker = page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").nth(1)
        assert "当前情景" in picker.inner_text()
        expect(picker.locator("input")).to_have_value("晋江市 2027 年目标", timeout=30_000)
        _nav(page, "情景设置")
        page.wait_for_selector("text=正在编辑：晋江市 2027 年目标", timeout=60_000)
        page.get_by_text("已保存，更新于").first.wait_for(timeout=30_000)
        count = page.get_by_role("spinbutton", name="回收站点数量（个）")
        expect(count).to_have_value("80", timeout=30_000)
        # the plan is listed with the scenario's results
        _nav(page, "运行规划")
        page.wait_for_selector("text=此情景的历次结果", timeout=60_000)
        history = page.locator("[data-testid=stDataFrame]").last
        history.wait_for(timeout=30_000)
        _no_traceback(page)
        # and the results page shows it on the map
        _nav(page, "规划结果")
        metrics = _metrics(page)
        assert metrics["回收站点"] == "80" and metrics["分拣中心"] == "2"
        chosen = page.locator("[data-testid=stMain] [data-testid=stSelectbox]").first
        assert "规划结果" in chosen.inner_text()
        label = re.compile(r"^晋江市 2027 年目标 · [\d-]+ [\d:]+（#1）$")
        expect(chosen.locator("input")).to_have_value(label, timeout=30_000)
        frame = _frame_with(page, ".planner-centre")
        assert frame.locator(".planner-station").count() == 80
        assert frame.locator(".planner-centre").count() == 2
        _no_traceback(page)
        _shot(page, screenshots, "results_after_restart.png")
        page.close()
    finally:
        second.stop()


# --- the cooperative's review: approve, reject, re-run, download ---------------------------


def _pick_site(page, nth: int) -> str:
    """Pick the ``nth`` site offered by the review page's site picker; returns its label."""
    picker = page.locator(".st-key-review_pick")
    picker.locator("input").click()
    page.keyboard.press("ArrowDown")  # opens the list (a click only focuses it)
    option = page.locator("[role=option]").nth(nth + 1)  # the first is "Select all"
    option.wait_for(timeout=30_000)
    label = option.inner_text()
    option.click()
    page.keyboard.press("Escape")
    _settle(page)
    return label


def _decide(page, action: str, reason: str = "") -> None:
    page.locator(".st-key-review_action").get_by_text(action, exact=True).click()
    _settle(page)
    if reason:
        box = page.get_by_role("textbox", name="原因 / 备注")
        box.fill(reason)
        box.press("Enter")
        _settle(page)
    page.get_by_role("button", name="提交审核意见").click()
    page.wait_for_selector(f"text=个站点“{action}”", timeout=30_000)


def test_review_approve_reject_rerun_and_download(browser, tmp_path, screenshots):
    from conftest import AppServer

    server = AppServer(tmp_path / "home")
    try:
        page = _open(browser, server.url)
        _save_preset(page)
        _run_current(page)
        _nav(page, "站点审核")
        page.wait_for_selector("text=站点审核：晋江市", timeout=60_000)
        page.wait_for_selector("text=填写审核人姓名后即可审核站点", timeout=60_000)
        name = page.get_by_role("textbox", name="审核人")
        name.fill("王工")
        name.press("Enter")
        _settle(page)

        approved = _pick_site(page, 0)
        _decide(page, "批准")
        # the sidebar's local-mode banner is an alert too: the page's own one is wanted
        recorded = page.locator("[data-testid=stMain] [data-testid=stAlert]").first
        assert "已记录：王工 对 1 个站点“批准”" in recorded.inner_text(), recorded.inner_text()
        rejected = _pick_site(page, 1)
        _decide(page, "否决", "消防不合格")
        frame = _frame_with(page, ".planner-legend")
        assert "已否决" in frame.locator(".planner-legend").inner_text()
        _no_traceback(page)
        _shot(page, screenshots, "review.png")

        page.get_by_role("button", name="按审核意见重新计算").click()
        # the new plan opens with its diff as soon as the re-run is done (issue 22)
        page.wait_for_selector("text=与审核前的方案（#1）相比", timeout=240_000)
        try:  # visible
            page.get_by_text("新增 1 个，移除 1 个，迁移 0 个站点。").wait_for(timeout=60_000)
        except Exception as err:  # say what the page shows instead
            raise AssertionError(page.inner_text("body")[-3000:]) from err
        _no_traceback(page)
        _shot(page, screenshots, "review_diff.png")

        download = page.get_by_role("button", name="下载 jinjiang_sites.xlsx")
        book = _downloaded_workbook(page, download, tmp_path)
        # the stations sheet's ids (other sheets name communities by the same codes:
        # a rejected station's community may be listed as uncovered)
        rows = list(book["回收站点"].iter_rows(values_only=True))
        cells = {str(row[rows[0].index("站点编码")]) for row in rows[1:]}
        site_of = lambda label: re.search(r"[（(]([^（）()]+)[）)]$", label).group(1)  # noqa: E731
        assert site_of(approved) in cells and site_of(rejected) not in cells
        page.close()
    finally:
        server.stop()


# --- the sweep page: Jinjiang 40 … 200 stations in the background --------------------------


def test_sweep_page_runs_a_jinjiang_sweep_and_maps_a_point(browser, tmp_path, screenshots):
    from conftest import AppServer
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    server = AppServer(tmp_path / "home")
    try:
        page = _open(browser, server.url)
        _nav(page, "参数扫描")
        page.wait_for_selector("h1:has-text('参数扫描：晋江市')", timeout=60_000)
        # prefilled for Jinjiang (80 stations in the preset): 40 … 200 by 20
        expect(page.get_by_role("textbox", name="起始站点数")).to_have_value("40")
        expect(page.get_by_role("textbox", name="终止站点数")).to_have_value("200")
        step = page.get_by_role("textbox", name="步长")
        step.fill("40")
        step.press("Enter")
        page.get_by_text("将计算 5 个参数组合。").wait_for(timeout=30_000)
        expect(page.get_by_role("spinbutton", name="工作进程数")).to_have_value("2")
        _settle(page)
        page.get_by_role("button", name="开始扫描").click()
        page.get_by_text("共 5 个参数组合。").first.wait_for(timeout=60_000)
        page.wait_for_selector("[data-testid=stProgress]", timeout=60_000)
        page.get_by_role("button", name="停止扫描").wait_for(timeout=30_000)
        _no_traceback(page)
        _shot(page, screenshots, "sweep_running.png")

        # a generous bound for five small points on two workers
        page.get_by_text("共 5 个参数组合：已完成 5 个，失败 0 个，未计算 0 个。").wait_for(
            timeout=600_000
        )
        page.get_by_text(re.compile(r"拐点：\d+ 个站点，覆盖率 [\d.]+%")).first.wait_for(
            timeout=60_000
        )
        page.locator("[data-testid=stVegaLiteChart]").nth(1).wait_for(timeout=60_000)
        page.get_by_text("结果表：全市").wait_for(timeout=30_000)
        page.locator("[data-testid=stDataFrame]").first.wait_for(timeout=30_000)
        page.get_by_role("button", name="下载结果表（CSV）").wait_for(timeout=30_000)
        page.get_by_role("button", name="下载曲线图（PNG）").wait_for(timeout=30_000)

        # a point of the curve: 200 stations on the map, with its legend
        picker = page.locator("[data-testid=stMain] [data-testid=stSelectbox]").filter(
            has_text="查看曲线上的一个方案"
        )
        option = page.get_by_role("option", name=re.compile(r"^200 个站点 · 覆盖"))
        for _ in range(10):  # a rerun of the page closes an open list: open it again
            _settle(page)
            picker.locator("input").click()  # the middle of the box is its label
            try:
                option.click(timeout=5_000)
                break
            except PlaywrightTimeout:
                page.keyboard.press("Escape")
        else:
            raise AssertionError("the list of points did not open")
        _settle(page)
        for _ in range(120):
            frames = _map_frames_now(page)
            counts = [_count(f, ".planner-station") for f in frames]
            if 200 in counts:
                frame = frames[counts.index(200)]
                break
            page.wait_for_timeout(500)
        else:
            raise AssertionError("no map with the 200 stations of the chosen point")
        legend = frame.locator(".planner-legend").inner_text()
        assert "回收站点" in legend and "分拣中心" in legend
        metrics = _metrics(page)
        assert metrics["回收站点"] == "200"
        _no_traceback(page)
        _shot(page, screenshots, "sweep.png")
        page.close()
    finally:
        server.stop()
