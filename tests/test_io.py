"""Tests of planner.data.io: reading planners' files into validated layers.

All fixtures are generated here in ``tmp_path``; codes deliberately start with a zero so
that any code accidentally parsed as a number loses its leading digit and fails.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

from planner.data import crs
from planner.data.checks import Problem, ValidationReport
from planner.data.io import import_layer, import_population, list_layers, read_table, read_vector
from planner.i18n import known

pytestmark = pytest.mark.filterwarnings(
    "ignore:Column names longer than 10:UserWarning",
    "ignore:Normalized/laundered field name:RuntimeWarning",
)

COUNTY = "030302"
COUNTY_BOX = box(120.55, 27.95, 120.75, 28.10)


class Upload(io.BytesIO):
    """Like Streamlit's UploadedFile: bytes plus a file name."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


def as_upload(path: Path) -> Upload:
    return Upload(path.read_bytes(), path.name)


# --------------------------------------------------------------------------- fixtures


def counties() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": [COUNTY],
            "name": ["鹿城区"],
            "population": [100_000],
            "urban_share": [0.8],
            "households": [40_000],
        },
        geometry=[COUNTY_BOX],
        crs="EPSG:4326",
    )


def townships() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": ["030302001", "030302002", "030302101", "030302201"],
            "name": ["五马街道", "南汇街道", "藤桥镇", "山福乡"],
            "county_code": [COUNTY] * 4,
            "population": [10_000, 20_000, 30_000, 40_000],
        },
        geometry=[
            box(120.55, 27.95, 120.65, 28.02),
            box(120.65, 27.95, 120.75, 28.02),
            box(120.55, 28.02, 120.65, 28.10),
            box(120.65, 28.02, 120.75, 28.10),
        ],
        crs="EPSG:4326",
    )


def community_points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": ["030302001001", "030302001002", "030302101201", "030302201202"],
            "name": ["五马社区", "墨池社区", "上戍村", "岙底村"],
            "population": [4_000, 6_000, 30_000, 40_000],
        },
        geometry=[
            Point(120.601, 27.985),
            Point(120.623, 28.001),
            Point(120.600, 28.050),
            Point(120.700, 28.060),
        ],
        crs="EPSG:4326",
    )


def write_zipped_shapefile(
    gdf: gpd.GeoDataFrame,
    tmp_path: Path,
    *,
    name: str = "layer",
    encoding: str | None = None,
    drop: tuple[str, ...] = (),
) -> Path:
    folder = tmp_path / f"shp_{name}"
    folder.mkdir()
    kwargs = {"encoding": encoding} if encoding else {}
    gdf.to_file(folder / f"{name}.shp", driver="ESRI Shapefile", engine="pyogrio", **kwargs)
    for suffix in drop:
        (folder / f"{name}{suffix}").unlink()
    target = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, f"{name}/{part.name}")
    return target


def table_with_lonlat(gdf: gpd.GeoDataFrame, lon: str = "lon", lat: str = "lat") -> pd.DataFrame:
    frame = pd.DataFrame(gdf.drop(columns="geometry"))
    frame[lon] = gdf.geometry.x
    frame[lat] = gdf.geometry.y
    return frame


def assert_renders(problem: Problem, *numbers: object) -> None:
    """Both languages render fully, with the count and the given numbers/examples."""
    for lang in ("zh", "en"):
        text = problem.message(lang)
        assert "{" not in text and text != problem.key, text
        assert f"{problem.count:,}" in text or problem.count == 1, text
        for number in numbers:
            assert str(number) in text, (number, text)
    assert problem.message("zh") != problem.message("en")
    assert known(problem.key)


def only(report: ValidationReport, key: str) -> Problem:
    problem = report.find(key)
    assert problem is not None, (key, report.keys, report.messages("en"))
    return problem


def same_geometry(a: shapely.Geometry, b: shapely.Geometry, tolerance: float = 1e-9) -> bool:
    return shapely.normalize(a).equals_exact(shapely.normalize(b), tolerance)


# --------------------------------------------------------------------------- round trips


def _write(fmt: str, tmp_path: Path) -> tuple[Path, dict]:
    if fmt == "geojson":
        path = tmp_path / "乡镇.geojson"
        townships().to_file(path, driver="GeoJSON", engine="pyogrio")
        return path, {}
    if fmt == "gpkg":
        path = tmp_path / "towns.gpkg"
        townships().to_file(path, driver="GPKG", layer="乡镇", engine="pyogrio")
        return path, {}
    if fmt == "zip":
        return write_zipped_shapefile(townships(), tmp_path), {}
    if fmt == "csv":
        path = tmp_path / "村社区.csv"
        table_with_lonlat(community_points()).to_csv(path, index=False, encoding="utf-8-sig")
        return path, {"coordinate_system": "wgs84"}
    if fmt == "xlsx":
        path = tmp_path / "村社区.xlsx"
        table_with_lonlat(community_points(), "经度", "纬度").to_excel(path, index=False)
        return path, {"coordinate_system": "wgs84"}
    raise AssertionError(fmt)


