"""Road networks in the app: upload on the Data page, storage with the region, the map.

The Streamlit page is driven with ``streamlit.testing.v1.AppTest`` through the real
file uploader; its checks are also tested as plain functions. Road files are generated
here over the built-in Jinjiang region. Nothing touches the internet: the download
button is tested with the connectivity check answering "offline".
"""

from __future__ import annotations

import json
import time
from html import unescape

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely

import planner.instance.network as network
from planner.data.regions import load_region, save_region
from planner.data.roads import road_dir, road_file, save_road_file
from planner.instance.road_check import check_road_file, store_road_file
from planner.views import add_road_layer, road_display_lines, to_html

pytestmark = pytest.mark.usefixtures("planner_home")
BROKEN = b'{"type": "FeatureCollection", "features": [ broken'


@pytest.fixture(scope="module")
def jinjiang():
    return load_region("jinjiang")


def grid_roads(bounds, step: float = 0.015, shift: tuple[float, float] = (0.0, 0.0)) -> bytes:
    """A connected grid of road lines over ``bounds`` (lon/lat), as GeoJSON bytes."""
    x0, y0, x1, y1 = bounds
    xs = np.arange(x0, x1 + step, step) + shift[0]
    ys = np.arange(y0, y1 + step, step) + shift[1]
    lines = [shapely.LineString([(x, ys[0]), (x, ys[-1])]) for x in xs]
    lines += [shapely.LineString([(xs[0], y), (xs[-1], y)]) for y in ys]
    names = [f"路{i}" for i in range(len(lines))]
    return gpd.GeoDataFrame({"name": names}, geometry=lines, crs=4326).to_json().encode("utf-8")


@pytest.fixture(scope="module")
def jinjiang_roads(jinjiang) -> bytes:
    return grid_roads(jinjiang.counties.total_bounds)


# --------------------------------------------------------------------------- plain checks


def test_check_passes_and_stores_with_the_region(jinjiang, jinjiang_roads, planner_home):
    check = check_road_file(jinjiang, "晋江路网.geojson", jinjiang_roads)
    assert check.ok, check.messages
    (kind, text), *_ = check.messages
    assert kind == "success" and text["zh"].startswith("检查通过：晋江路网.geojson")
    assert "100% of the communities are within 2 km" in text["en"]
    assert check.summary["covered_share"] == 1.0 and check.summary["components"] == 1
    stored = store_road_file(jinjiang, check)
    assert stored.path == planner_home / "regions" / "jinjiang" / "roads" / "roads.geojson"
    again = road_file("jinjiang")
    assert again.name == "晋江路网.geojson" and again.summary["nodes"] == check.summary["nodes"]
    # The built-in pack itself is untouched and is still not a user pack.
    assert not (planner_home / "regions" / "jinjiang" / "region.json").exists()


def test_check_refuses_bad_files_in_both_languages(jinjiang, jinjiang_roads):
    bad = check_road_file(jinjiang, "broken.geojson", BROKEN)
    assert not bad.ok
    (kind, text), *_ = bad.messages
    assert kind == "error" and text["zh"].startswith("路网未导入：")
    assert text["en"].startswith("Not imported: ") and "broken.geojson" in text["en"]
    points = gpd.GeoDataFrame(geometry=[shapely.Point(118.6, 24.8)], crs=4326)
    no_lines = check_road_file(jinjiang, "points.geojson", points.to_json().encode())
    assert not no_lines.ok and "没有道路线" in no_lines.messages[0][1]["zh"]
    odd = check_road_file(jinjiang, "roads.pbf", b"\x00")
    assert not odd.ok and "OSM XML" in odd.messages[0][1]["en"]
    # Roads of another city (here: the grid moved 3 degrees east) do not cover this one.
    away = grid_roads(jinjiang.counties.total_bounds, step=0.05, shift=(3.0, 0.0))
    outside = check_road_file(jinjiang, "away.geojson", away)
    assert not outside.ok and "不重合" in outside.messages[0][1]["zh"]
    assert "does not cover this region" in outside.messages[0][1]["en"]


def test_lines_in_gcj02_are_taken_as_chosen(jinjiang, jinjiang_roads):
    check = check_road_file(jinjiang, "amap.geojson", jinjiang_roads, crs="gcj02")
    assert check.ok and check.crs == "gcj02"


def test_saving_a_user_region_keeps_its_road_network(jinjiang, jinjiang_roads, tmp_path):
    from dataclasses import replace

    mine = replace(jinjiang, meta={**jinjiang.meta, "built_in": False}, id="shishi")
    save_region(mine)
    path = tmp_path / "roads.geojson"
    path.write_bytes(jinjiang_roads)
    save_road_file("shishi", path, "石狮路网.geojson")
    save_region(mine)  # saved again (e.g. after another import): the roads stay
    assert road_file("shishi").name == "石狮路网.geojson"
    assert road_file(load_region("shishi")).path.parent == road_dir("shishi")


# --------------------------------------------------------------------------- the map


def test_road_layer_is_limited_and_named_so():
    lines = gpd.GeoDataFrame(
        geometry=[
            shapely.LineString([(118.5, 24.7 + i * 0.001), (118.5 + 0.0005 * (i + 1), 24.7)])
            for i in range(40)
        ],
        crs=4326,
    )
    shown, total = road_display_lines(lines, "EPSG:32650", max_lines=10)
    assert total == 40 and len(shown) == 10
    # The ten longest are kept.
    kept = np.sort(shown.to_crs(32650).length.to_numpy())
    assert kept[0] > np.sort(lines.to_crs(32650).length.to_numpy())[-11]
    fmap = folium.Map(tiles=None)
    folium.LayerControl().add_to(fmap)
    assert add_road_layer(fmap, lines, "zh", max_lines=10) == 10
    html = to_html(fmap)
    assert json.dumps("道路网络（显示最长的 10 段，共 40 段）") in html  # the layer control
    fmap = folium.Map(tiles=None)
    folium.LayerControl().add_to(fmap)
    assert add_road_layer(fmap, lines, "en") == 40
    assert json.dumps("Road network") in to_html(fmap)


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


