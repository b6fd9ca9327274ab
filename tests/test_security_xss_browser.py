"""Stored XSS in the app's maps, in a real browser (Debian chromium via Playwright).

A user region whose county, township and community names carry script payloads is
saved under a fresh ``PLANNER_HOME`` together with two plans, a review decision with a
hostile reviewer and reason, and a two-point sweep. The app is started on it and every
map page is visited: the Data page's region map, the import preview of a hostile
communities file, Results, Review, Compare and the Sweep point map. On each map every
tooltip and popup is opened (real mouse hovers plus Leaflet's own events for every
feature), and then:

* no payload ran: ``window.__xss`` is undefined in the page and in every frame (each
  payload sets it in its own frame first, then tries ``parent`` and ``top``);
* the names are shown as text (a tooltip or popup reads ``<img src=x onerror=…``);
* the map's frame cannot reach the Streamlit page (``window.parent.document`` and
  ``window.top.document`` raise ``SecurityError``).
"""

from __future__ import annotations

import dataclasses

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REGION_ID = "xss"
REGION_NAME = "XSS测试市"


def _img(tag: str) -> str:
    """Breaks out of an attribute and runs on the image's error event."""
    run = f"window.__xss='{tag}';parent.__xss='{tag}';top.__xss='{tag}'"
    return f'"><img src=x onerror="{run}">'


def _svg(tag: str) -> str:
    """Runs on the SVG's load event (fires when inserted with innerHTML)."""
    run = f"window.__xss='{tag}';parent.__xss='{tag}';top.__xss='{tag}'"
    return f'<svg onload="{run}">'


def _script(tag: str) -> str:
    return f"<script>window.__xss='{tag}';parent.__xss='{tag}'</script>"


def _named(layer, payloads):
    out = layer.copy()
    out["name"] = [f"{payloads[i % len(payloads)]}{i}" for i in range(len(out))]
    return out


def _hostile_region():
    from planner.data.regions import load_region

    base = load_region("jinjiang")
    return dataclasses.replace(
        base,
        id=REGION_ID,
        meta={**base.meta, "id": REGION_ID, "name_zh": REGION_NAME, "name_en": "XSS test"},
        counties=_named(base.counties, [_img("county")]),
        townships=_named(base.townships, [_img("township"), _svg("township")]),
        communities=_named(
            base.communities, [_img("community"), _svg("community"), _script("community")]
        ),
        path=None,
    )


def _stored_sweep(store, region) -> None:
    """A two-point sweep (40 and 60 stations) solved in this process, with its plans."""
    from planner.sweep import SweepDefinition, solve_point

    definition = SweepDefinition.from_dict(
        {"region": REGION_ID, "parameters": {"stations.count": [40, 60]}}
    )
    points = definition.points()
    store.start_sweep(
        definition.id, REGION_ID, definition.name, definition.to_dict(), [p.row() for p in points]
    )
    for point in points:
        out = solve_point(REGION_ID, point.scenario.to_dict(), definition.id, point.key)
        assert out["status"] == "done", out
        store.record_sweep_point(
            definition.id,
            point.key,
            "done",
            seconds=out["seconds"],
            result=out["result"],
            plan=out["plan"],
        )


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    """The app on a PLANNER_HOME holding the hostile region, its plans, review and sweep."""
    from conftest import AppServer

    from planner.data.regions import save_region
    from planner.run import run_plan
    from planner.scenario import default_scenario
    from planner.store import Store

    home = tmp_path_factory.mktemp("xss-app") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLANNER_HOME", str(home))
        patch.delenv("PLANNER_DB", raising=False)
        region = _hostile_region()
        save_region(region, REGION_ID)
        store = Store(home / "planner.sqlite")
        scenario = default_scenario("jinjiang").with_changes(region=REGION_ID, name="XSS 80")
        fewer = scenario.with_changes(**{"stations.count": 40, "name": "XSS 40"})
        store.save_plan(store.save_scenario(fewer).id, run_plan(region, fewer))
        record = store.save_scenario(scenario)
        plan = run_plan(region, scenario)
        saved = store.save_plan(record.id, plan)
        sid = str(plan.stations["site_id"].iloc[0])
        store.record_review(
            record.id,
            saved.id,
            "<img src=x onerror=\"window.__xss='reviewer'\">",
            "reject",
            [("station", sid)],
            {},
            reason=_svg("reason"),
        )
        _stored_sweep(store, region)
    server = AppServer(home)
    yield server.url
    server.stop()


# --- driving the maps ------------------------------------------------------------------------