@pytest.mark.parametrize("upload", [False, True], ids=["path", "upload"])
@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "zip", "csv", "xlsx"])
def test_round_trip(fmt: str, upload: bool, tmp_path: Path) -> None:
    path, kwargs = _write(fmt, tmp_path)
    expected = community_points() if fmt in ("csv", "xlsx") else townships()
    level = "communities" if fmt in ("csv", "xlsx") else "townships"
    source = as_upload(path) if upload else path

    result = import_layer(source, level, **kwargs)

    assert result.ok, result.report.messages("en")
    data = result.data
    assert data.crs.to_epsg() == 4326
    assert list(data["code"]) == list(expected["code"])
    assert pd.api.types.is_string_dtype(data["code"])
    assert all(isinstance(c, str) for c in data["code"])
    assert list(data["name"]) == list(expected["name"])
    assert list(data["population"]) == list(expected["population"])
    for got, want in zip(data.geometry, expected.geometry, strict=True):
        assert same_geometry(got, want), (got, want)
    assert list(data.columns[:-1]) == list(
        {
            "townships": ["code", "name", "county_code", "kind", "population", "geometry_quality"],
            "communities": [
                "code",
                "name",
                "township_code",
                "county_code",
                "kind",
                "population",
                "households",
                "geometry_quality",
            ],
        }[level]
    )
    assert list(data["county_code"]) == [COUNTY] * 4


def test_round_trip_derived_attributes(tmp_path: Path) -> None:
    path, kwargs = _write("csv", tmp_path)
    data = import_layer(path, "communities", **kwargs).data
    assert list(data["township_code"]) == ["030302001", "030302001", "030302101", "030302201"]
    assert list(data["kind"]) == ["community", "community", "village", "village"]
    assert set(data["geometry_quality"]) == {"approximate"}  # points only

    towns = import_layer(_write("geojson", tmp_path)[0], "townships").data
    assert list(towns["kind"]) == ["street", "street", "town", "township"]
    assert set(towns["geometry_quality"]) == {"official"}


def test_read_vector_and_read_table_accept_uploads(tmp_path: Path) -> None:
    path, _ = _write("xlsx", tmp_path)
    upload = as_upload(path)
    upload.seek(5)
    frame = read_table(upload)
    assert upload.tell() == 5  # the upload's position is restored
    assert list(frame["code"]) == list(community_points()["code"])
    gdf = read_vector(upload)
    assert gdf.crs is None and len(gdf) == 4


# --------------------------------------------------------------------------- encodings and CRS


def test_gbk_shapefile_without_cpg(tmp_path: Path) -> None:
    gdf = townships().rename(columns={"code": "代码", "name": "名称", "population": "人口"})
    path = write_zipped_shapefile(gdf, tmp_path, encoding="GBK", drop=(".cpg",))
    with zipfile.ZipFile(path) as archive:
        assert not any(n.endswith(".cpg") for n in archive.namelist())

    result = import_layer(path, "townships")

    assert result.ok, result.report.messages("en")
    assert list(result.data["name"]) == ["五马街道", "南汇街道", "藤桥镇", "山福乡"]
    assert list(result.data["code"]) == list(townships()["code"])
    assert result.columns["name"] == "名称"
    assert_renders(only(result.report, "io.encoding_guessed"))


def test_gbk_shapefile_with_cpg_is_honoured(tmp_path: Path) -> None:
    path = write_zipped_shapefile(townships(), tmp_path, encoding="GBK")
    result = import_layer(path, "townships")
    assert result.ok
    assert list(result.data["name"]) == ["五马街道", "南汇街道", "藤桥镇", "山福乡"]
    assert result.report.find("io.encoding_guessed") is None


def test_utf8_shapefile_without_cpg(tmp_path: Path) -> None:
    path = write_zipped_shapefile(townships(), tmp_path, encoding="UTF-8", drop=(".cpg",))
    result = import_layer(path, "townships")
    assert result.ok
    assert list(result.data["name"]) == ["五马街道", "南汇街道", "藤桥镇", "山福乡"]
    assert result.report.find("io.encoding_guessed") is None


