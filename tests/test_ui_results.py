"""Results and compare pages (AppTest) and the plan map (planner.views.plan_map)."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import numpy as np
import pytest
from page_apps import page_app, page_table

from planner.data.regions import load_region
from planner.plan import Plan
from planner.scenario import default_scenario
from planner.views import plan_map, to_html

pytestmark = pytest.mark.usefixtures("planner_home")


@pytest.fixture(scope="module")
def jinjiang_plan() -> Plan:
    from planner.run import run_plan

    return run_plan("jinjiang", default_scenario("jinjiang"))


@pytest.fixture(scope="module")
def small_plan() -> Plan:
    """A second, different plan: 40 stations."""
    from planner.run import run_plan

    scenario = default_scenario("jinjiang").with_changes(**{"stations.count": 40})
    return run_plan("jinjiang", replace(scenario, name="40 个站点"))


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_results_page_without_plans() -> None:
    at = page_app("results_page")
    assert any("还没有规划结果" in i.value for i in at.info)


def test_results_page_shows_kpis_table_and_map(store, jinjiang_plan) -> None:
    scenario = store.save_scenario(jinjiang_plan.scenario)
    stored = store.save_plan(scenario.id, jinjiang_plan, seconds=3.2)
    at = page_app("results_page")
    assert at.selectbox(key="results_plan").value == stored.id
    metrics = _metrics(at)
    assert metrics["回收站点"] == "80" and metrics["分拣中心"] == "2"
    assert metrics["半径内人口覆盖率"].endswith("%") and metrics["平均距离"].endswith(" 米")
    tiers = page_table(at, "层级")
    assert list(tiers["状态"]) == ["达到精度要求", "达到精度要求"]
    # the plan's quality in words, outside the solver's details (issue 22)
    from planner.plan.quality import plan_quality

    _, quality = plan_quality([r.__dict__ for r in jinjiang_plan.results], "zh")
    assert quality in [s.value for s in at.success]
    counties = page_table(at, "站点目标")
    row = counties.iloc[0]
    assert row["区县"] == "晋江市" and row["站点目标"] == "80" and row["规划站点"] == 80
    assert row["分拣中心目标"] == "2" and row["规划分拣中心"] == 2
    assert row["半径内人口覆盖率"].endswith("%")
    townships = page_table(at, "乡镇/街道")
    assert len(townships) == 22 and townships["规划站点"].sum() == 80
    assert "距离计算方式：直线距离 × 绕行系数 1.3" in "\n".join(c.value for c in at.caption)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == [
        "下载名单（CSV）", "下载名单（Excel）",  # the villages with no station in reach
        "下载结果文件（zip）", "下载 jinjiang_sites.xlsx",
    ]  # fmt: skip
    text = "\n".join(str(m.value) for m in (*at.markdown, *at.error, *at.caption))
    assert "Traceback" not in text

    at.checkbox(key="results_radius").check()
    at.sidebar.radio(key="lang").set_value("en")
    at.run()
    assert not at.exception, at.exception
    metrics = _metrics(at)
    assert metrics["Recycling stations"] == "80" and metrics["Mean distance"].endswith(" m")
    assert page_table(at, "Stations target").iloc[0]["Stations target"] == "80"


def test_results_page_explains_an_infeasible_plan(store) -> None:
    from planner.run import run_plan

    scenario = default_scenario("jinjiang").with_changes(**{"stations.count": 10})
    plan = run_plan("jinjiang", scenario)
    record = store.save_scenario(scenario)
    store.save_plan(record.id, plan)
    at = page_app("results_page")
    errors = "\n".join(e.value for e in at.error)
    assert "没有得到可行方案" in errors
    assert "22 个乡镇（街道）合计至少需要 22 个回收站点" in errors
    assert _metrics(at)["回收站点"] == "0"


def test_compare_page(store, jinjiang_plan, small_plan) -> None:
    at = page_app("compare_page")
    assert any("至少需要两个" in i.value for i in at.info)

    a = store.save_scenario(jinjiang_plan.scenario)
    b = store.save_scenario(small_plan.scenario)
    first = store.save_plan(a.id, jinjiang_plan)
    second = store.save_plan(b.id, small_plan)
    at = page_app("compare_page")
    assert at.multiselect(key="compare_plans_jinjiang").value == [first.id, second.id]
    table = at.dataframe[0].value.set_index("")
    columns = list(table.columns)
    assert columns[0].startswith("A · 晋江市 2027 年目标") and columns[1].startswith("B · 40")
    assert columns[2].startswith("Δ B")
    assert table.loc["回收站点", columns[0]] == "80"
    assert table.loc["回收站点", columns[1]] == "40"
    assert table.loc["回收站点", columns[2]] == "−40"
    assert table.loc["半径内人口覆盖率", columns[2]].endswith("个百分点")
    assert table.loc["求解状态", columns[0]] == "达到精度要求"

    at.multiselect(key="compare_plans_jinjiang").unselect(second.id)
    at.run()
    assert any("请至少选择两个结果" in i.value for i in at.info)


# --- the plan map ----------------------------------------------------------------------------


def test_plan_map_layers_legend_and_popups(jinjiang_plan) -> None:
    region = load_region("jinjiang")
    html = to_html(plan_map(jinjiang_plan, region, "zh"))
    assert html.count('"planner-station"') == 1  # one loop adds all stations
    rows = re.search(r"var rows = (\[.*?\]);\n", html, re.DOTALL)
    assert rows is not None
    for layer in ("回收站点", "分拣中心", "站点→分拣中心", "半径外的村/社区", "区县"):
        assert layer in html
    assert "planner-legend" in html and "覆盖率 ≥ 90%" in html
    assert "乡镇与村/社区边界为近似生成" in html
    assert "服务人口" in html and "日回收量" in html
    assert "L.circle(" in html  # the template is there, but no radius rows unless asked
    assert "站点覆盖半径" not in html
    # offline: no script or stylesheet from the network
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', html)
    assert "markercluster" not in html.lower() or "data:text/javascript" in html

    with_radius = to_html(plan_map(jinjiang_plan, region, "en", show_radius=True))
    assert "Station coverage radius" in with_radius and "Population served" in with_radius


def test_plan_map_escapes_names_and_clusters_when_dense(jinjiang_plan) -> None:
    sites = jinjiang_plan.sites.copy()
    first = sites.index[sites["tier"] == "station"][0]
    sites.loc[first, "name"] = '<img src=x onerror="alert(1)">站'
    plan = replace(jinjiang_plan, sites=sites)
    html = to_html(plan_map(plan, None, "zh", cluster=True))
    assert "<img src=x" not in html and "&lt;img src=x" in html
    assert "L.markerClusterGroup" in html and "planner-cluster" in html
    plain = to_html(plan_map(plan, None, "zh"))
    assert "L.markerClusterGroup" not in plain  # 80 stations: no clustering needed


def test_amap_basemap_shifts_layers_to_gcj02(jinjiang_plan) -> None:
    from planner.data.crs import wgs84_to_gcj02

    region = load_region("jinjiang")
    plain = to_html(plan_map(jinjiang_plan, region, "zh"))
    amap = to_html(plan_map(jinjiang_plan, region, "zh", basemap="amap"))
    assert "autonavi.com" in amap and "autonavi.com" not in plain
    assert json.dumps("高德地图（需联网，GCJ-02 坐标）")[1:-1] in amap  # the layer's name
    station = jinjiang_plan.stations.iloc[0].geometry
    lon, lat = wgs84_to_gcj02(np.array([station.x]), np.array([station.y]))
    assert f"[{round(lat[0], 6)}, {round(lon[0], 6)}," in amap
    assert f"[{round(station.y, 6)}, {round(station.x, 6)}," in plain
    assert f"[{round(station.y, 6)}, {round(station.x, 6)}," not in amap


def test_region_map_with_amap_is_shifted_too() -> None:
    from planner.views import region_map

    region = load_region("jinjiang")
    html = to_html(region_map(region, "zh", basemap="amap", show_communities=False))
    assert "autonavi.com" in html
    offline = to_html(region_map(region, "zh"))
    assert "autonavi.com" not in offline and "openstreetmap" not in offline.lower()