#: Opens every feature's tooltip and popup with Leaflet's own events (what a hover and a
#: click fire), yielding now and then so that image errors and SVG loads get dispatched;
#: returns how many features were opened and every text shown in a tooltip or popup.
_OPEN_ALL = """async () => {
    const maps = Object.keys(window).filter(k => k.startsWith("map_"))
        .map(k => window[k]).filter(v => v instanceof L.Map);
    const shown = new Set();
    const collect = () => document
        .querySelectorAll(".leaflet-tooltip, .leaflet-popup-content")
        .forEach(e => shown.add(e.innerText));
    let opened = 0;
    for (const map of maps) {
        const layers = [];
        map.eachLayer(l => layers.push(l));
        for (const l of layers) {
            if (!(l.feature || l instanceof L.Marker || l instanceof L.CircleMarker)) continue;
            const at = l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
            l.fire("mouseover", {latlng: at}, true);
            l.fire("click", {latlng: at}, true);
            collect();
            opened += 1;
            if (opened % 20 === 0) { await new Promise(r => setTimeout(r, 15)); }
        }
    }
    await new Promise(r => setTimeout(r, 800));
    return {opened: opened, texts: [...shown].join("\\n")};
}"""

_SHOW_ALL_LAYERS = """() => document
    .querySelectorAll("input.leaflet-control-layers-selector[type=checkbox]")
    .forEach(box => { if (!box.checked) { box.click(); } })"""

_REACH = """(which) => {
    try { return "reached:" + String(window[which].document.title); }
    catch (e) { return "blocked:" + e.name; }
}"""


def _open(browser, url: str):
    if "region=" not in url:  # the app reopens the region chosen last: start from Jinjiang
        url += ("&" if "?" in url else "?") + "region=jinjiang"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.wait_for_selector("text=区域数据", timeout=60_000)
    return page


def _settle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000
    )


def _nav(page, label: str) -> None:
    page.locator("[data-testid=stSidebarNav]").get_by_text(label, exact=True).click()
    _settle(page)


def _map_frames(page, count: int = 1, selector: str = ".leaflet-container") -> list:
    """The ``count`` (or more) map frames with ``selector`` once Leaflet has drawn them."""
    for _ in range(180):
        frames = []
        for frame in page.frames:
            if frame == page.main_frame:
                continue
            try:
                if frame.query_selector(selector):
                    frames.append(frame)
            except Exception:  # a frame detached by a rerun
                continue
        if len(frames) >= count:
            return frames
        page.wait_for_timeout(500)
    raise AssertionError(f"expected {count} map frame(s) with {selector}")


def _flags(page) -> dict[str, str]:
    """``window.__xss`` of the page and of every frame that has it set."""
    found = {}
    for i, frame in enumerate(page.frames):
        try:
            value = frame.evaluate("() => window.__xss === undefined ? null : String(window.__xss)")
        except Exception:  # a frame detached by a rerun has no window left
            continue
        if value is not None:
            found[f"frame {i} {frame.url[:40]}"] = value
    return found


def _hover(page, frame) -> None:
    """Real mouse moves over a grid of points of the map, as a user would hover."""
    box = frame.frame_element().bounding_box()
    if not box:
        return
    for i in range(1, 6):
        for j in range(1, 6):
            page.mouse.move(box["x"] + box["width"] * i / 6, box["y"] + box["height"] * j / 6)
            page.wait_for_timeout(40)


def _exercise(page, frame) -> str:
    """Show every layer, hover, open every tooltip and popup; returns the shown texts."""
    frame.evaluate(_SHOW_ALL_LAYERS)
    page.wait_for_timeout(300)
    _hover(page, frame)
    result = frame.evaluate(_OPEN_ALL)
    assert result["opened"] > 0
    return result["texts"]


def _assert_safe(page, frames, where: str, shown: tuple[str, ...] = ("onerror=",)) -> None:
    """No payload ran, the frames cannot reach the app, and ``shown`` texts were shown."""
    texts = "\n".join(_exercise(page, frame) for frame in frames)
    page.wait_for_timeout(500)
    assert _flags(page) == {}, f"a payload ran on {where}: {_flags(page)}"
    for frame in frames:
        assert frame.evaluate(_REACH, "parent") == "blocked:SecurityError", where
        assert frame.evaluate(_REACH, "top") == "blocked:SecurityError", where
    for text in shown:  # the payloads were put on screen, as text
        assert text in texts, (where, text, texts[:500])


def _photo(page, frame, path) -> None:
    """A screenshot with the map in view (its last tooltip or popup still open)."""
    frame.frame_element().scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(path))