def test_shapefile_path_with_siblings(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    townships().to_file(folder / "towns.shp", engine="pyogrio")
    result = import_layer(folder / "towns.shp", "townships")
    assert result.ok
    assert list(result.data["code"]) == list(townships()["code"])


@pytest.fixture
def gk_zip(tmp_path: Path) -> Path:
    projected = townships().to_crs("EPSG:4549")  # CGCS2000 3-degree GK, CM 120E
    return write_zipped_shapefile(projected, tmp_path, name="gk", drop=(".prj",))


def test_projected_shapefile_without_prj_asks(gk_zip: Path) -> None:
    result = import_layer(gk_zip, "townships")
    assert result.data is None
    problem = only(result.report, "io.crs_ambiguous")
    assert problem.severity == "needs_input"
    assert "EPSG:4549" in problem.examples
    assert_renders(problem, 21)


def test_projected_shapefile_detected_with_region(gk_zip: Path) -> None:
    result = import_layer(gk_zip, "townships", region_boundary=COUNTY_BOX)
    assert result.ok, result.report.messages("en")
    assert result.coordinate_system == "EPSG:4549"
    assert only(result.report, "io.crs_detected").severity == "fixed"
    for got, want in zip(result.data.geometry, townships().geometry, strict=True):
        assert got.symmetric_difference(want).area < 1e-10


def test_projected_shapefile_converted_when_system_given(gk_zip: Path) -> None:
    result = import_layer(gk_zip, "townships", coordinate_system="EPSG:4549")
    assert result.ok, result.report.messages("en")
    assert result.coordinate_system == "EPSG:4549"
    for got, want in zip(result.data.geometry, townships().geometry, strict=True):
        assert got.symmetric_difference(want).area < 1e-10
        assert np.allclose(got.bounds, want.bounds, atol=1e-7)


def test_lonlat_system_for_projected_coordinates(gk_zip: Path) -> None:
    result = import_layer(gk_zip, "townships", coordinate_system="wgs84")
    assert result.data is None
    assert_renders(only(result.report, "io.crs_mismatch"), "WGS84")


def test_gcj02_csv_converted(tmp_path: Path) -> None:
    truth = community_points()
    frame = table_with_lonlat(truth, "经度", "纬度")
    frame["经度"], frame["纬度"] = crs.wgs84_to_gcj02(frame["经度"], frame["纬度"])
    path = tmp_path / "amap.csv"
    frame.to_csv(path, index=False)

    result = import_layer(path, "communities", coordinate_system="gcj02")

    assert result.ok, result.report.messages("en")
    assert result.coordinate_system == "gcj02"
    got = np.column_stack([result.data.geometry.x, result.data.geometry.y])
    want = np.column_stack([truth.geometry.x, truth.geometry.y])
    assert np.abs(got - want).max() < 1e-7
    # Without conversion the points would be ~500 m off.
    assert np.abs(np.asarray(frame[["经度", "纬度"]]) - want).max() > 1e-3


def test_gbk_csv_and_title_rows(tmp_path: Path) -> None:
    frame = table_with_lonlat(community_points(), "经度", "纬度")
    text = "2023年村社区名单,,,,\n" + frame.rename(
        columns={"code": "统计用区划代码", "name": "名称", "population": "常住人口"}
    ).to_csv(index=False)
    path = tmp_path / "名单.csv"
    path.write_bytes(text.encode("gbk"))

    result = import_layer(path, "communities", coordinate_system="WGS84")

    assert result.ok, result.report.messages("en")
    assert list(result.data["name"]) == list(community_points()["name"])
    assert list(result.data["code"]) == list(community_points()["code"])
    assert result.report.find("io.encoding_guessed") is not None


def test_crs_unknown_name(tmp_path: Path) -> None:
    path, _ = _write("csv", tmp_path)
    result = import_layer(path, "communities", coordinate_system="Mars-1999")
    assert result.data is None
    problem = only(result.report, "crs.unknown_system")
    assert "Mars-1999" in problem.message("zh") and "Mars-1999" in problem.message("en")


def test_geojson_labelled_wgs84_holding_projected_coordinates(tmp_path: Path) -> None:
    projected = townships().to_crs("EPSG:4549").set_crs("EPSG:4326", allow_override=True)
    path = tmp_path / "mislabelled.geojson"
    projected.to_file(path, engine="pyogrio")
    result = import_layer(path, "townships", coordinate_system="EPSG:4549")
    assert result.ok, result.report.messages("en")
    assert_renders(only(result.report, "io.crs_declared_wrong"), "WGS84")
    asked = import_layer(path, "townships")
    assert asked.data is None
    assert "io.crs_declared_wrong" in asked.report.keys


# --------------------------------------------------------------------------- malformed inputs


def test_missing_code_column(tmp_path: Path) -> None:
    path = tmp_path / "t.geojson"
    townships().drop(columns="code").rename(columns={"population": "总人口"}).to_file(path)
    result = import_layer(path, "townships")
    assert result.data is None
    problem = only(result.report, "validate.missing_column")
    assert problem.severity == "error"
    assert_renders(problem, "code")
    assert "编码" in problem.message("zh")


def test_misnamed_column_suggested(tmp_path: Path) -> None:
    path = tmp_path / "t.geojson"
    townships().rename(columns={"code": "cdoe"}).to_file(path)
    result = import_layer(path, "townships")
    assert result.data is None
    problem = only(result.report, "validate.missing_column_suggest")
    assert_renders(problem, "cdoe")
    fixed = import_layer(path, "townships", column_map={"code": "cdoe"})
    assert fixed.ok
    assert fixed.columns["code"] == "cdoe"


def test_column_map_naming_unknown_column(tmp_path: Path) -> None:
    path = tmp_path / "t.geojson"
    townships().to_file(path)
    result = import_layer(path, "townships", column_map={"population": "人口数"})
    problem = only(result.report, "validate.column_not_found")
    assert_renders(problem, "人口数")
    assert result.data is None


def test_duplicate_codes(tmp_path: Path) -> None:
    gdf = townships()
    gdf.loc[1, "code"] = gdf.loc[0, "code"]
    path = tmp_path / "t.geojson"
    gdf.to_file(path)
    result = import_layer(path, "townships")
    assert result.data is None
    problem = only(result.report, "validate.duplicate_codes")
    assert problem.count == 1
    assert_renders(problem, "030302001")


def test_duplicate_parts_of_one_feature_merged(tmp_path: Path) -> None:
    gdf = townships()
    gdf.loc[1, ["code", "name"]] = gdf.loc[0, ["code", "name"]].to_numpy()
    path = tmp_path / "t.geojson"
    gdf.to_file(path)
    result = import_layer(path, "townships")
    assert result.ok, result.report.messages("en")
    assert len(result.data) == 3
    assert_renders(only(result.report, "validate.duplicate_merged"), "030302001")
    merged = result.data.geometry.iloc[0]
    assert merged.area == pytest.approx(sum(g.area for g in townships().geometry.iloc[:2]))


def test_bad_code_length(tmp_path: Path) -> None:
    gdf = townships()
    gdf.loc[2, "code"] = "03030210"
    gdf.loc[3, "code"] = "0303022011"
    path = tmp_path / "t.geojson"
    gdf.to_file(path)
    result = import_layer(path, "townships")
    assert result.data is None
    problem = only(result.report, "validate.code_wrong_length")
    assert problem.count == 2
    assert_renders(problem, 9, "03030210")


def test_codes_padded_to_twelve_digits_are_shortened(tmp_path: Path) -> None:
    gdf = townships()
    gdf["code"] = gdf["code"] + "000"
    path = tmp_path / "t.geojson"
    gdf.to_file(path)
    result = import_layer(path, "townships")
    assert result.ok
    assert list(result.data["code"]) == list(townships()["code"])
    assert_renders(only(result.report, "validate.code_truncated"), 9)


def test_empty_geometry(tmp_path: Path) -> None:
    gdf = townships()
    gdf.loc[2, "geometry"] = None
    path = tmp_path / "t.geojson"
    gdf.to_file(path)
    result = import_layer(path, "townships")
    assert result.data is None
    problem = only(result.report, "validate.geometry_empty")
    assert_renders(problem, "030302101")


def test_self_intersecting_polygon_fixed(tmp_path: Path) -> None:
    gdf = townships()
    bowtie = Polygon([(120.55, 27.95), (120.65, 28.02), (120.65, 27.95), (120.55, 28.02)])
    assert not bowtie.is_valid
    gdf.loc[0, "geometry"] = bowtie
    path = tmp_path / "t.geojson"
    gdf.to_file(path)
    result = import_layer(path, "townships")
    assert result.ok, result.report.messages("en")
    problem = only(result.report, "validate.geometry_invalid_fixed")
    assert problem.severity == "fixed"
    assert_renders(problem, "030302001")
    repaired = result.data.geometry.iloc[0]
    assert repaired.is_valid and repaired.geom_type == "MultiPolygon"
    assert repaired.area > 0


def test_points_given_for_polygon_layer(tmp_path: Path) -> None:
    gdf = townships()
    gdf["geometry"] = gdf.geometry.representative_point()
    path = tmp_path / "t.geojson"
    gdf.to_file(path)
    result = import_layer(path, "townships")
    assert result.data is None
    problem = only(result.report, "validate.geometry_wrong_type")
    assert problem.count == 4
    assert_renders(problem)
    assert "点" in problem.message("zh") and "points" in problem.message("en")


def test_features_outside_region(tmp_path: Path) -> None:
    gdf = townships()
    gdf.loc[3, "geometry"] = shapely.affinity.translate(gdf.geometry.iloc[3], xoff=0.5)
    path = tmp_path / "t.geojson"
    gdf.to_file(path)
    result = import_layer(path, "townships", region_boundary=COUNTY_BOX)
    assert result.ok  # a warning, the layer is usable
    problem = only(result.report, "validate.outside_region")
    assert problem.severity == "warning"
    assert_renders(problem, "030302201")

    far = townships()
    far["geometry"] = far.geometry.translate(xoff=3)
    path2 = tmp_path / "far.geojson"
    far.to_file(path2)
    refused = import_layer(path2, "townships", region_boundary=COUNTY_BOX)
    assert refused.data is None
    assert_renders(only(refused.report, "validate.all_outside_region"))


def test_broken_hierarchy(tmp_path: Path) -> None:
    gdf = townships()
    gdf.loc[0, "county_code"] = "030399"  # does not prefix 030302001 and is not loaded
    path = tmp_path / "t.geojson"
    gdf.to_file(path)
    result = import_layer(path, "townships", parents={"counties": counties()})
    assert result.data is None
    mismatch = only(result.report, "validate.code_parent_mismatch")
    assert_renders(mismatch, "030302001")
    missing = only(result.report, "validate.parent_not_found")
    assert_renders(missing, "030399")


def test_population_sum_mismatch(tmp_path: Path) -> None:
    gdf = townships()
    gdf["population"] = [10_000, 20_000, 30_000, 1_000]  # 61,000 vs county 100,000
    path = tmp_path / "t.geojson"
    gdf.to_file(path)
    result = import_layer(path, "townships", parents={"counties": counties()})
    assert result.ok
    problem = only(result.report, "validate.population_sum_mismatch")
    assert problem.severity == "warning"
    assert_renders(problem, "61,000", "100,000", "鹿城区")


def test_negative_population(tmp_path: Path) -> None:
    gdf = townships()
    gdf["population"] = [10_000, -20, 30_000, 40_000]
    path = tmp_path / "t.geojson"
    gdf.to_file(path)
    result = import_layer(path, "townships")
    assert result.data is None
    assert_renders(only(result.report, "validate.number_negative"), "-20")


def test_non_numeric_population(tmp_path: Path) -> None:
    frame = table_with_lonlat(community_points()).astype({"population": object})
    frame.loc[1, "population"] = "约六千"
    frame.loc[2, "population"] = "3.0万"  # understood: 30,000
    frame.loc[3, "population"] = "40,000"
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    result = import_layer(path, "communities", coordinate_system="wgs84")
    assert result.data is None
    problem = only(result.report, "validate.number_not_numeric")
    assert problem.count == 1
    assert_renders(problem, "约六千")


def test_unknown_site_status(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "站点编号": ["S01", "S02", "S03"],
            "站点名称": ["五马回收站", "藤桥分拣中心", "山福回收点"],
            "级别": ["回收站", "分拣中心", "回收站"],
            "状态": ["保留", "待定", "候选"],
            "经度": [120.60, 120.61, 120.70],
            "纬度": [27.98, 28.05, 28.06],
        }
    )
    path = tmp_path / "sites.xlsx"
    frame.to_excel(path, index=False)
    result = import_layer(
        path,
        "sites",
        coordinate_system="wgs84",
        parents={"counties": counties(), "townships": townships()},
    )
    assert result.data is None
    problem = only(result.report, "validate.unknown_status")
    assert_renders(problem, "待定", "S02")

    frame.loc[1, "状态"] = "关闭"
    frame.to_excel(path, index=False)
    fixed = import_layer(
        path,
        "sites",
        coordinate_system="wgs84",
        parents={"counties": counties(), "townships": townships()},
    )
    assert fixed.ok, fixed.report.messages("en")
    data = fixed.data
    assert list(data["status"]) == ["existing_keep", "existing_close", "candidate"]
    assert list(data["tier"]) == ["station", "sorting_centre", "station"]
    assert list(data["county_code"]) == [COUNTY] * 3  # located in the county
    assert list(data["township_code"]) == ["030302001", "030302101", "030302201"]


