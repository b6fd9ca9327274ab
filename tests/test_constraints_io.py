"""Zones, points of interest and demand tables: imported with their categories checked
against the vocabulary, their coordinate system declared or asked for (GCJ-02 converted,
never mixed in silently), and stored with the region."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planner.data.crs import gcj02_to_wgs84
from planner.data.io.constraints import import_demand_table, import_pois, import_zones
from planner.data.regions import load_region, save_region


@pytest.fixture(scope="module")
def jinjiang():
    return load_region("jinjiang")


@pytest.fixture
def points(jinjiang):
    """Three places inside Jinjiang (WGS84 longitude/latitude)."""
    p = jinjiang.communities.geometry.representative_point().iloc[:3]
    return np.c_[p.x.to_numpy(), p.y.to_numpy()]


def test_zones_from_geojson_with_chinese_categories(tmp_path, jinjiang, points):
    path = tmp_path / "zones.geojson"
    gpd.GeoDataFrame(
        {
            "类别": ["饮用水水源保护区", "residential", "Ecological red line"],
            "名称": ["东溪水库", "青阳小区", "紫帽山"],
        },
        geometry=[shapely.Point(x, y).buffer(0.003) for x, y in points],
        crs="EPSG:4326",
    ).to_file(path)
    result = import_zones(path, region_boundary=jinjiang.boundary())
    assert result.ok, result.messages("en")
    assert list(result.data["category"]) == [
        "drinking_water_protection",
        "residential",
        "ecological_red_line",
    ]
    assert list(result.data["name"]) == ["东溪水库", "青阳小区", "紫帽山"]
    assert list(result.data["zone_id"]) == ["Z1", "Z2", "Z3"]
    assert result.data.crs.to_epsg() == 4326 and result.coordinate_system == "wgs84"


def test_an_unknown_category_refuses_the_import_and_names_it(tmp_path, jinjiang, points):
    path = tmp_path / "zones.geojson"
    gpd.GeoDataFrame(
        {"category": ["farmland", "residential", "farmland"], "name": ["a", "b", "c"]},
        geometry=[shapely.Point(x, y).buffer(0.003) for x, y in points],
        crs="EPSG:4326",
    ).to_file(path)
    result = import_zones(path, region_boundary=jinjiang.boundary())
    assert result.data is None
    [problem] = [p for p in result.report.problems if p.severity == "error"]
    assert problem.key == "constraints.category_unknown"
    assert problem.count == 2 and problem.examples == ("farmland",)
    assert "drinking_water_protection (饮用水水源保护区)" in result.messages("zh")[0]


def test_polygons_are_refused_as_points_of_interest(tmp_path, jinjiang, points):
    path = tmp_path / "pois.geojson"
    gpd.GeoDataFrame(
        {"category": ["school"]}, geometry=[shapely.Point(*points[0]).buffer(0.01)], crs=4326
    ).to_file(path)
    result = import_pois(path, region_boundary=jinjiang.boundary())
    assert result.data is None
    assert "validate.geometry_wrong_type" in {p.key for p in result.report.problems}


def _poi_csv(tmp_path, xy) -> str:
    path = tmp_path / "pois.csv"
    pd.DataFrame(
        {
            "名称": ["万达广场", "实验小学", "市政府"],
            "类别": ["商圈", "学校", "公共机构"],
            "权重": ["3", "", "2.5"],
            "经度": xy[:, 0],
            "纬度": xy[:, 1],
        }
    ).to_csv(path, index=False)
    return str(path)


def test_points_without_a_coordinate_system_are_not_guessed(tmp_path, jinjiang, points):
    result = import_pois(_poi_csv(tmp_path, points), region_boundary=jinjiang.boundary())
    assert result.data is None
    assert [p.key for p in result.report.problems if p.severity == "needs_input"] == [
        "io.crs_ambiguous"
    ]


def test_gcj02_points_are_converted_to_wgs84(tmp_path, jinjiang, points):
    result = import_pois(
        _poi_csv(tmp_path, points), coordinate_system="gcj02", region_boundary=jinjiang.boundary()
    )
    assert result.ok, result.messages("en")
    assert result.coordinate_system == "gcj02"
    expected = np.array([gcj02_to_wgs84(x, y) for x, y in points])
    got = np.c_[result.data.geometry.x, result.data.geometry.y]
    np.testing.assert_allclose(got, expected, atol=1e-7)
    assert np.abs(got - points).max() > 1e-3  # a real shift (hundreds of metres), not a copy
    assert list(result.data["category"]) == ["shopping_district", "school", "public_institution"]
    assert list(result.data["weight"]) == [3.0, 1.0, 2.5]


def test_a_demand_table_per_county(tmp_path, jinjiang):
    path = tmp_path / "vehicles.csv"
    pd.DataFrame({"区县代码": ["350582"], "机动车保有量": ["612,345"]}).to_csv(path, index=False)
    table, report = import_demand_table(path, jinjiang.counties)
    assert report.ok
    assert table.to_dict("records") == [{"county_code": "350582", "count": 612345.0}]
    pd.DataFrame({"区县代码": ["350582", "330302"], "数量": [10, 20]}).to_csv(path, index=False)
    table, report = import_demand_table(path, jinjiang.counties)
    assert table is None
    assert [p.key for p in report.problems] == ["constraints.table_unknown_county"]
    assert report.problems[0].examples == ("330302",)


def test_zones_pois_and_tables_are_stored_with_the_region(planner_home, tmp_path, jinjiang, points):
    zones_path = tmp_path / "zones.geojson"
    gpd.GeoDataFrame(
        {"category": ["commercial"], "name": ["万达"]},
        geometry=[shapely.Point(*points[0]).buffer(0.002)],
        crs=4326,
    ).to_file(zones_path)
    zones = import_zones(zones_path).data
    pois = import_pois(_poi_csv(tmp_path, points), coordinate_system="wgs84").data
    region = jinjiang.with_layer("zones", zones).with_layer("pois", pois)
    region = region.with_table(
        "vehicles", pd.DataFrame({"county_code": ["350582"], "count": [5.0]})
    )
    save_region(region, "jj-zones")
    loaded = load_region("jj-zones")
    assert list(loaded.zones["category"]) == ["commercial"]
    assert list(loaded.pois["poi_id"]) == ["P1", "P2", "P3"]
    assert loaded.pois["weight"].tolist() == [3.0, 1.0, 2.5]
    assert loaded.tables["vehicles"].to_dict("records") == [{"county_code": "350582", "count": 5.0}]
    assert jinjiang.zones is None and jinjiang.tables == {}
