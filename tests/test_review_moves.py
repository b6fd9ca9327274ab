"""Moving a reviewed site: nearby spots and candidates, coordinates typed from Amap or
Baidu, and the map a reviewer clicks (issue 22)."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from pyproj import Geod

from planner.data.crs import wgs84_to_bd09, wgs84_to_gcj02
from planner.i18n import PlannerError
from planner.plan.review_tables import (
    move_target_of,
    nearby_targets,
    point_in_wgs84,
    typed_point,
)
from planner.views.move_map import move_map

SITE = (120.6994, 27.9943)  # 温州 五马街
GEOD = Geod(ellps="WGS84")


def _candidates(metres_east: list[float]) -> gpd.GeoDataFrame:
    points = []
    for m in metres_east:
        lon, lat, _ = GEOD.fwd(SITE[0], SITE[1], 90, m)
        points.append(shapely.Point(lon, lat))
    ids = [f"c{int(m)}" for m in metres_east]
    return gpd.GeoDataFrame({"site_id": ids, "name": ids}, geometry=points, crs="EPSG:4326")


def test_nearby_targets_offer_spots_and_candidates_nearest_first() -> None:
    cand = _candidates([120, 600, 990, 3_600, 5_000])
    options = nearby_targets(cand, *SITE, used={"c600"}, lang="zh", nearest=1)
    keys = list(options)
    # candidates within 1 km (not the used one), the nearest one beyond, and 32 spots
    assert [k for k in keys if not k.startswith("pt:")] == ["c120", "c990"]
    assert sum(k.startswith("pt:") for k in keys) == 32
    assert keys[0] == "c120" and options["c120"] == "c120（c120，120 米）"
    # spots every 250 m in eight directions, labelled in words
    first_spot = next(k for k in keys if k.startswith("pt:"))
    assert options[first_spot] == "向北 250 米处"
    target = move_target_of(first_spot)
    _, _, metres = GEOD.inv(*SITE, target.lon, target.lat)
    assert metres == pytest.approx(250, abs=1) and target.site_id is None
    assert move_target_of("c120").site_id == "c120"
    english = nearby_targets(cand, *SITE, used=(), lang="en", nearest=0)
    assert "250 m north-east" in english.values()


@pytest.mark.parametrize("text", ["120.699367,27.994267", "120.699367, 27.994267",
                                  "120.699367，27.994267", "120.699367 27.994267"])  # fmt: skip
def test_typed_point_reads_what_web_maps_copy(text: str) -> None:
    assert typed_point(text) == (120.699367, 27.994267)


@pytest.mark.parametrize("text", ["120.7", "东经120度", "1,2,3", "nan,27"])
def test_typed_point_refuses_what_is_not_two_numbers(text: str) -> None:
    with pytest.raises(PlannerError) as err:
        typed_point(text)
    assert "经度,纬度" in err.value.message("zh")


@pytest.mark.parametrize("system, forward", [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_points_from_amap_and_baidu_come_back_to_wgs84(system, forward) -> None:
    x, y = forward(*SITE)
    shown = (float(x), float(y))
    _, _, offset = GEOD.inv(*SITE, *shown)
    assert offset > 300  # the shift a planner would otherwise carry into the plan
    lon, lat = point_in_wgs84(*shown, system)
    _, _, error = GEOD.inv(*SITE, lon, lat)
    assert error < 1.0
    assert point_in_wgs84(*SITE, "wgs84") == SITE


def test_move_map_draws_the_site_its_reach_and_the_candidates() -> None:
    html = move_map(*SITE, _candidates([120, 600]), lang="zh").get_root().render()
    assert html.count("L.circleMarker(") == 3  # two candidates and the site
    assert "L.circle(" in html and '"radius": 1000.0' in html
    assert "要迁移的站点" in html
    # a click shows the spot as the paste field reads it (the map is isolated: no callback)
    assert 'map.on("click"' in html and "toFixed(6)" in html and "WGS84" in html
