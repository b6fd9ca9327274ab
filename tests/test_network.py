"""Road-network distances (planner.instance.network): loading, snapping, sparse costs, p-median.

Every network here is written by the test itself, in a local UTM frame (EPSG:32651,
Wenzhou's zone) shifted to an origin near Wenzhou, so hand-computed lengths are exact
in the plane. Nothing touches the internet: the download test mocks the connectivity
check.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from planner.i18n import PlannerError
from planner.instance.distance import CostMatrix, sparse_distances
from planner.instance.network import (
    NetworkSource,
    RoadNetwork,
    download_network,
    network_cost_matrix,
)
from planner.models import PMedian

UTM = "EPSG:32651"
X0, Y0 = 350_000.0, 3_100_000.0  # near Wenzhou
_TO_LL = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)


def xy(*pts: tuple[float, float]) -> np.ndarray:
    """Local metres -> UTM coordinates."""
    return np.array([(X0 + x, Y0 + y) for x, y in pts], dtype=float)


def lonlat(x: float, y: float) -> tuple[float, float]:
    return _TO_LL.transform(X0 + x, Y0 + y)


# --------------------------------------------------------------------------- fixtures

# River between y=0 (south bank road) and y=100 (north bank road); the only bridge is
# at x=2000. A side street meets the south road at a T (x=500, no shared vertex) and a
# lane crosses it at x=1500 (an X crossing, no shared vertex either).
RIVER_LINES = {
    "south bank": [(0, 0), (2000, 0)],
    "north bank": [(0, 100), (2000, 100)],
    "bridge": [(2000, 0), (2000, 100)],
    "side street": [(500, 0), (500, -300)],
    "lane": [(1500, -200), (1500, 40)],
}


def write_river_geojson(path: Path) -> Path:
    feats = [
        {
            "type": "Feature",
            "properties": {"name": name},
            "geometry": {"type": "LineString", "coordinates": [lonlat(*p) for p in pts]},
        }
        for name, pts in RIVER_LINES.items()
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), "utf-8")
    return path


@pytest.fixture(scope="module")
def river(tmp_path_factory) -> RoadNetwork:
    path = write_river_geojson(tmp_path_factory.mktemp("roads") / "river.geojson")
    return RoadNetwork.from_file(path, metric_crs=UTM)


# A 1 km square: 1-2 residential (two-way), 2->3 primary one-way north, 3-4 and 4-1
# residential, and a one-way motorway diagonal 1->3.
OSM_NODES = {1: (0, 0), 2: (1000, 0), 3: (1000, 1000), 4: (0, 1000)}
OSM_WAYS = [
    (10, [1, 2], {"highway": "residential"}),
    (11, [2, 3], {"highway": "primary", "oneway": "yes"}),
    (12, [3, 4], {"highway": "residential"}),
    (13, [4, 1], {"highway": "residential"}),
    (14, [1, 3], {"highway": "motorway", "oneway": "yes"}),
]


def write_osm(path: Path) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, (x, y) in OSM_NODES.items():
        lon, lat = lonlat(x, y)
        lines.append(f'  <node id="{nid}" lat="{lat:.9f}" lon="{lon:.9f}" version="1"/>')
    for wid, refs, tags in OSM_WAYS:
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), "utf-8")
    return path


@pytest.fixture(scope="module")
def square(tmp_path_factory) -> RoadNetwork:
    return RoadNetwork.from_file(write_osm(tmp_path_factory.mktemp("osm") / "sq.osm"))


def one(net: RoadNetwork, a, b, mode: str = "walk") -> float:
    """Network cost from local point a to local point b."""
    cm = net.cost_matrix(xy(a), xy(b), np.inf, mode)
    return float(cm.row(0)[1][0]) if cm.nnz else np.inf


# --------------------------------------------------------------------------- loading


def test_road_lines_are_noded_two_way(river):
    g = river.graph
    assert river.crs == pyproj.CRS(UTM)
    # Nodes: 4 bank-road ends... ends of every line plus the T (500,0) and X (1500,0).
    xy_nodes = {(round(d["x"] - X0), round(d["y"] - Y0)) for _, d in g.nodes(data=True)}
    assert {(500, 0), (1500, 0), (2000, 0), (2000, 100), (500, -300)} <= xy_nodes
    assert len(xy_nodes) == g.number_of_nodes() == 9
    # Every piece in both directions, lengths in metres.
    assert g.number_of_edges() == 2 * 8
    lengths = sorted(round(d["length"], 3) for _, _, d in g.edges(data=True))
    assert lengths[:2] == [40.0, 40.0] and lengths[-2:] == [2000.0, 2000.0]
    s = river.summary("walk")
    assert s["components"] == 1 and s["road_km"] == pytest.approx(4.64, abs=1e-6)


def test_river_with_one_bridge_hand_distances(river):
    south, north = (1000, -5), (1000, 105)
    straight = float(np.hypot(*np.subtract(north, south)))
    assert straight == pytest.approx(110.0)
    # 5 m snap + 1 km to the bridge + 100 m across + 1 km back + 5 m snap.
    assert one(river, south, north) == pytest.approx(2110.0, abs=1e-6)
    assert one(river, north, south) == pytest.approx(2110.0, abs=1e-6)
    # Through the X crossing at x=1500: 5 + 200 + 500 + 5.
    assert one(river, (1500, -205), south) == pytest.approx(710.0, abs=1e-6)
    # Through the T junction at x=500: 3 + 100 (side street) + 500 + 5.
    assert one(river, (497, -100), south) == pytest.approx(608.0, abs=1e-6)
    # Both on the same road piece: straight along it, not via its ends.
    assert one(river, (1100, -5), (1300, 7)) == pytest.approx(5 + 200 + 7, abs=1e-6)


def test_network_is_never_shorter_than_straight_line(river):
    rng = np.random.default_rng(7)
    d = rng.uniform([-100, -350], [2100, 150], size=(40, 2))
    s = rng.uniform([-100, -350], [2100, 150], size=(25, 2))
    dxy, sxy = xy(*map(tuple, d)), xy(*map(tuple, s))
    cm = river.cost_matrix(dxy, sxy, np.inf)
    assert cm.nnz == 40 * 25  # connected network, unlimited cutoff: every pair
    straight = np.hypot(*(dxy[cm.rows] - sxy[cm.indices]).T)
    assert np.all(cm.data >= straight - 1e-6)


def test_osm_xml_walk_drive_and_time(square):
    g = square.graph
    # osmnx simplifies node 4 away (3-4-1 becomes one curved edge with a geometry).
    assert sorted(g.nodes) == [1, 2, 3]
    assert square.crs.to_epsg() == 32651  # UTM of the data, like the pipeline
    d, s = (500, -5), (1005, 500)
    # Walk and drive agree where the one-way runs the right way: 5 + 500 + 500 + 5.
    assert one(square, d, s, "walk") == pytest.approx(1010, rel=1e-3)
    assert one(square, d, s, "drive") == pytest.approx(1010, rel=1e-3)
    # Against the one-way 2->3: driving goes round 3-4-1 (the motorway is 1->3 only).
    assert one(square, s, d, "walk") == pytest.approx(1010, rel=1e-3)
    assert one(square, s, d, "drive") == pytest.approx(5 + 500 + 1000 + 1000 + 500 + 5, rel=1e-3)
    # Walking never uses the motorway: 1 -> 3 on foot is 2 km, driving 1.414 km.
    near1, near3 = (-5, -5), (1005, 1005)
    assert one(square, near1, near3, "drive") == pytest.approx(
        np.hypot(5, 5) * 2 + 1000 * np.sqrt(2), rel=1e-3
    )
    assert one(square, near1, near3, "walk") > 2000
    # Time: 5 m at 15 km/h, 500 m residential at 25, 500 m primary at 50, 5 m at 15.
    seconds = 5 / (15 / 3.6) + 500 / (25 / 3.6) + 500 / (50 / 3.6) + 5 / (15 / 3.6)
    assert one(square, d, s, "drive_time") == pytest.approx(seconds, rel=1e-3)


def test_graphml_round_trip(square, tmp_path):
    import osmnx as ox

    path = tmp_path / "sq.graphml"
    ox.save_graphml(square.graph, path)
    again = RoadNetwork.from_file(path)
    d, s = (500, -5), (1005, 500)
    assert one(again, s, d, "drive") == pytest.approx(one(square, s, d, "drive"), rel=1e-9)


def test_unsupported_and_missing_crs(tmp_path):
    with pytest.raises(PlannerError) as err:
        RoadNetwork.from_file(tmp_path / "roads.pbf")
    assert err.value.key == "network.unsupported_format"
    assert "OSM XML" in err.value.message("en") and "路网" in err.value.message("zh")
    lines = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=None)
    with pytest.raises(PlannerError) as err:
        RoadNetwork.from_lines(lines)
    assert err.value.key == "crs.missing"


# --------------------------------------------------------------------------- snapping


def test_snap_distance_added_reported_and_far_point_flagged(river):
    pts = xy((1000, -30), (1000, 50), (500, -900), (2000, 0))
    snap = river.snap(pts, max_snap_m=500)
    assert snap.distance_m == pytest.approx([30, 50, 600, 0])
    assert snap.too_far.tolist() == [False, False, True, False]
    assert np.allclose(snap.xy - [X0, Y0], [(1000, 0), (1000, 0), (500, -300), (2000, 0)])
    assert snap.warning().key == "network.too_far"
    assert "600" in snap.warning().message("zh")
    # The snap distance is part of the cost at both ends: 30 + 1000 + 100 + 1000 + 50.
    cm = river.cost_matrix(pts[:1], xy((1000, 150)), np.inf)
    assert cm.data[0] == pytest.approx(30 + 2100 + 50)
    src = cm.source
    assert isinstance(src, NetworkSource)
    assert src.demand_snap.distance_m[0] == pytest.approx(30)
    assert src.site_snap.distance_m[0] == pytest.approx(50)


def test_snap_agrees_with_osmnx_nearest_edges(river):
    import osmnx as ox

    rng = np.random.default_rng(3)
    pts = xy(*map(tuple, rng.uniform([-100, -350], [2100, 150], size=(30, 2))))
    snap = river.snap(pts)
    _, dist = ox.distance.nearest_edges(river.graph, pts[:, 0], pts[:, 1], return_dist=True)
    assert snap.distance_m == pytest.approx(dist, abs=1e-6)


# --------------------------------------------------------------------------- sparse


def test_cutoff_lists_exactly_the_pairs_within(river):
    rng = np.random.default_rng(11)
    d = xy(*map(tuple, rng.uniform([0, -300], [2000, 120], size=(30, 2))))
    s = xy(*map(tuple, rng.uniform([0, -300], [2000, 120], size=(20, 2))))
    full = network_cost_matrix(river, d, s, np.inf)
    dense = np.full((30, 20), np.inf)
    dense[full.rows, full.indices] = full.data
    cut = river.cost_matrix(d, s, 800.0)
    assert np.all(cut.radius == 800.0)
    assert cut.nnz == int((dense <= 800).sum()) < 30 * 20
    assert np.allclose(cut.data, dense[cut.rows, cut.indices])
    # The oracle answers beyond the cutoff exactly (what the p-median grows with).
    src = cut.source
    k3 = src.kth_distance(np.arange(30), np.full(30, 3))
    assert np.allclose(k3, np.sort(dense, axis=1)[:, 2])
    open_sites = np.array([2, 9, 17])
    site, dist = src.nearest(open_sites)
    assert np.allclose(dist, dense[:, open_sites].min(axis=1))
    assert np.all(np.isin(site, open_sites))
    restricted = src.restrict_sites(np.arange(20) % 2 == 0)
    assert np.allclose(
        restricted.kth_distance(np.arange(30), np.ones(30, int)), dense[:, ::2].min(axis=1)
    )
    r, c, _ = restricted.within(np.arange(30), np.full(30, 1500.0))
    assert np.all(c % 2 == 0) and r.size == int((dense[:, ::2] <= 1500).sum())


def test_unreachable_component_is_infinite(tmp_path):
    lines = gpd.GeoDataFrame(
        geometry=[
            shapely.LineString(xy((0, 0), (1000, 0))),
            shapely.LineString(xy((0, 500), (1000, 500))),  # an island road
        ],
        crs=UTM,
    )
    net = RoadNetwork.from_lines(lines, metric_crs=UTM)
    assert net.summary()["components"] == 2
    cm = net.cost_matrix(xy((100, -5)), xy((100, 505), (900, 5)), 5000.0)
    assert cm.row(0)[0].tolist() == [1]
    assert np.isinf(cm.source.kth_distance(np.array([0]), np.array([2]))[0])


# --------------------------------------------------------------------------- p-median


def test_pmedian_on_network_puts_a_station_across_the_river(river):
    # Demand: S1 (200,-5) w=12 and S2 (1000,-5) w=10 on the south bank, N1 (1000,105)
    # w=5 on the north bank. Candidates: a = S1, b = S2, c = N1.
    # Straight line, p=2: {a,b} costs 5*110 = 550, {a,c} 10*110 = 1100 -> {a,b}.
    # Network (a point is 0 m from a site on top of it: a direct connector, see
    # test_direct_connectors): N1 is 2110 m from b, so {a,b} costs 5*2110 = 10550;
    # {a,c} costs 10*810 = 8100; {b,c} costs 12*810 = 9720 -> {a,c}.
    dxy = xy((200, -5), (1000, -5), (1000, 105))
    w = np.array([12.0, 10.0, 5.0])
    sxy = dxy.copy()
    straight = PMedian.from_cost_matrix(sparse_distances(dxy, sxy, 50.0), 2, w).solve()
    cm = river.cost_matrix(dxy, sxy, 50.0)  # short lists: the exact grow loop must work
    assert cm.nnz == 3
    network = PMedian.from_cost_matrix(cm, 2, w).solve()
    assert straight.status == network.status == "optimal"
    assert straight.sites.tolist() == [0, 1]
    assert network.sites.tolist() == [0, 2]
    assert network.objective == pytest.approx(8100.0)
    assert network.distance == pytest.approx([0.0, 810.0, 0.0])
    assert straight.objective == pytest.approx(550.0)


def test_pmedian_p1_prefers_the_bank_with_the_bridge_access(river):
    # p=1, both banks weighted: straight-line sees the river as 110 m and picks the
    # heavier south point; on the network the north candidate near the bridge wins.
    dxy = xy((1000, -5), (1000, 105), (1900, 105))
    w = np.array([10.0, 6.0, 6.0])
    sxy = xy((1000, -5), (1950, 105))
    straight = PMedian.from_points(dxy, sxy, 1, w).solve()
    network = PMedian.from_cost_matrix(river.cost_matrix(dxy, sxy, 100.0), 1, w).solve()
    # Straight: site 0 costs 6*110 + 6*906.7 = 6,100; site 1 costs 10*956.3 + 6*950 +
    # 6*50 = 15,563. Network: site 0 costs 10*10 + 6*2110 + 6*(5+100+100+1000+5) = 20,020;
    # site 1 costs 10*(5+1000+100+50+5) + 6*(5+950+5) + 6*(5+50+5) = 17,720.
    assert straight.sites.tolist() == [0]
    assert network.sites.tolist() == [1]
    assert network.objective == pytest.approx(10 * 1160 + 6 * 960 + 6 * 60)


def test_cost_matrix_is_a_costmatrix_with_radius(river):
    cm = river.cost_matrix(xy((0, -5)), xy((10, -5), (1990, 105)), 300.0)
    assert isinstance(cm, CostMatrix)
    assert cm.radius.tolist() == [300.0] and cm.row(0)[0].tolist() == [0]
    assert cm.next_distance()[0] == pytest.approx(5 + 2000 + 100 + 10 + 5)


# --------------------------------------------------------------------------- download


def test_download_offline_fails_fast_with_bilingual_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANNER_HOME", str(tmp_path))
    import osmnx as ox

    def no_download(*_a, **_k):
        raise AssertionError("must not download when offline")

    monkeypatch.setattr(ox, "graph_from_polygon", no_download)
    boundary = shapely.box(120.6, 27.9, 120.8, 28.1)
    t0 = time.monotonic()
    with pytest.raises(PlannerError) as err:
        download_network(boundary, "walk", online=lambda: False)
    assert time.monotonic() - t0 < 1.0
    assert err.value.key == "network.offline"
    assert "unavailable offline" in err.value.message("en")
    assert "无法联网" in err.value.message("zh")
    assert not (tmp_path / "networks").exists()


def test_download_uses_cache_without_connection(square, tmp_path, monkeypatch):
    import osmnx as ox

    import planner.instance.network.download as network

    monkeypatch.setenv("PLANNER_HOME", str(tmp_path))
    boundary = shapely.box(120.6, 27.9, 120.8, 28.1)
    calls = []

    def fake_download(polygon, **kwargs):
        calls.append(kwargs)
        return ox.projection.project_graph(square.graph, to_latlong=True)

    monkeypatch.setattr(ox, "graph_from_polygon", fake_download)
    first = download_network(boundary, "drive", online=lambda: True)
    assert calls and list((tmp_path / "networks").glob("drive-*.graphml"))
    # Second call: cached, no connectivity check, no download.
    monkeypatch.setattr(network, "is_online", lambda *a, **k: pytest.fail("checked online"))
    again = download_network(boundary, "drive")
    assert len(calls) == 1
    assert again.n_edges == first.n_edges


# --------------------------------------------------------------------------- real data

WENZHOU_ROADS = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "reference-data"
    / "roads"
    / "wenzhou_roads_wangshanbo.geojson"
)


@pytest.mark.slow
def test_wenzhou_dongtou_subset():
    if not WENZHOU_ROADS.exists():
        pytest.skip(f"Wenzhou road lines not available: {WENZHOU_ROADS}")
    roads = gpd.read_file(WENZHOU_ROADS, where="county_adcode = '330305'")
    assert 1000 < len(roads) < 2000  # 洞头: 1,435 lines
    net = RoadNetwork.from_lines(roads, crs="wgs84")
    assert net.crs.to_epsg() == 32651
    summary = net.summary("walk")
    assert summary["largest_component_share"] > 0.5, summary
    rng = np.random.default_rng(5)
    nodes = net.node_xy[rng.choice(net.n_nodes, 80, replace=False)]
    d, s = nodes[:40] + rng.normal(0, 30, (40, 2)), nodes[40:] + rng.normal(0, 30, (40, 2))
    cm = net.cost_matrix(d, s, 5000.0)
    assert cm.nnz > 0
    straight = np.hypot(*(d[cm.rows] - s[cm.indices]).T)
    assert np.all(cm.data >= straight - 1e-6)
    # Roads wind: the median detour factor is above 1 but not absurd.
    ratio = np.median(cm.data / np.maximum(straight, 1.0))
    assert 1.05 < ratio < 3.0


def test_road_lines_oneway_and_class_columns():
    # A loop: the south road is one-way eastwards (digitised westwards but crossed by a
    # junction, so noding splits and may re-orient it); the rest two-way. 县道 = secondary.
    lines = gpd.GeoDataFrame(
        {
            "oneway": ["yes", None, None, None],
            "道路等级": ["县道", "乡道", "乡道", "乡道"],
        },
        geometry=[
            shapely.LineString(xy((1000, 0), (0, 0))),  # one-way 1000 -> 0 (westwards)
            shapely.LineString(xy((0, 0), (0, 500), (1000, 500), (1000, 0))),
            shapely.LineString(xy((500, -100), (500, 100))),  # crosses the one-way
            shapely.LineString(xy((500, 100), (500, 500))),
        ],
        crs=UTM,
    )
    net = RoadNetwork.from_lines(lines, metric_crs=UTM)
    west, east = (200, -5), (800, -5)
    # Westwards along the one-way: 5 + 600 + 5. Eastwards: back west to (0,0), round
    # the top (the x=500 street only leads back onto the one-way) and west again.
    assert one(net, east, west, "drive") == pytest.approx(610)
    assert one(net, west, east, "drive") == pytest.approx(5 + 200 + 500 + 1000 + 500 + 200 + 5)
    assert one(net, west, east, "walk") == pytest.approx(610)
    classes = {d.get("highway") for _, _, d in net.graph.edges(data=True)}
    assert classes == {"secondary", "tertiary"}
    # drive_time: 600 m of 县道 at 40 km/h plus two 5 m connectors at 15 km/h.
    assert one(net, east, west, "drive_time") == pytest.approx(600 / (40 / 3.6) + 10 / (15 / 3.6))


# --------------------------------------------------------------------------- planning policy


def test_columns_and_complete_rows_agree_with_the_search(river):
    rng = np.random.default_rng(21)
    d = xy(*map(tuple, rng.uniform([0, -300], [2000, 120], size=(25, 2))))
    s = xy(*map(tuple, rng.uniform([0, -300], [2000, 120], size=(6, 2))))
    full = river.cost_matrix(d, s, np.inf)
    dense = np.full((25, 6), np.inf)
    dense[full.rows, full.indices] = full.data
    src = river.source(d, s, "drive")
    cols = src.columns(np.array([4, 1]))
    assert cols.shape == (25, 2) and np.allclose(cols, dense[:, [4, 1]])
    src.complete_rows()
    assert np.all(np.isinf(src.shared.done))
    r, c, v = src.within(np.arange(25), np.full(25, np.inf))
    assert r.size == 25 * 6 and np.allclose(v, dense[r, c])
    # Answers now come from the lists, bit for bit the same as the columns.
    assert np.array_equal(
        src.kth_distance(np.arange(25), np.ones(25, int)),
        np.sort(np.column_stack([src.columns(np.array([j])) for j in range(6)]), axis=1)[:, 0],
    )
    restricted = src.restrict_sites(np.arange(6) != 1)
    assert np.isinf(restricted.columns(np.array([1]))).all()


def test_snapping_ignores_fragments_off_the_main_network():
    lines = gpd.GeoDataFrame(
        geometry=[
            shapely.LineString(xy((0, 0), (10_000, 0))),  # the main road, 10 km
            shapely.LineString(xy((0, 300), (50, 300))),  # an unconnected 50 m stub
        ],
        crs=UTM,
    )
    net = RoadNetwork.from_lines(lines, metric_crs=UTM)
    pt = xy((20, 290))
    assert net.snap(pt).distance_m[0] == pytest.approx(10.0)  # onto the stub
    assert net.snap(pt, min_component_share=0.01).distance_m[0] == pytest.approx(290.0)


def test_road_distances_fall_back_to_straight_line_off_the_network(river):
    from planner.instance.distance import FallbackSource
    from planner.instance.network import road_distances

    # d0 by the river; d1 3 km south of the side street (beyond 2 km); d2 800 m south.
    d = xy((1000, -5), (500, -3300), (500, -1100))
    s = xy((1000, 105), (500, -3300))
    dist = road_distances(river, d, s, "walk", circuity=1.4)
    assert dist.fallback.tolist() == [False, True, False]
    assert dist.far.tolist() == [False, False, True]
    assert dist.site_far.tolist() == [False, True]
    assert isinstance(dist.source, FallbackSource)
    cm = dist.source
    # Network row: across the bridge. Fallback row: straight line x 1.4 to both sites.
    r, c, v = cm.within(np.arange(3), np.full(3, np.inf))
    got = {(int(i), int(j)): float(x) for i, j, x in zip(r, c, v, strict=True)}
    assert got[(0, 0)] == pytest.approx(2110.0)
    assert got[(1, 1)] == pytest.approx(0.0)
    assert got[(1, 0)] == pytest.approx(1.4 * np.hypot(500, 3405))
    # The site 3 km off the road is reached along the road plus its 3 km access walk.
    assert got[(0, 1)] == pytest.approx(5 + 500 + 300 + 3000)
    assert got[(2, 1)] == pytest.approx(800 + 3000)
    site, cost = cm.nearest(np.array([0, 1]))
    # d2 reaches the north site (800 + 300 + 1500 + 100 + 1000 + 5 = 3,705 m) sooner
    # than the site 3 km off the road (3,800 m).
    assert site.tolist() == [0, 1, 0] and cost.tolist() == pytest.approx([2110, 0, 3705])
    assert cm.kth_distance(np.arange(3), np.full(3, 2)) == pytest.approx(
        [5 + 500 + 300 + 3000, 1.4 * np.hypot(500, 3405), 800 + 3000]
    )
    cols = cm.columns(np.array([1, 0]))
    assert cols[1].tolist() == pytest.approx([0.0, 1.4 * np.hypot(500, 3405)])
    summary = dist.summary()
    assert summary["fallback"] == 1 and summary["far_from_road"] == 1
    assert summary["sites_off_network"] == 1 and summary["unreachable"] == 0


def test_unreachable_rows_fall_back_too():
    from planner.instance.network import road_distances

    # A one-way loop where one point can leave but the site's street is entered only
    # from a road the point cannot reach: a dead end in drive mode.
    lines = gpd.GeoDataFrame(
        {"oneway": ["yes", "yes"]},
        geometry=[
            shapely.LineString(xy((0, 0), (1000, 0))),  # one-way east
            shapely.LineString(xy((3000, 0), (2000, 0))),  # one-way west, never meets
        ],
        crs=UTM,
    )
    net = RoadNetwork.from_lines(lines, metric_crs=UTM)
    dist = road_distances(net, xy((100, -5)), xy((2500, -5)), "drive", min_component_share=0.0)
    assert dist.unreachable.tolist() == [True] and dist.fallback.tolist() == [True]
    assert dist.source.kth_distance(np.array([0]), np.array([1]))[0] == pytest.approx(1.3 * 2400)


def test_is_online_is_bounded_even_when_name_lookup_hangs(monkeypatch):
    import socket

    from planner.instance.network import is_online

    def hang(*_a, **_k):
        time.sleep(5)
        raise OSError("no route")

    monkeypatch.setattr(socket, "create_connection", hang)
    t0 = time.monotonic()
    assert is_online("overpass.example", timeout=0.3) is False
    assert time.monotonic() - t0 < 1.5


def test_known_speeds_and_lines_for_drawing(river, square):
    assert river.known_speed_share() == 0.0  # road lines without a class column
    assert square.known_speed_share() == pytest.approx(1.0)
    lines = river.lines()
    assert len(lines) == 8 and lines.crs == river.crs
    assert lines["length_m"].sum() == pytest.approx(4640.0)


def test_direct_connectors_only_where_the_road_says_nothing(river):
    # On the same spot: 0, not 5 m to the road and 5 m back.
    assert one(river, (1000, -5), (1000, -5)) == pytest.approx(0.0)
    # Both 250 m south of the south road and 100 m apart: straight across (100 m), not
    # 250 + 100 + 250 along it.
    assert one(river, (900, -250), (1000, -250)) == pytest.approx(100.0)
    # Near their roads on both banks: round by the bridge, never across the river.
    assert one(river, (1000, -5), (1000, 105)) == pytest.approx(2110.0)
    assert one(river, (1000, -40), (1000, 140)) == pytest.approx(40 + 2100 + 40)
    # Capped: beyond direct_max_m the road (and its access walks) is used.
    src = river.source(xy((900, -250)), xy((1000, -250)), "walk", direct_max_m=50.0)
    assert src.kth_distance(np.array([0]), np.array([1]))[0] == pytest.approx(600.0)
    # In drive_time a connector runs at the access speed (15 km/h).
    assert one(river, (900, -250), (1000, -250), "drive_time") == pytest.approx(100 / (15 / 3.6))
