"""Siting rules on candidates: a forbidden zone with a buffer leaves out exactly the
candidates within it, with the rule and the real distance in words; allowed zones keep
only the candidates inside them."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pytest
import shapely

from planner.data.kinds import SitingRule, load_kinds
from planner.instance.siting import apply_siting_rules

METRIC = "EPSG:32650"  # UTM 50N: Jinjiang's zone, metres
X0, Y0 = 650_000.0, 2_730_000.0


@pytest.fixture(autouse=True)
def _home(planner_home):
    return planner_home


def _zones(*rows) -> gpd.GeoDataFrame:
    """Zones drawn in metres, stored in WGS84 as a region's layer is."""
    frame = gpd.GeoDataFrame(
        {"category": [r[0] for r in rows], "name": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs=METRIC,
    )
    return frame.to_crs("EPSG:4326")


def _candidates(points: dict[str, tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"site_id": list(points)},
        geometry=[shapely.Point(X0 + dx, Y0 + dy) for dx, dy in points.values()],
        crs=METRIC,
    ).to_crs("EPSG:4326")


# A 1 km square reservoir protection area with its east edge at x = X0.
RESERVOIR = shapely.box(X0 - 1000, Y0 - 500, X0, Y0 + 500)


def test_a_500_m_buffer_leaves_out_exactly_the_candidates_within_500_m():
    scrap = load_kinds()["scrap_vehicle_dismantler"]
    zones = _zones(("drinking_water_protection", "东溪水库", RESERVOIR))
    candidates = _candidates(
        {
            "inside": (-300, 0),
            "at_499": (499, 0),
            "at_501": (501, 0),
            "corner_499": (499 * 0.6, 500 + 499 * 0.8),  # 499 m from the corner
            "corner_501": (501 * 0.6, 500 + 501 * 0.8),
            "far": (3000, 0),
        }
    )
    result = apply_siting_rules(candidates, scrap, zones, METRIC)
    assert sorted(result.kept["site_id"]) == ["at_501", "corner_501", "far"]
    table = result.table("zh").set_index("site_id")
    assert sorted(table.index) == ["at_499", "corner_499", "inside"]
    assert table.loc["at_499", "distance_m"] == pytest.approx(499, abs=0.05)
    assert table.loc["corner_499", "distance_m"] == pytest.approx(499, abs=0.05)
    assert table.loc["inside", "distance_m"] == 0
    assert set(table["rule_index"]) == {2} and table["planner_set"].all()
    assert table["source"].str.contains("GB 22128-2019").all()
    assert table.loc["at_499", "reason"] == "距饮用水水源保护区“东溪水库” 499 米，在 500 米以内"
    assert table.loc["inside", "reason"] == "位于饮用水水源保护区“东溪水库”内"
    english = result.table("en").set_index("site_id")
    assert english.loc["at_499", "reason"] == (
        "499 m from the drinking-water protection area “东溪水库”, within 500 m"
    )
    # no industrial zones in this region: the allowed-zone rule is reported, not applied
    assert [r.zones for r in result.unchecked] == [("industrial",)]


def test_a_candidate_breaking_two_rules_is_listed_under_both_with_the_nearest_zone():
    scrap = load_kinds()["scrap_vehicle_dismantler"]
    zones = _zones(
        ("drinking_water_protection", "东溪水库", RESERVOIR),
        (
            "drinking_water_protection",
            "西溪水库",
            shapely.box(X0 + 700, Y0 - 50, X0 + 800, Y0 + 50),
        ),
        ("residential", "青阳小区", shapely.box(X0 + 200, Y0 - 100, X0 + 400, Y0 + 100)),
        ("industrial", "五里工业园", shapely.box(X0 + 5000, Y0, X0 + 6000, Y0 + 1000)),
    )
    candidates = _candidates({"both": (300, 0), "in_park": (5500, 500), "beside_park": (4800, 500)})
    result = apply_siting_rules(candidates, scrap, zones, METRIC)
    assert list(result.kept["site_id"]) == ["in_park"]
    table = result.table("en")
    both = table[table["site_id"] == "both"].set_index("rule_index")
    assert list(both.index) == [1, 2, 4]  # not on industrial land either
    assert both.loc[1, "reason"] == "inside the residential area “青阳小区”"
    # the nearer of the two reservoirs (300 m, not 400 m)
    assert both.loc[2, "zone_name"] == "东溪水库"
    assert both.loc[2, "distance_m"] == pytest.approx(300, abs=0.05)
    beside = table[table["site_id"] == "beside_park"].set_index("rule_index")
    assert list(beside.index) == [4]
    assert beside.loc[4, "distance_m"] == pytest.approx(200, abs=0.05)
    assert beside.loc[4, "reason"] == "not in any industrial land (the nearest is 200 m away)"
    assert result.unchecked == ()


def test_allowed_zones_with_a_buffer_keep_only_the_candidates_inside_or_near_them():
    station = load_kinds()["recycling_station"]
    rule = SitingRule("allowed", ("commercial", "residential"), 100.0, "test rule", True)
    kind = dataclasses.replace(station, siting=(rule,))
    zones = _zones(
        ("commercial", "万达广场", shapely.box(X0, Y0, X0 + 200, Y0 + 200)),
        ("residential", "世纪小区", shapely.box(X0 + 1000, Y0, X0 + 1200, Y0 + 200)),
        ("drinking_water_protection", "水库", shapely.box(X0 + 3000, Y0, X0 + 3200, Y0 + 200)),
    )
    candidates = _candidates(
        {
            "mall": (100, 100),
            "near_mall": (299, 100),
            "gap": (600, 100),
            "estate": (1100, 50),
            "reservoir": (3100, 100),
        }
    )
    result = apply_siting_rules(candidates, kind, zones, METRIC)
    assert sorted(result.kept["site_id"]) == ["estate", "mall", "near_mall"]
    table = result.table("zh").set_index("site_id")
    assert sorted(table.index) == ["gap", "reservoir"]
    assert table.loc["gap", "distance_m"] == pytest.approx(400, abs=0.05)
    assert table.loc["reservoir", "distance_m"] == pytest.approx(1900, abs=0.05)
    assert table.loc["gap", "reason"] == "不在商业区、居民区 100 米范围内（最近的距此 400 米）"


def test_no_zones_no_rules_keeps_everything():
    kinds = load_kinds()
    candidates = _candidates({"a": (0, 0), "b": (10, 10)})
    for kind in (kinds["smart_recycling"], kinds["scrap_vehicle_dismantler"]):
        result = apply_siting_rules(candidates, kind, None, METRIC)
        assert list(result.kept["site_id"]) == ["a", "b"] and result.excluded.empty
