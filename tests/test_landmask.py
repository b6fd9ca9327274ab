"""The land mask (OSM land polygons via roaring-landmask); the import warning for points at sea."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from planner.data.edit import ImportFile, import_into_region
from planner.data.landmask import land_polygons, on_land
from planner.data.regions import load_region

pytestmark = pytest.mark.usefixtures("planner_home")

# 青阳街道 (Jinjiang's centre) is on land; 24.60 N 118.70 E is in the Taiwan Strait off
# 深沪湾, ~6 km from the coast.
LAND = (118.57, 24.80)
SEA = (118.70, 24.60)


def test_on_land_tells_land_from_sea_and_refuses_nothing():
    got = on_land([LAND[0], SEA[0], np.nan, 120.65], [LAND[1], SEA[1], 24.0, 28.0])
    assert got.tolist() == [True, False, False, True]  # Wenzhou 鹿城 is land


def test_land_polygons_agree_with_the_mask():
    parts = land_polygons((118.5, 24.5, 118.8, 24.9))
    assert parts
    land = shapely.union_all(parts)
    assert land.contains(shapely.Point(LAND)) and not land.contains(shapely.Point(SEA))


def _sites(lon, lat) -> ImportFile:
    frame = pd.DataFrame(
        {"编号": ["S1", "S2"], "名称": ["甲回收站", "乙回收站"], "经度": lon, "纬度": lat}
    )
    data = frame.to_csv(index=False).encode("utf-8-sig")
    return ImportFile("s.csv", data, coordinate_system="wgs84")


def test_imported_site_in_the_sea_is_a_warning_in_both_languages():
    jinjiang = load_region("jinjiang")
    result = import_into_region(jinjiang, "sites", _sites([LAND[0], SEA[0]], [LAND[1], SEA[1]]))
    assert result.ok  # a warning, not a refusal
    problem = result.report.find("validate.at_sea")
    assert problem is not None and problem.severity == "warning"
    assert problem.count == 1 and problem.params["total"] == 2
    assert "S2" in " ".join(problem.examples) or "乙回收站" in " ".join(problem.examples)
    zh, en = " ".join(result.report.messages("zh")), " ".join(result.report.messages("en"))
    assert "海上" in zh and "in the sea" in en


def test_sites_on_land_raise_no_sea_warning():
    jinjiang = load_region("jinjiang")
    result = import_into_region(jinjiang, "sites", _sites([118.57, 118.58], [24.80, 24.82]))
    assert result.ok
    assert result.report.find("validate.at_sea") is None
