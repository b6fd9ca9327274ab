"""Web maps a planner finds their way on (issue 22): county and township names by zoom,
a search box, and a kilometre-only scale on every map."""

from __future__ import annotations

import json
import re

import pytest

from planner.data.regions import load_region
from planner.run import run_plan
from planner.scenario import default_scenario
from planner.views.compare_map import compare_map
from planner.views.export.html import export_html
from planner.views.find import search_rows
from planner.views.move_map import move_map
from planner.views.plan_map import plan_map
from planner.views.preview import layer_map
from planner.views.region_map import region_map


@pytest.fixture(scope="module")
def region():
    return load_region("jinjiang")


@pytest.fixture(scope="module")
def plan():
    return run_plan("jinjiang", default_scenario("jinjiang"))


def test_plan_map_labels_areas_by_zoom_and_finds_sites(plan, region) -> None:
    html = plan_map(plan, region, "zh").get_root().render()
    assert "planner-area-label" in html and 'map.on("zoomend", show)' in html
    block = html[html.index('"county"]') - 200 :]
    labels = json.loads(re.search(r"var names = (\[\[.*?\]\]);", block, re.S).group(1))
    counties = [r for r in labels if r[4] == "county"]
    towns = [r for r in labels if r[4] == "township"]
    assert [r[2] for r in counties] == list(region.counties["name"])
    assert len(towns) == len(region.townships) and {r[3] for r in towns} == {11}
    assert "搜索站点、乡镇/街道、村/社区（名称或编码）" in html
    site = str(plan.stations["site_id"].iloc[0])
    assert f'"{site}"' in html  # the plan's sites are in the search index


def test_search_rows_escape_names_and_codes() -> None:
    import geopandas as gpd
    import shapely

    layer = gpd.GeoDataFrame(
        {"site_id": ["<b>x</b>"], "name": ['<img src=x onerror="alert(1)">']},
        geometry=[shapely.Point(118.5, 24.8)], crs="EPSG:4326",
    )  # fmt: skip
    ((lat, lon, name, code, kind),) = search_rows([(layer, "site_id", "ui.rev.audit_site")], None,
                                                 "zh")  # fmt: skip
    assert "<" not in name and "<" not in code and (lat, lon) == (24.8, 118.5)
    assert kind == "站点"


def test_every_web_map_has_a_kilometre_only_scale(plan, region) -> None:
    maps = {
        "plan": plan_map(plan, region, "zh"),
        "region": region_map(region, show_sites=False),
        "compare": compare_map(plan, plan, plan.sites.iloc[:0].assign(change=[]), region),
        "move": move_map(118.55, 24.78, plan.stations.iloc[:3], region),
        "preview": layer_map(region.counties),
    }
    for name, fmap in maps.items():
        html = fmap.get_root().render()
        scales = re.findall(r"L\.control\.scale\(([^)]*)\)", html)
        assert scales and all("imperial: false" in s for s in scales), name


def test_exported_html_map_has_labels_and_search(plan, region, tmp_path) -> None:
    html = export_html(plan, tmp_path / "map.html", region, "zh").read_text(encoding="utf-8")
    assert "planner-area-label" in html and "planner-search" in html
    assert "L.markerClusterGroup" not in html  # 80 stations: drawn one by one


def test_exported_html_map_clusters_a_dense_plan_like_the_app(
    plan, region, tmp_path, monkeypatch
) -> None:
    import sys

    # the module, not the function planner.views re-exports under the same name;
    # with a threshold of 50, Jinjiang's 80 stations are "dense"
    monkeypatch.setattr(sys.modules["planner.views.plan_map"], "CLUSTER_ABOVE", 50)
    html = export_html(plan, tmp_path / "map.html", region, "zh").read_text(encoding="utf-8")
    assert "L.markerClusterGroup" in html and "planner-cluster" in html
    # the clustering script travels inside the file: it opens offline
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', html)
    assert "data:text/javascript" in html


def test_a_map_zooms_to_the_chosen_county(plan) -> None:
    wenzhou = load_region("wenzhou")  # twelve counties; the mechanism, not the plan
    lucheng = wenzhou.counties[wenzhou.counties["code"] == "330302"]
    minx, miny, maxx, maxy = lucheng.total_bounds
    html = plan_map(plan, wenzhou, "zh", focus=("330302",)).get_root().render()
    fits = re.findall(r"fitBounds\(\s*\[\[([\d.]+), ([\d.]+)\], \[([\d.]+), ([\d.]+)\]\]", html)
    assert fits
    got = [float(x) for x in fits[0]]
    assert got == pytest.approx([miny, minx, maxy, maxx], abs=1e-6)
    whole = plan_map(plan, wenzhou, "zh").get_root().render()
    assert re.findall(r"fitBounds\(\s*\[\[([\d.]+), ([\d.]+)\]", whole)[0] != fits[0][:2]


def test_review_map_has_one_legend_with_the_review_section(plan, region) -> None:
    from planner.plan.review import site_table
    from planner.views.review_map import review_map

    html = review_map(plan, site_table(plan, {}).iloc[:3], region, "zh").get_root().render()
    assert html.count('class="planner-legend"') == 1 and "planner-review-legend" not in html
    legend = html[html.index('class="planner-legend"') :]
    assert "审核状态" in legend[: legend.index("</div></div>") + 12]
    assert '"collapsed": true' in html  # the layer list folds away
