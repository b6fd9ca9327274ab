"""The import panel: official files into a region, a new city from uploads, saving.

The logic after an upload is tested directly on the panel's plain functions (bytes and
a file name in, a region and a report out); the Streamlit wiring is driven with
``streamlit.testing.v1.AppTest`` through the real file uploader, without a browser.
All files are generated here from the built-in Jinjiang pack.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from planner.data.crs import wgs84_to_gcj02
from planner.data.edit import (
    ImportFile,
    coordinate_system,
    import_into_region,
    new_city,
    new_city_meta,
    save_as_region,
    source_columns,
)
from planner.data.regions import Region, list_regions, load_region

pytestmark = pytest.mark.usefixtures("planner_home")

BROKEN = b'{"type": "FeatureCollection", "features": [ broken'


@pytest.fixture(scope="module")
def jinjiang() -> Region:
    return load_region("jinjiang")


def geojson(gdf: gpd.GeoDataFrame, name: str = "layer.geojson", **kwargs) -> ImportFile:
    return ImportFile(name, gdf.to_json().encode("utf-8"), **kwargs)


def csv(frame: pd.DataFrame, name: str = "table.csv", **kwargs) -> ImportFile:
    return ImportFile(name, frame.to_csv(index=False).encode("utf-8"), **kwargs)


def official_townships(region: Region) -> gpd.GeoDataFrame:
    """An "official" township file: codes, names and polygons only, Chinese headers."""
    out = region.townships[["code", "name", "geometry"]].rename(
        columns={"code": "乡镇代码", "name": "乡镇名称"}
    )
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")


def frames_equal(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> None:
    pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b))


# --------------------------------------------------------------------------- replace a layer


def test_good_township_file_replaces_the_layer(jinjiang: Region) -> None:
    before = jinjiang.townships.copy()
    outcome = import_into_region(jinjiang, "townships", geojson(official_townships(jinjiang)))

    assert outcome.ok, outcome.report.messages("en")
    assert outcome.columns == {"code": "乡镇代码", "name": "乡镇名称"}
    new = outcome.region
    assert new is not jinjiang and new.townships is outcome.layer
    assert len(new.townships) == 22
    assert (new.townships["geometry_quality"] == "official").all()
    # the file had no population: the previous estimates are kept and still marked so
    assert new.townships["population"].tolist() == before["population"].tolist()
    assert (new.townships["population_quality"] == "estimate").all()
    assert outcome.report.find("ui.import.population_kept") is not None
    # seats for the app's tables and the candidate generator
    assert new.townships["seat_source"].str.startswith("generated").all()
    assert new.meta["sources"][-1].startswith("townships: layer imported from layer.geojson")
    # the region it was built from and the built-in pack are untouched
    frames_equal(jinjiang.townships, before)
    assert len(jinjiang.meta["sources"]) == len(load_region("jinjiang").meta["sources"])
    frames_equal(load_region("jinjiang").townships, before)
    # communities still point at existing township codes: no orphan warning
    assert outcome.report.find("ui.import.children_orphaned") is None


def test_malformed_file_changes_nothing_and_says_why(jinjiang: Region) -> None:
    outcome = import_into_region(jinjiang, "townships", ImportFile("乡镇.geojson", BROKEN))

    assert not outcome.ok and outcome.region is None and outcome.layer is None
    assert outcome.report.keys == ("io.corrupt_file",)
    assert "文件“乡镇.geojson”已损坏或格式不正确" in outcome.report.messages("zh")[0]
    assert "is damaged" in outcome.report.messages("en")[0]
    assert outcome.report.errors[0].details  # the library's words, for support


def test_unrecognised_column_then_mapping_override(jinjiang: Region) -> None:
    towns = official_townships(jinjiang).rename(columns={"乡镇代码": "TOWN_ID"})
    refused = import_into_region(jinjiang, "townships", geojson(towns))
    assert not refused.ok
    assert any(k.startswith("validate.missing_column") for k in refused.report.keys)
    assert "TOWN_ID" in source_columns(geojson(towns))

    mapped = import_into_region(
        jinjiang, "townships", geojson(towns, column_map={"code": "TOWN_ID"})
    )
    assert mapped.ok, mapped.report.messages("en")
    assert mapped.columns["code"] == "TOWN_ID"


def test_quality_choice_and_orphaned_children(jinjiang: Region) -> None:
    towns = official_townships(jinjiang).iloc[:20]
    outcome = import_into_region(jinjiang, "townships", geojson(towns), quality="approximate")
    assert outcome.ok
    assert (outcome.layer["geometry_quality"] == "approximate").all()
    orphaned = outcome.report.find("ui.import.children_orphaned")
    assert orphaned is not None and orphaned.severity == "warning"
    assert orphaned.count == (~jinjiang.communities["township_code"].isin(towns["乡镇代码"])).sum()
    assert "村" in orphaned.message("zh") and "community" in orphaned.message("en")


def test_counties_without_population_keep_the_census(jinjiang: Region) -> None:
    counties = jinjiang.counties[["code", "name", "geometry"]]
    outcome = import_into_region(jinjiang, "counties", geojson(counties))
    assert outcome.ok, outcome.report.messages("en")
    row = outcome.layer.iloc[0]
    assert row["population"] == 2_061_551 and row["urban_share"] == pytest.approx(0.6869)
    assert outcome.region.meta["metric_crs"] == "EPSG:32650"


def test_file_outside_the_region_is_refused(jinjiang: Region) -> None:
    far = official_townships(jinjiang).iloc[:3].copy()
    far["geometry"] = [box(100 + i, 40, 100.1 + i, 40.1) for i in range(3)]
    outcome = import_into_region(jinjiang, "townships", geojson(far))
    assert outcome.region is None
    assert "validate.all_outside_region" in outcome.report.keys


# --------------------------------------------------------------------------- population, sites


def test_population_table_updates_matched_rows(jinjiang: Region) -> None:
    towns = jinjiang.townships
    table = pd.DataFrame(
        {"区划代码": towns["code"][:5], "名称": towns["name"][:5], "常住人口": 1234}
    )
    outcome = import_into_region(jinjiang, "population", csv(table), population_level="townships")
    assert outcome.ok, outcome.report.messages("en")
    layer = outcome.region.townships
    assert layer["population"][:5].tolist() == [1234] * 5
    assert layer["population"][5:].tolist() == towns["population"][5:].tolist()
    assert (layer["population_quality"][:5] == "official").all()
    assert (layer["population_quality"][5:] == "estimate").all()
    assert "io.population_missing_features" in outcome.report.keys
    assert outcome.region.communities is jinjiang.communities


def test_population_table_that_matches_nothing(jinjiang: Region) -> None:
    table = pd.DataFrame({"区划代码": ["110101001"], "常住人口": [5]})
    outcome = import_into_region(jinjiang, "population", csv(table), population_level="townships")
    assert outcome.region is None
    assert outcome.report.keys[0] == "io.population_no_match"


def test_sites_ask_for_the_coordinate_system_then_take_the_chosen_status(
    jinjiang: Region,
) -> None:
    lon, lat = wgs84_to_gcj02([118.57, 118.58], [24.80, 24.82])
    table = pd.DataFrame({"名称": ["青阳回收站", "梅岭回收站"], "经度": lon, "纬度": lat})

    asked = import_into_region(jinjiang, "sites", csv(table), site_status="existing_close")
    assert asked.region is None
    question = asked.report.needs_input[0]
    assert question.key == "io.crs_ambiguous"
    assert set(question.examples) >= {"wgs84", "gcj02", "bd09"}

    upload = csv(table, coordinate_system=coordinate_system("gcj02"))
    outcome = import_into_region(jinjiang, "sites", upload, site_status="existing_close")
    assert outcome.ok, outcome.report.messages("en")
    sites = outcome.region.sites
    assert (sites["status"] == "existing_close").all()
    assert sites["county_code"].tolist() == ["350582", "350582"]
    assert sites.geometry.x.round(2).tolist() == [118.57, 118.58]  # converted to WGS84
    assert "ui.import.status_default" in outcome.report.keys
    assert jinjiang.sites is None


def test_nothing_raises(jinjiang: Region) -> None:
    for target in ("counties", "communities", "sites", "population", "nonsense"):
        outcome = import_into_region(jinjiang, target, ImportFile("x.bin", b"\x00\xff" * 10))
        assert outcome.region is None and not outcome.report.ok


def test_coordinate_system_choice() -> None:
    assert coordinate_system("auto") is None
    assert coordinate_system("gcj02") == "gcj02"
    assert coordinate_system("epsg", "4549") == "EPSG:4549"
    assert coordinate_system("epsg", " epsg:4549 ") == "EPSG:4549"
    assert coordinate_system("epsg", "") is None


# --------------------------------------------------------------------------- new city, saving


def city_files(region: Region) -> tuple[ImportFile, ImportFile, ImportFile]:
    counties = region.counties[["code", "name", "population", "geometry"]]
    towns = region.townships[["code", "name", "population", "geometry"]]
    points = gpd.GeoDataFrame(
        region.communities[["code", "name", "population", "households"]],
        geometry=region.communities.geometry.representative_point(),
        crs="EPSG:4326",
    )
    return geojson(counties, "区县.geojson"), geojson(towns, "乡镇.geojson"), geojson(points)


def test_new_city_from_uploads_is_saved_and_listed(jinjiang: Region, planner_home) -> None:
    city = new_city(*city_files(jinjiang))
    assert city.ok, {k: s.report.messages("en") for k, s in city.steps.items()}
    region = city.region
    assert (len(region.counties), len(region.townships), len(region.communities)) == (1, 22, 405)
    assert region.communities.geometry.geom_type.eq("Point").all()
    assert not region.is_approximate
    assert region.meta["adcode"] == "350582" and region.meta["metric_crs"] == "EPSG:32650"
    assert region.meta["built_in"] is False and len(region.meta["sources"]) == 3

    path, error = save_as_region(region, "shishi", name_zh="石狮市", name_en="Shishi")
    assert error is None and path == planner_home / "regions" / "shishi"
    listed = {m["id"]: m for m in list_regions()}
    assert listed["shishi"]["name_zh"] == "石狮市" and listed["shishi"]["built_in"] is False
    loaded = load_region("shishi")
    assert len(loaded.communities) == 405 and loaded.townships["code"].str.len().eq(9).all()

    again, message = save_as_region(region, "shishi", name_zh="石狮市")
    assert again is None and "覆盖" in message
    path, error = save_as_region(region, "shishi", name_zh="石狮", overwrite=True)
    assert error is None and load_region("shishi").meta["name_zh"] == "石狮"


def test_new_city_population_table_and_missing_layers(jinjiang: Region) -> None:
    counties, towns, points = city_files(jinjiang)
    partial = new_city(counties, towns, None)
    assert partial.region is None and partial.missing == ("communities",)
    assert set(partial.steps) == {"counties", "townships"}

    table = pd.DataFrame({"区划代码": jinjiang.counties["code"], "常住人口": [2_000_000]})
    city = new_city(counties, towns, points, csv(table), population_level="counties")
    assert city.ok
    assert city.region.counties["population"].tolist() == [2_000_000]


def test_new_city_stops_at_the_first_failing_layer(jinjiang: Region) -> None:
    _, towns, points = city_files(jinjiang)
    city = new_city(ImportFile("区县.geojson", BROKEN), towns, points)
    assert city.region is None and list(city.steps) == ["counties"]
    assert city.steps["counties"].report.keys == ("io.corrupt_file",)


def test_save_refusals_in_both_languages(jinjiang: Region) -> None:
    assert save_as_region(jinjiang, "x1", name_zh="")[1] == "请填写区域的中文名称。"
    _, message = save_as_region(jinjiang, "Bad Id", name_zh="某地", lang="en")
    assert "invalid" in message and "nothing was written" in message
    _, message = save_as_region(jinjiang, "jinjiang", name_zh="晋江")
    assert "内置区域" in message
    assert not any(m["id"] in ("x1", "Bad Id") for m in list_regions())


def test_new_city_meta_adcode() -> None:
    def counties(*codes):
        boxes = [box(120 + i, 28, 120.1 + i, 28.1) for i in range(len(codes))]
        return gpd.GeoDataFrame({"code": list(codes)}, geometry=boxes, crs="EPSG:4326")

    assert new_city_meta(counties("330302"))["adcode"] == "330302"
    assert new_city_meta(counties("330302", "330381"))["adcode"] == "330300"
    assert new_city_meta(counties("330302", "331002"))["adcode"] == "330000"
    assert new_city_meta(counties("330302"))["metric_crs"] == "EPSG:32651"


# --------------------------------------------------------------------------- the app


def _app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../app.py", default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(at) -> str:
    parts = [e.value for e in (*at.markdown, *at.success, *at.error, *at.warning, *at.info)]
    return "\n".join(str(p) for p in parts)


def _uploader(at):
    (uploader,) = [u for u in at.file_uploader if u.key and u.key.startswith("imp_replace")]
    return uploader


def test_app_good_upload_applies_and_bad_upload_changes_nothing(jinjiang) -> None:
    at = _app()
    at.selectbox(key="imp_target@zh").set_value("townships").run()
    towns = official_townships(jinjiang).to_json().encode("utf-8")
    _uploader(at).upload("乡镇.geojson", towns, "application/geo+json").run()
    assert not at.exception, at.exception
    assert any("检查通过：22 个乡镇（街道）可以导入" in s.value for s in at.success)

    apply = [b for b in at.button if b.key and "apply" in b.key]
    apply[0].click().run()
    assert not at.exception, at.exception
    working = at.session_state["working_region"]
    assert (working.townships["geometry_quality"] == "official").all()
    assert any("已应用" in s.value for s in at.success)
    assert any("尚未保存" in i.value for i in at.info)
    # the township table of the data page now shows official geometry
    table = at.dataframe[1].value
    assert set(table["几何质量"]) == {"官方"}

    # a malformed file: the applied region stays as it was, the message is specific
    _uploader(at).upload("broken.geojson", BROKEN, "application/geo+json").run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert "未导入" in text and "文件“broken.geojson”已损坏或格式不正确" in text
    assert "Traceback" not in text
    assert at.session_state["working_region"] is working

    at.sidebar.radio(key="lang").set_value("en").run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert "Not imported" in text and "The file “broken.geojson” is damaged" in text
    # choices survive the language switch (their labels change, their values do not)
    assert at.selectbox(key="imp_target@en").value == "townships"
    assert "Township boundaries" in at.selectbox(key="imp_target@en").options


def test_app_new_city_saved_appears_in_sidebar(jinjiang, planner_home) -> None:
    at = _app()
    at.radio(key="imp_mode@zh").set_value("new_city").run()
    for uploader, (name, data) in zip(
        [u for u in at.file_uploader if u.key and u.key.startswith("imp_city")],
        [(f.name, f.data) for f in city_files(jinjiang)],
        strict=False,
    ):
        uploader.upload(name, data, "application/geo+json")
    at.run()
    assert not at.exception, at.exception
    assert any("全部图层已通过检查" in s.value for s in at.success), _texts(at)

    form = {t.key.rsplit("_", 2)[-2]: t for t in at.text_input if t.key.startswith("imp_city_")}
    form["id"].input("shishi")
    form["zh"].input("石狮市")
    form["en"].input("Shishi")
    (submit,) = [b for b in at.button if "保存" in b.label]
    submit.click().run()
    assert not at.exception, at.exception
    assert at.session_state["region_id"] == "shishi"
    assert "石狮市" in at.sidebar.selectbox(key="region_id").options
    assert at.title[0].value == "区域数据：石狮市"
    assert not any("近似数据" in w.value for w in at.warning)
    assert any("石狮市" in s.value for s in at.success)
    assert (planner_home / "regions" / "shishi" / "region.json").exists()


def test_app_asks_for_the_coordinate_system_and_maps_columns(jinjiang) -> None:
    at = _app()
    at.selectbox(key="imp_target@zh").set_value("sites").run()
    at.selectbox(key="imp_site_status@zh").set_value("existing_close").run()
    lon, lat = wgs84_to_gcj02([118.57, 118.58], [24.80, 24.82])
    table = pd.DataFrame({"网点": ["青阳回收站", "梅岭回收站"], "经度": lon, "纬度": lat})
    _uploader(at).upload("站点.csv", table.to_csv(index=False).encode(), "text/csv").run()
    assert not at.exception, at.exception
    assert any("还需要您做出选择" in w.value for w in at.warning)
    (pick,) = [b for b in at.button if b.label == "GCJ-02（高德/腾讯）"]
    pick.click().run()
    assert not at.exception, at.exception
    assert any("检查通过：2 个站点可以导入" in s.value for s in at.success), _texts(at)
    # the unrecognised name column is chosen by hand
    (name_choice,) = [s for s in at.selectbox if s.key and s.key.endswith("map_name_0@zh")]
    name_choice.set_value("网点").run()
    assert not at.exception, at.exception
    assert "名称 ← 网点" in "\n".join(c.value for c in at.caption)
    next(b for b in at.button if b.key and "apply" in b.key).click().run()
    sites = at.session_state["working_region"].sites
    assert sites["name"].tolist() == ["青阳回收站", "梅岭回收站"]
    assert (sites["status"] == "existing_close").all()


def test_app_mapping_choice_is_dropped_for_a_new_file(jinjiang) -> None:
    at = _app()
    at.selectbox(key="imp_target@zh").set_value("townships").run()
    towns = official_townships(jinjiang)
    renamed = towns.rename(columns={"乡镇代码": "TOWN_ID"}).to_json().encode("utf-8")
    _uploader(at).upload("乡镇.geojson", renamed, "application/geo+json").run()
    assert any("未导入" in e.value for e in at.error)
    (code_choice,) = [s for s in at.selectbox if s.key and s.key.endswith("map_code_0@zh")]
    code_choice.set_value("TOWN_ID").run()
    assert any("检查通过" in s.value for s in at.success), _texts(at)
    # another file without that column: the stale choice is forgotten, not an error
    _uploader(at).upload("乡镇2.geojson", towns.to_json().encode("utf-8")).run()
    assert not at.exception, at.exception
    assert any("检查通过" in s.value for s in at.success), _texts(at)