def test_swapped_lon_lat(tmp_path: Path) -> None:
    frame = table_with_lonlat(community_points())
    frame["lon"], frame["lat"] = frame["lat"].copy(), frame["lon"].copy()
    path = tmp_path / "swapped.csv"
    frame.to_csv(path, index=False)
    result = import_layer(path, "communities", coordinate_system="wgs84")
    assert result.ok, result.report.messages("en")
    problem = only(result.report, "validate.lonlat_swapped")
    assert problem.severity == "fixed"
    assert_renders(problem)
    for got, want in zip(result.data.geometry, community_points().geometry, strict=True):
        assert got.equals_exact(want, 1e-12)


def test_coordinates_out_of_range(tmp_path: Path) -> None:
    frame = table_with_lonlat(community_points())
    frame.loc[2, "lon"] = 1206.0
    path = tmp_path / "typo.csv"
    frame.to_csv(path, index=False)
    result = import_layer(path, "communities", coordinate_system="wgs84")
    assert result.data is None
    assert_renders(only(result.report, "validate.coords_out_of_range"), "030302101201")


def test_empty_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = import_layer(empty, "communities")
    assert result.data is None
    assert_renders(only(result.report, "io.empty_file"), "empty.csv")

    no_features = tmp_path / "none.geojson"
    no_features.write_text('{"type": "FeatureCollection", "features": []}')
    assert "io.empty_file" in import_layer(no_features, "townships").report.keys

    header_only = tmp_path / "header.csv"
    header_only.write_text("code,name,lon,lat\n")
    assert "io.empty_file" in import_layer(header_only, "communities").report.keys


