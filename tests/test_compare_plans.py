"""Two plans compared where they differ: per county and site by site (issue 22)."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from planner.plan import Plan
from planner.plan.compare import county_changes, county_rows, site_changes
from planner.run import run_plan
from planner.scenario import default_scenario
from planner.views.compare_map import compare_map

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def base() -> Plan:
    return run_plan("jinjiang", default_scenario("jinjiang"))


def _shifted(plan: Plan) -> Plan:
    """The plan with station 0 moved 300 m east (a new id), station 1 dropped and a
    station added 5 km north of station 2 (in another township's spot)."""
    sites = plan.sites.copy()
    st = sites.index[sites["tier"] == "station"]
    p0, p2 = sites.geometry[st[0]], sites.geometry[st[2]]
    lon, lat, _ = GEOD.fwd(p0.x, p0.y, 90, 300)
    moved = sites.loc[[st[0]]].assign(site_id="moved-0", geometry=[shapely.Point(lon, lat)])
    lon, lat, _ = GEOD.fwd(p2.x, p2.y, 0, 5000)
    far = sites.loc[[st[2]]].assign(site_id="far-2", township_code="elsewhere",
                                    geometry=[shapely.Point(lon, lat)])  # fmt: skip
    kept = sites.drop(index=[st[0], st[1]])
    out = gpd.GeoDataFrame(pd.concat([kept, moved, far]), crs="EPSG:4326")
    return replace(plan, sites=out)


def test_site_changes_pair_nearby_replacements_into_moves(base) -> None:
    other = _shifted(base)
    diff = site_changes(base, other).set_index("site_id")
    ids = list(base.stations["site_id"])
    assert diff.loc[ids[0], "change"] == "moved" and diff.loc[ids[0], "new_site_id"] == "moved-0"
    assert diff.loc[ids[0], "moved_m"] == pytest.approx(300, abs=1)
    assert diff.loc[ids[1], "change"] == "removed"
    assert diff.loc["far-2", "change"] == "added"  # 5 km away in another township: not a move
    assert len(diff) == 3
    # a tighter reach pairs nothing
    assert set(site_changes(base, other, within_m=200)["change"]) == {"added", "removed"}


def test_county_changes_and_rows(base) -> None:
    fewer = run_plan("jinjiang", replace(base.scenario, stations=replace(base.scenario.stations,
                                                                           count=60)))  # fmt: skip
    changes = county_changes(base, fewer).set_index("county_code")
    code = str(base.county_kpis["county_code"].iloc[0])
    assert changes.loc[code, "stations_base"] == 80 and changes.loc[code, "stations_other"] == 60
    assert changes.loc[code, "stations_change"] == -20
    assert changes.loc[code, "mean_distance_m_change"] > 0  # fewer stations, longer walks
    rows = county_rows(changes.reset_index(), {code: "晋江市"}, "zh").set_index("区县")
    assert rows.loc["晋江市", "回收站点"] == "80 → 60 (−20)"
    assert county_rows(county_changes(base, base), {}, "zh", changed_only=True).empty


def test_compare_map_draws_both_plans_and_the_moves(base) -> None:
    other = _shifted(base)
    diff = site_changes(base, other)
    html = compare_map(base, other, diff, lang="zh").get_root().render()
    assert "仅 A 有（B 中取消）" in html and "仅 B 有（新增）" in html
    assert "迁移" in html and html.count("L.polyline(") == 1