def _choose_region(page) -> None:
    page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").first.click()
    page.get_by_role("option", name=REGION_NAME).click()
    page.wait_for_selector(f"h1:has-text('区域数据：{REGION_NAME}')", timeout=60_000)
    _settle(page)


def _pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the main area's selectbox ``label`` (reruns close open lists)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.locator("[data-testid=stMain] [data-testid=stSelectbox]").filter(has_text=label)
    for _ in range(10):
        _settle(page)
        box.scroll_into_view_if_needed()
        box.locator("input").click()
        try:
            page.get_by_role("option", name=option).click(timeout=5_000)
            _settle(page)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError(f"could not choose {option!r} in {label!r}")


def _upload(page, name: str, data: bytes) -> None:
    """Upload ``data`` to the import panel until its report offers to apply it.

    A file given while Streamlit redraws the uploader (after the target changed) is
    dropped with the old widget, so it is given again.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    apply = page.get_by_role("button", name="应用到当前区域")
    for _ in range(4):
        _settle(page)
        page.locator("[class*=st-key-imp_replace] input[type=file]").set_input_files(
            files=[{"name": name, "mimeType": "application/geo+json", "buffer": data}]
        )
        try:
            apply.wait_for(timeout=60_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError("the import panel never accepted the hostile file")


def _hostile_communities() -> bytes:
    from planner.data.regions import load_region

    communities = load_region("jinjiang").communities
    return _named(communities, [_img("import"), _svg("import")]).to_json().encode("utf-8")


def test_no_script_runs_on_any_map_page(browser, hostile_app, screenshots):
    page = _open(browser, hostile_app)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))  # the maps' scripts run through
    page.on("dialog", lambda dialog: dialog.dismiss())
    _choose_region(page)

    # Data page: the region map (counties, townships, communities)
    (frame,) = _map_frames(page)
    _assert_safe(page, [frame], "the Data page's region map")
    _photo(page, frame, screenshots / "xss_data.png")

    # Data page: the preview of a hostile communities file
    _pick(page, "导入内容", "村（社区）边界或点位")
    _upload(page, "村社区.geojson", _hostile_communities())
    frames = _map_frames(page, 2)
    _assert_safe(page, frames, "the Data page's import preview", ("__xss='import'",))
    _photo(page, frames[-1], screenshots / "xss_import_preview.png")

    # Results: township coverage, county outlines, stations, centres, uncovered
    _nav(page, "规划结果")
    page.wait_for_selector(f"text=规划结果：{REGION_NAME}", timeout=60_000)
    frames = _map_frames(page, 1, ".planner-centre")
    _assert_safe(page, frames, "Results")
    _photo(page, frames[0], screenshots / "xss_results.png")

    # Review: the review layer with the hostile reviewer and reason
    _nav(page, "站点审核")
    frames = _map_frames(page, 1, ".planner-legend")
    _assert_safe(page, frames, "Review", ("onerror=", "__xss='reason'", "__xss='reviewer'"))
    _photo(page, frames[0], screenshots / "xss_review.png")

    # Compare: two maps side by side
    _nav(page, "方案对比")
    page.wait_for_selector("text=地图对比", timeout=60_000)
    frames = _map_frames(page, 2, ".planner-centre")
    _assert_safe(page, frames, "Compare")

    # Sweep: the map of a point of the curve
    _nav(page, "参数扫描")
    page.wait_for_selector("text=查看曲线上的一个方案", timeout=60_000)
    frames = _map_frames(page, 1, ".planner-station")
    _assert_safe(page, frames, "Sweep")
    assert "Traceback" not in page.inner_text("body")
    assert errors == []
    page.close()


def test_the_map_still_draws_in_its_isolated_frame(browser, hostile_app, screenshots):
    """The sandboxed map renders: canvas paths, legend, notice; the photo is kept."""
    page = _open(browser, hostile_app)
    _choose_region(page)
    (frame,) = _map_frames(page)
    frame.wait_for_selector(".leaflet-overlay-pane canvas, .leaflet-overlay-pane path")
    frame.get_by_text("乡镇与村/社区边界为近似生成").wait_for(timeout=30_000)
    assert "人口密度" in frame.locator(".planner-legend").inner_text()
    drawn = frame.evaluate(
        "() => { const c = document.querySelector('.leaflet-overlay-pane canvas');"
        " if (!c) return 0; const d = c.getContext('2d')"
        ".getImageData(0, 0, c.width, c.height).data; let n = 0;"
        " for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; }"
    )
    assert drawn > 10_000  # polygons are painted, not an empty canvas
    assert frame.evaluate(_REACH, "parent") == "blocked:SecurityError"
    page.screenshot(path=str(screenshots / "xss_isolated_map.png"))
    page.close()