def test_corrupt_zip(tmp_path: Path) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip file")
    result = import_layer(path, "townships")
    assert result.data is None
    assert_renders(only(result.report, "io.corrupt_zip"), "broken.zip")


def test_truncated_zip(tmp_path: Path) -> None:
    path = write_zipped_shapefile(townships(), tmp_path)
    data = path.read_bytes()
    result = import_layer(Upload(data[: len(data) // 2], "cut.zip"), "townships")
    assert result.data is None
    assert result.report.errors


def test_zip_without_shp(tmp_path: Path) -> None:
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("说明.txt", "乡镇边界")
        archive.writestr("data.dbf", b"\x03")
    result = import_layer(path, "townships")
    assert result.data is None
    problem = only(result.report, "io.zip_no_shp")
    assert_renders(problem, "说明.txt")


def test_zip_with_incomplete_shapefile(tmp_path: Path) -> None:
    path = write_zipped_shapefile(townships(), tmp_path, drop=(".dbf",))
    result = import_layer(path, "townships")
    assert_renders(only(result.report, "io.shp_incomplete"), ".dbf")


def test_zip_with_several_shapefiles(tmp_path: Path) -> None:
    one = write_zipped_shapefile(townships(), tmp_path, name="towns")
    two = write_zipped_shapefile(counties(), tmp_path, name="counties")
    both = tmp_path / "both.zip"
    with zipfile.ZipFile(both, "w") as out:
        for src in (one, two):
            with zipfile.ZipFile(src) as archive:
                for info in archive.infolist():
                    out.writestr(info.filename, archive.read(info))
    result = import_layer(both, "townships")
    problem = only(result.report, "io.multiple_layers")
    assert problem.severity == "needs_input"
    assert set(problem.examples) == {"towns", "counties"}
    assert sorted(list_layers(both)) == ["counties", "towns"]
    chosen = import_layer(both, "townships", layer="towns")
    assert chosen.ok and len(chosen.data) == 4


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "plan.dwg"
    path.write_bytes(b"AC1027 binary cad")
    result = import_layer(path, "townships")
    assert result.data is None
    assert_renders(only(result.report, "io.unsupported_format"), ".dwg")
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    assert_renders(only(import_layer(old, "sites").report, "io.old_excel"), "old.xls")
    lone = Upload(b"\x00" * 200, "towns.shp")
    assert_renders(only(import_layer(lone, "townships").report, "io.shp_needs_zip"))


def test_gpkg_with_several_layers(tmp_path: Path) -> None:
    path = tmp_path / "city.gpkg"
    townships().to_file(path, layer="乡镇", driver="GPKG", engine="pyogrio")
    counties().to_file(path, layer="区县", driver="GPKG", engine="pyogrio")
    result = import_layer(path, "townships")
    assert result.data is None
    problem = only(result.report, "io.multiple_layers")
    assert problem.severity == "needs_input"
    assert problem.count == 2
    assert_renders(problem, "乡镇", "区县")
    assert sorted(list_layers(path)) == sorted(["乡镇", "区县"])

    chosen = import_layer(path, "townships", layer="乡镇")
    assert chosen.ok
    missing = import_layer(path, "townships", layer="村")
    assert_renders(only(missing.report, "io.layer_not_found"), "村")


def test_gpkg_with_one_spatial_layer_and_a_table(tmp_path: Path) -> None:
    path = tmp_path / "city.gpkg"
    townships().to_file(path, layer="towns", driver="GPKG", engine="pyogrio")
    pyogrio.write_dataframe(pd.DataFrame({"note": ["x"]}), path, layer="notes", driver="GPKG")
    result = import_layer(path, "townships")
    assert result.ok
    assert only(result.report, "io.layer_chosen").severity == "fixed"


def test_undecodable_encoding(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"code,name,lon,lat\n030302001001,\xff\xfe\xff,120.6,28.0\n")
    result = import_layer(path, "communities")
    assert result.data is None
    assert_renders(only(result.report, "io.encoding_failed"), "bad.csv")

    gdf = townships()
    gdf["name"] = ["ÿÿ", "þÿ", "ÿ", "ÿþ"]  # 0xFF/0xFE in Latin-1: neither UTF-8 nor GBK
    shp = write_zipped_shapefile(gdf, tmp_path, encoding="latin1", drop=(".cpg",))
    result = import_layer(shp, "townships")
    assert result.data is None
    assert "io.encoding_failed" in result.report.keys
    # Given the encoding explicitly, it reads.
    assert import_layer(shp, "townships", encoding="latin1").ok


def test_corrupt_files(tmp_path: Path) -> None:
    for name, data in (
        ("x.gpkg", b"SQLite format 3\x00" + os.urandom(200)),
        ("x.geojson", b'{"type": "FeatureCollection", "features": [ {"type": '),
        ("x.xlsx", b"PK\x03\x04not a workbook"),
        ("x.kml", b"<kml><Document><Placemark>"),
    ):
        result = import_layer(Upload(data, name), "townships")
        assert result.data is None, name
        assert result.report.errors, name
        problem = result.report.errors[0]
        assert problem.key in ("io.corrupt_file", "io.empty_file"), (name, problem.key)
        assert_renders(problem, name)


def test_csv_without_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    pd.DataFrame({"code": ["030302001001"], "name": ["五马社区"]}).to_csv(path, index=False)
    result = import_layer(path, "communities")
    assert_renders(only(result.report, "io.no_coordinate_columns"), "names.csv")


@pytest.mark.parametrize(
    "name",
    ["a.geojson", "a.json", "a.gpkg", "a.zip", "a.csv", "a.xlsx", "a.kml", "a.txt", "a.xlsm"],
)
def test_random_bytes_never_raise(name: str) -> None:
    rng = np.random.default_rng(len(name))
    for size in (1, 17, 4096):
        data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        result = import_layer(Upload(data, name), "communities")
        assert result.data is None
        assert not result.report.ok
        for line in result.report.messages("zh") + result.report.messages("en"):
            assert "Traceback" not in line


def test_missing_file_and_odd_sources() -> None:
    result = import_layer("/nonexistent/towns.geojson", "townships")
    assert_renders(only(result.report, "io.file_not_found"))
    result = import_layer(object(), "townships")
    assert result.data is None and result.report.errors
    with pytest.raises(ValueError):
        import_layer("x.csv", "villages")  # a programming error, not bad input
    with pytest.raises(ValueError):
        import_population("x.csv", "townships", townships(), join_on="adcode")


# --------------------------------------------------------------------------- parents


def test_communities_take_county_code_from_township_layer(tmp_path: Path) -> None:
    frame = table_with_lonlat(community_points())
    frame["所属乡镇代码"] = ["030302001", "030302001", "030302101", "030302201"]
    path = tmp_path / "c.csv"
    frame.to_csv(path, index=False)
    towns = townships()
    towns.loc[:, "county_code"] = COUNTY
    result = import_layer(
        path,
        "communities",
        coordinate_system="wgs84",
        parents={"townships": towns, "counties": counties()},
    )
    assert result.ok, result.report.messages("en")
    assert list(result.data["county_code"]) == [COUNTY] * 4
    assert_renders(only(result.report, "validate.parent_from_layer"))
    # Community populations 4,000 + 6,000 vs township 10,000: fine; 30,000 = 30,000; ...
    assert result.report.find("validate.population_sum_mismatch") is None


def test_failed_import_changes_nothing(tmp_path: Path) -> None:
    parents = {"counties": counties(), "townships": townships()}
    before = {k: v.copy() for k, v in parents.items()}
    gdf = townships()
    gdf.loc[0, "county_code"] = "999999"
    path = tmp_path / "t.geojson"
    gdf.to_file(path)

    result = import_layer(path, "townships", parents=parents, region_boundary=COUNTY_BOX)

    assert result.data is None
    assert not result.report.ok
    for level, frame in parents.items():
        pd.testing.assert_frame_equal(frame, before[level])

    layer = townships()
    layer_before = layer.copy()
    table = tmp_path / "pop.csv"
    pd.DataFrame({"代码": ["030302001"], "人口": ["-5"]}).to_csv(table, index=False)
    pop = import_population(table, "townships", layer, parents=parents)
    assert pop.data is None
    pd.testing.assert_frame_equal(layer, layer_before)
    for level, frame in parents.items():
        pd.testing.assert_frame_equal(frame, before[level])


def test_input_frames_untouched_on_success(tmp_path: Path) -> None:
    parents = {"counties": counties(), "townships": townships()}
    before = {k: v.copy() for k, v in parents.items()}
    frame = table_with_lonlat(community_points())
    path = tmp_path / "c.csv"
    frame.to_csv(path, index=False)
    result = import_layer(path, "communities", coordinate_system="wgs84", parents=parents)
    assert result.ok
    for level, frame in parents.items():
        pd.testing.assert_frame_equal(frame, before[level])


# --------------------------------------------------------------------------- population


def write_table(tmp_path: Path, frame: pd.DataFrame, name: str = "pop.csv") -> Path:
    path = tmp_path / name
    if name.endswith(".xlsx"):
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def test_population_join_by_code(tmp_path: Path) -> None:
    layer = community_points().assign(households=[1, 2, 3, 4])
    table = pd.DataFrame(
        {
            "统计用区划代码": ["030302001001000", "030302001002000", "030302101201000"],
            "名称": ["五马社区", "墨池社区", "上戍村"],
            "常住人口": ["4,100", "6,200", "31000"],
            "户数": ["1500", "2400", ""],
        }
    )
    result = import_population(write_table(tmp_path, table, "pop.xlsx"), "communities", layer)
    assert result.ok, result.report.messages("en")
    data = result.data
    assert list(data["population"]) == [4_100, 6_200, 31_000, 40_000]
    assert list(data["households"]) == [1500, 2400, 3, 4]
    assert str(data["population"].dtype) == "Int64"
    missing = only(result.report, "io.population_missing_features")
    assert missing.count == 1
    assert_renders(missing, "030302201202")
    assert list(layer["population"]) == [4_000, 6_000, 30_000, 40_000]  # untouched


def test_population_join_by_name_with_total_row_and_units(tmp_path: Path) -> None:
    layer = townships()
    table = pd.DataFrame(
        {
            "乡镇名称": ["五马街道办事处", "南汇街道", "藤桥镇", "山福乡", "合计"],
            "常住人口（万人）": ["1.1", "2.2", "3.3", "4.4", "11"],
        }
    )
    result = import_population(
        write_table(tmp_path, table), "townships", layer, parents={"counties": counties()}
    )
    assert result.ok, result.report.messages("en")
    assert list(result.data["population"]) == [11_000, 22_000, 33_000, 44_000]
    assert only(result.report, "io.total_rows_dropped").count == 1
    assert only(result.report, "validate.number_scaled").severity == "fixed"
    assert_renders(only(result.report, "validate.population_sum_mismatch"), "110,000")


def test_population_unmatched_both_ways(tmp_path: Path) -> None:
    table = pd.DataFrame({"代码": ["030302001", "030302002", "030302999"], "人口": ["1", "2", "3"]})
    result = import_population(write_table(tmp_path, table), "townships", townships())
    assert result.ok
    rows = only(result.report, "io.population_unmatched_rows")
    assert_renders(rows, "030302999")
    features = only(result.report, "io.population_missing_features")
    assert features.count == 2
    assert_renders(features, "030302101")


def test_population_duplicates_negative_and_non_numeric(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {
            "代码": ["030302001", "030302001", "030302101", "030302201"],
            "人口": ["1", "2", "-3", "很多"],
        }
    )
    result = import_population(write_table(tmp_path, table), "townships", townships())
    assert result.data is None
    assert_renders(only(result.report, "io.population_duplicates"), "030302001")
    assert_renders(only(result.report, "validate.number_negative"), "-3")
    assert_renders(only(result.report, "validate.number_not_numeric"), "很多")


def test_population_no_match_and_missing_columns(tmp_path: Path) -> None:
    table = pd.DataFrame({"代码": ["110101001"], "人口": ["5"]})
    result = import_population(write_table(tmp_path, table), "townships", townships())
    assert result.data is None
    assert_renders(only(result.report, "io.population_no_match"), "110101001")

    table = pd.DataFrame({"代码": ["030302001"], "面积": ["5"]})
    result = import_population(write_table(tmp_path, table, "b.csv"), "townships", townships())
    assert_renders(only(result.report, "validate.missing_column"))

    table = pd.DataFrame({"区域": ["x"], "人口": ["5"]})
    result = import_population(write_table(tmp_path, table, "c.csv"), "townships", townships())
    assert_renders(only(result.report, "io.join_column_missing"))


def test_population_ambiguous_names(tmp_path: Path) -> None:
    layer = community_points()
    layer.loc[1, "name"] = "五马社区"
    table = pd.DataFrame({"名称": ["五马社区", "上戍村"], "人口": ["1", "2"]})
    result = import_population(write_table(tmp_path, table), "communities", layer, join_on="name")
    assert result.ok
    assert_renders(only(result.report, "io.ambiguous_names"), "五马社区")
    assert list(result.data["population"]) == [4_000, 6_000, 2, 40_000]


def test_population_multiple_sheets(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"代码": ["030302001"], "人口": [1]}).to_excel(
            writer, sheet_name="2020", index=False
        )
        pd.DataFrame({"代码": ["030302001"], "人口": [2]}).to_excel(
            writer, sheet_name="2023", index=False
        )
    result = import_population(path, "townships", townships())
    assert only(result.report, "io.multiple_layers").severity == "needs_input"
    chosen = import_population(path, "townships", townships(), sheet="2023")
    assert chosen.ok and chosen.data["population"].iloc[0] == 2


def test_sites_county_from_location_says_why_it_cannot(tmp_path) -> None:
    """Issue 22: the import said "no county boundaries are loaded" when they were."""
    frame = pd.DataFrame(
        {"编号": ["S01", "S02"], "站点名称": ["五马回收站", "山福回收点"],
         "经度": [120.60, 120.70], "纬度": [27.98, 28.06]}
    )  # fmt: skip
    path = tmp_path / "sites.csv"
    frame.to_csv(path, index=False)
    parents = {"counties": counties(), "townships": townships()}

    inside = import_layer(path, "sites", coordinate_system="wgs84", parents=parents)
    assert inside.ok, inside.report.messages("en")
    assert (inside.data["county_code"] != "").all()
    assert not {"validate.site_county_unknown", "validate.site_county_unknown_crs"} & set(
        inside.report.keys
    )

    far = frame.assign(经度=[121.90, 121.95])  # inside no loaded county
    far.to_csv(path, index=False)
    outside = import_layer(path, "sites", coordinate_system="wgs84", parents=parents)
    assert only(outside.report, "validate.parent_location_missing").count == 2
    assert "validate.site_county_unknown" not in outside.report.keys

    none = import_layer(path, "sites", coordinate_system="wgs84")
    assert only(none.report, "validate.site_county_unknown").count == 2

    # metres without a declared system: the location waits for the planner's choice
    metric = pd.DataFrame(
        {"编号": ["S01", "S02"], "x": [560000.0, 570000.0], "y": [3096000.0, 3105000.0]}
    )
    metric.to_csv(path, index=False)
    waiting = import_layer(path, "sites", parents=parents)
    assert waiting.report.find("io.crs_ambiguous") is not None
    assert only(waiting.report, "validate.site_county_unknown_crs").count == 2
    assert "validate.site_county_unknown" not in waiting.report.keys