def _road_uploader(at):
    (uploader,) = [u for u in at.file_uploader if u.key and u.key.startswith("roads_upload")]
    return uploader


def _map_html(at) -> str:
    frames = [e for e in at.get("iframe")]
    # each map sits one frame deeper, isolated: its HTML is the inner srcdoc, escaped
    return "\n".join(unescape(str(getattr(f.proto, "srcdoc", ""))) for f in frames)


def test_app_upload_check_save_and_draw(jinjiang_roads, planner_home):
    at = _app()
    assert any("本区域还没有路网" in i.value for i in at.info)
    assert not [c for c in at.checkbox if c.key == "roads_show"]
    _road_uploader(at).upload("晋江路网.geojson", jinjiang_roads, "application/geo+json").run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("检查通过：晋江路网.geojson") for s in at.success), _texts(at)
    (save,) = [b for b in at.button if b.key == "roads_save"]
    save.click().run()
    assert not at.exception, at.exception
    assert (planner_home / "regions" / "jinjiang" / "roads" / "roads.geojson").exists()
    assert any("路网已保存" in s.value for s in at.success)
    assert any(i.value.startswith("当前路网：晋江路网.geojson") for i in at.info), _texts(at)
    # A fresh uploader, and the network on the map.
    assert _road_uploader(at).value in (None, [])
    assert next(c for c in at.checkbox if c.key == "roads_show").value is True
    assert json.dumps("道路网络") in _map_html(at)

    at.sidebar.radio(key="lang").set_value("en").run()
    assert not at.exception, at.exception
    assert any(i.value.startswith("Road network: 晋江路网.geojson") for i in at.info)
    assert json.dumps("Road network") in _map_html(at)

    (remove,) = [b for b in at.button if b.key == "roads_remove"]
    remove.click().run()
    assert not at.exception, at.exception
    assert road_file("jinjiang") is None
    assert any("Road network removed" in s.value for s in at.success)


def test_app_bad_road_file_changes_nothing(planner_home):
    at = _app()
    _road_uploader(at).upload("broken.geojson", BROKEN, "application/geo+json").run()
    assert not at.exception, at.exception
    (error,) = [e for e in at.error if "路网未导入" in e.value]
    assert "broken.geojson" in error.value and "Traceback" not in _texts(at)
    assert not [b for b in at.button if b.key == "roads_save"]
    assert road_file("jinjiang") is None
    at.sidebar.radio(key="lang").set_value("en").run()
    assert any(e.value.startswith("Not imported: ") for e in at.error)


def test_app_download_says_unavailable_offline_at_once(monkeypatch, planner_home):
    import osmnx as ox

    monkeypatch.setattr(network, "is_online", lambda *a, **k: False)
    monkeypatch.setattr(
        ox, "graph_from_polygon", lambda *a, **k: pytest.fail("downloaded while offline")
    )
    at = _app()
    (download,) = [b for b in at.button if b.key == "roads_download"]
    t0 = time.monotonic()
    download.click().run()
    assert time.monotonic() - t0 < 30  # the page run itself; the check is immediate
    assert not at.exception, at.exception
    assert any("在线下载路网不可用" in w.value for w in at.warning), _texts(at)
    assert road_file("jinjiang") is None
    assert not (planner_home / "networks").exists()


def test_stored_network_meta_is_plain_json(jinjiang, jinjiang_roads, planner_home):
    check = check_road_file(jinjiang, "r.geojson", jinjiang_roads, crs="wgs84")
    store_road_file(jinjiang, check)
    meta = json.loads((road_dir("jinjiang") / "roads.json").read_text("utf-8"))
    assert meta["file"] == "roads.geojson" and meta["name"] == "r.geojson"
    assert meta["crs"] == "wgs84" and meta["summary"]["covered_share"] == 1.0


def test_check_accepts_osm_xml_graphml_and_zipped_shapefile(tmp_path):
    import io
    import zipfile

    import osmnx as ox
    from test_network import write_osm
    from test_pipeline_network import river_region, write_roads

    region = river_region()
    osm = write_osm(tmp_path / "square.osm").read_bytes()
    check = check_road_file(region, "square.osm", osm)
    assert check.ok, check.messages
    assert check.summary["known_speed_share"] == pytest.approx(1.0)  # OSM road classes
    graphml = tmp_path / "square.graphml"
    ox.save_graphml(network.RoadNetwork.from_file(tmp_path / "square.osm").graph, graphml)
    assert check_road_file(region, "square.graphml", graphml.read_bytes()).ok
    lines = gpd.read_file(write_roads(tmp_path / "river.geojson"))
    lines.to_file(tmp_path / "river.shp", encoding="utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for part in tmp_path.glob("river.*"):
            if part.suffix != ".geojson":
                zf.write(part, part.name)
    check = check_road_file(region, "河道路网.zip", buffer.getvalue())
    assert check.ok, check.messages
    assert check.summary["components"] == 1 and check.summary["road_km"] == pytest.approx(4.64)
    # A bare .shp cannot be read alone: the reader says to zip it with its siblings.
    bare = check_road_file(region, "river.shp", (tmp_path / "river.shp").read_bytes())
    assert not bare.ok and "Traceback" not in bare.messages[0][1]["en"]
