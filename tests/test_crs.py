"""Tests for planner.data.crs: offset algorithms, GeoDataFrame conversion, detection."""

from __future__ import annotations

import geopandas
import numpy as np
import pyproj
import pytest
import shapely

from planner.data import crs
from planner.i18n import PlannerError, known, t

GEOD = pyproj.Geod(ellps="WGS84")

# Wenzhou (the whole prefecture) and Jinjiang, the two pilot regions.
WENZHOU_BOUNDS = (119.6, 27.0, 121.3, 28.6)
WENZHOU_CENTRE = (120.65, 28.0)
JINJIANG_BOUNDS = (118.4, 24.6, 118.75, 24.9)
JINJIANG_CENTRE = (118.55, 24.78)

OUTSIDE_CHINA = [
    (-0.1276, 51.5072),  # London
    (-74.006, 40.7128),  # New York
    (151.2093, -33.8688),  # Sydney
    (139.6917, 35.6895),  # Tokyo, east of the algorithm's box
    (37.6173, 55.7558),  # Moscow, west of it
]

OFFSET_FUNCTIONS = [
    crs.wgs84_to_gcj02,
    crs.gcj02_to_wgs84,
    crs.gcj02_to_bd09,
    crs.bd09_to_gcj02,
    crs.wgs84_to_bd09,
    crs.bd09_to_wgs84,
]


def distance_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(lon1, lat1, lon2, lat2)
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def grid(bounds, n: int = 30) -> tuple[np.ndarray, np.ndarray]:
    xmin, ymin, xmax, ymax = bounds
    lon, lat = np.meshgrid(np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n))
    return lon.ravel(), lat.ravel()


def disc(centre, radius_m: float, n_points: int, seed: int = 0):
    """A WGS84 disc polygon (the "county") and points spread uniformly inside it."""
    utm = crs.local_metric_crs(shapely.Point(centre))
    to_utm = pyproj.Transformer.from_crs(crs.WGS84, utm, always_xy=True)
    to_wgs = pyproj.Transformer.from_crs(utm, crs.WGS84, always_xy=True)
    cx, cy = to_utm.transform(*centre)
    rng = np.random.default_rng(seed)
    r = radius_m * np.sqrt(rng.uniform(0.0, 1.0, n_points))
    a = rng.uniform(0.0, 2.0 * np.pi, n_points)
    lon, lat = to_wgs.transform(cx + r * np.cos(a), cy + r * np.sin(a))
    polygon = shapely.transform(
        shapely.Point(cx, cy).buffer(radius_m, quad_segs=64),
        lambda xy: np.column_stack(to_wgs.transform(xy[:, 0], xy[:, 1])),
    )
    reference = geopandas.GeoDataFrame({"name": ["county"]}, geometry=[polygon], crs=crs.WGS84)
    return reference, np.asarray(lon), np.asarray(lat)


def points_frame(x, y, crs_=None) -> geopandas.GeoDataFrame:
    return geopandas.GeoDataFrame(geometry=shapely.points(x, y), crs=crs_)


def central_meridian(code: str) -> float:
    params = pyproj.CRS.from_user_input(code).coordinate_operation.params
    return next(p.value for p in params if p.name == "Longitude of natural origin")


def assert_message_complete(detection: crs.Detection) -> None:
    assert known(detection.reason)
    zh, en = detection.message("zh"), detection.message("en")
    assert zh and en and zh != en
    # Unfilled template fields would mean params and message have drifted apart.
    assert "{" not in zh and "{" not in en


# --------------------------------------------------------------------------------------
# Offset algorithms
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("bounds", [WENZHOU_BOUNDS, JINJIANG_BOUNDS])
def test_gcj02_round_trips_within_a_millimetre(bounds):
    lon, lat = grid(bounds)
    g_lon, g_lat = crs.wgs84_to_gcj02(lon, lat)
    back_lon, back_lat = crs.gcj02_to_wgs84(g_lon, g_lat)
    assert distance_m(lon, lat, back_lon, back_lat).max() < 1e-3
    # And starting from GCJ-02 coordinates, as read off an Amap map.
    w_lon, w_lat = crs.gcj02_to_wgs84(lon, lat)
    again_lon, again_lat = crs.wgs84_to_gcj02(w_lon, w_lat)
    assert distance_m(lon, lat, again_lon, again_lat).max() < 1e-3


@pytest.mark.parametrize("bounds", [WENZHOU_BOUNDS, JINJIANG_BOUNDS])
def test_bd09_round_trips_within_a_millimetre(bounds):
    lon, lat = grid(bounds)
    b_lon, b_lat = crs.wgs84_to_bd09(lon, lat)
    back_lon, back_lat = crs.bd09_to_wgs84(b_lon, b_lat)
    assert distance_m(lon, lat, back_lon, back_lat).max() < 1e-3
    g_lon, g_lat = crs.bd09_to_gcj02(lon, lat)
    again_lon, again_lat = crs.gcj02_to_bd09(g_lon, g_lat)
    assert distance_m(lon, lat, again_lon, again_lat).max() < 1e-3


def test_published_beijing_vectors():
    # README of wandergis/coordtransform, the implementation most Chinese GIS tools copy:
    # all four functions evaluated at (116.404, 39.915).
    lon, lat = crs.wgs84_to_gcj02(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-9
    )
    lon, lat = crs.gcj02_to_bd09(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx(
        (116.41036949371029, 39.92133699351021), abs=1e-9
    )
    # Its inverses are the one-step approximations, a few centimetres off here; ours iterate.
    lon, lat = crs.gcj02_to_wgs84(116.404, 39.915)
    assert distance_m(lon, lat, 116.39775550083061, 39.91359571849836) < 0.1
    lon, lat = crs.bd09_to_gcj02(116.404, 39.915)
    assert distance_m(lon, lat, 116.39762729119315, 39.90865673957631) < 0.1


def test_tiananmen_offset():
    # Commonly cited WGS84 position of Tiananmen; the GCJ-02 shift in Beijing is about
    # +0.0062° lon / +0.0014° lat.
    lon, lat = 116.391275, 39.906217
    g_lon, g_lat = crs.wgs84_to_gcj02(lon, lat)
    assert float(g_lon - lon) == pytest.approx(0.00624, abs=0.0001)
    assert float(g_lat - lat) == pytest.approx(0.00140, abs=0.0001)
    assert 500 < distance_m(lon, lat, g_lon, g_lat) < 600
    b_lon, b_lat = crs.wgs84_to_bd09(lon, lat)
    assert 1000 < distance_m(lon, lat, b_lon, b_lat) < 1500


def test_wenzhou_offset_size():
    lon, lat = grid(WENZHOU_BOUNDS)
    g_lon, g_lat = crs.wgs84_to_gcj02(lon, lat)
    d_lon, d_lat = g_lon - lon, g_lat - lat
    # East and south, roughly half a kilometre, everywhere in the prefecture.
    assert d_lon.min() > 0.0035 and d_lon.max() < 0.0050
    assert d_lat.min() > -0.0040 and d_lat.max() < -0.0028
    metres = distance_m(lon, lat, g_lon, g_lat)
    assert metres.min() > 450 and metres.max() < 650


@pytest.mark.parametrize("func", OFFSET_FUNCTIONS)
def test_points_outside_china_unchanged(func):
    lon, lat = np.array(OUTSIDE_CHINA).T
    out_lon, out_lat = func(lon, lat)
    np.testing.assert_array_equal(out_lon, lon)
    np.testing.assert_array_equal(out_lat, lat)


@pytest.mark.parametrize("func", OFFSET_FUNCTIONS)
def test_offsets_keep_shape_and_nan(func):
    lon = np.array([[120.65, np.nan], [118.55, 120.0]])
    lat = np.array([[28.0, 28.0], [24.78, np.nan]])
    out_lon, out_lat = func(lon, lat)
    assert out_lon.shape == out_lat.shape == (2, 2)
    assert np.isnan(out_lon[0, 1]) and np.isnan(out_lat[1, 1])
    assert out_lon[0, 0] != 120.65 and out_lat[1, 0] != 24.78  # inside China: moved
    scalar_lon, scalar_lat = func(120.65, 28.0)
    assert scalar_lon.shape == () and scalar_lat.shape == ()


# --------------------------------------------------------------------------------------
# GeoDataFrame conversion
# --------------------------------------------------------------------------------------


def wenzhou_polygons() -> geopandas.GeoDataFrame:
    lon, lat = WENZHOU_CENTRE
    squares = [
        shapely.box(lon + dx, lat + dy, lon + dx + 0.01, lat + dy + 0.01)
        for dx, dy in [(0, 0), (0.05, -0.03), (-0.2, 0.1)]
    ]
    holed = shapely.Polygon(
        shapely.box(lon, lat + 0.1, lon + 0.05, lat + 0.15).exterior.coords,
        [shapely.box(lon + 0.01, lat + 0.11, lon + 0.02, lat + 0.12).exterior.coords],
    )
    return geopandas.GeoDataFrame({"id": [1, 2, 3, 4]}, geometry=[*squares, holed], crs=crs.WGS84)


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_from_and_to_wgs84_move_every_vertex(system):
    wgs = wenzhou_polygons()
    before = shapely.get_coordinates(wgs.geometry).copy()

    shifted = crs.from_wgs84(wgs, system)
    assert shifted.crs is None  # no CRS can describe GCJ-02/BD-09...
    assert shifted.attrs[crs.ATTRS_KEY] == system  # ...so the system travels in attrs
    moved = shapely.get_coordinates(shifted.geometry)
    assert moved.shape == before.shape
    metres = distance_m(before[:, 0], before[:, 1], moved[:, 0], moved[:, 1])
    low, high = (450, 650) if system == "gcj02" else (900, 1300)
    assert metres.min() > low and metres.max() < high
    assert list(shifted["id"]) == [1, 2, 3, 4]
    assert len(shifted.geometry.iloc[3].interiors) == 1

    back = crs.to_wgs84(shifted)  # the attrs marker is enough
    assert back.crs.to_epsg() == 4326
    assert crs.ATTRS_KEY not in back.attrs
    coords = shapely.get_coordinates(back.geometry)
    assert distance_m(before[:, 0], before[:, 1], coords[:, 0], coords[:, 1]).max() < 1e-3
    np.testing.assert_array_equal(shapely.get_coordinates(wgs.geometry), before)  # input intact


def test_source_overrides_a_wrong_wgs84_label():
    wgs = wenzhou_polygons()
    amap = crs.from_wgs84(wgs, "gcj02").set_crs(crs.WGS84)  # saved with a WGS84 label
    assert crs.to_wgs84(amap).geometry.geom_equals_exact(amap.geometry, 0).all()
    fixed = crs.to_wgs84(amap, source="GCJ-02")
    assert fixed.geometry.geom_equals_exact(wgs.geometry, 1e-8).all()


def test_offset_keeps_z():
    frame = geopandas.GeoDataFrame(
        geometry=[shapely.Point(120.65, 28.0, 12.5), shapely.Point(120.7, 28.1)], crs=crs.WGS84
    )
    shifted = crs.from_wgs84(frame, "gcj02")
    assert shifted.geometry.iloc[0].has_z and shifted.geometry.iloc[0].z == 12.5
    assert not shifted.geometry.iloc[1].has_z


def test_to_wgs84_from_gauss_kruger_cm120():
    lon, lat = np.array([120.65, 119.7, 121.2]), np.array([28.0, 27.1, 28.5])
    x, y = pyproj.Transformer.from_crs(crs.WGS84, "EPSG:4549", always_xy=True).transform(lon, lat)
    assert np.all((x > 300_000) & (x < 700_000))  # plain eastings, no zone prefix
    for frame, source in [
        (points_frame(x, y, "EPSG:4549"), None),
        (points_frame(x, y), "EPSG:4549"),
        (points_frame(x, y), 4549),
    ]:
        out = crs.to_wgs84(frame, source)
        assert out.crs.to_epsg() == 4326
        np.testing.assert_allclose(out.geometry.x, lon, atol=1e-6)
        np.testing.assert_allclose(out.geometry.y, lat, atol=1e-6)


def test_to_wgs84_from_cgcs2000_keeps_numbers():
    lon, lat = grid(JINJIANG_BOUNDS, 5)
    out = crs.to_wgs84(points_frame(lon, lat), "cgcs2000")
    assert out.crs.to_epsg() == 4326
    # PROJ's CGCS2000 -> WGS84 is a ballpark (null) transformation, as documented.
    np.testing.assert_allclose(out.geometry.x, lon, atol=1e-9)
    np.testing.assert_allclose(out.geometry.y, lat, atol=1e-9)
    same = crs.to_wgs84(points_frame(lon, lat, crs.CGCS2000))
    np.testing.assert_allclose(same.geometry.y, lat, atol=1e-9)


def test_from_wgs84_to_projected():
    frame = points_frame([120.65], [28.0], crs.WGS84)
    out = crs.from_wgs84(frame, "EPSG:4549")
    x, y = pyproj.Transformer.from_crs(crs.WGS84, "EPSG:4549", always_xy=True).transform(
        120.65, 28.0
    )
    assert out.crs.to_epsg() == 4549
    assert out.geometry.x.iloc[0] == pytest.approx(x, abs=1e-3)
    assert out.geometry.y.iloc[0] == pytest.approx(y, abs=1e-3)
    # Any labelled frame is accepted and brought to WGS84 first.
    gcj = crs.from_wgs84(out, "gcj02")
    assert gcj.geometry.x.iloc[0] == pytest.approx(
        float(crs.wgs84_to_gcj02(120.65, 28.0)[0]), abs=1e-8
    )


def test_conversion_errors():
    with pytest.raises(PlannerError) as err:
        crs.to_wgs84(points_frame([120.65], [28.0]))
    assert err.value.key == "crs.missing"
    with pytest.raises(PlannerError) as err:
        crs.from_wgs84(points_frame([120.65], [28.0]), "gcj02")
    assert err.value.key == "crs.missing"
    with pytest.raises(PlannerError) as err:
        crs.to_wgs84(points_frame([4e5], [3.1e6]), "gcj02")  # metres, not degrees
    assert err.value.key == "crs.not_lonlat"
    with pytest.raises(PlannerError) as err:
        crs.to_wgs84(points_frame([4e5], [3.1e6], crs.WGS84))
    assert err.value.key == "crs.not_lonlat"
    with pytest.raises(PlannerError) as err:
        crs.to_wgs84(points_frame([120.65], [28.0]), "mars-ish")
    assert err.value.key == "crs.unknown_system"


# --------------------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("EPSG:4549", "EPSG:4549"),
        ("EPSG:4326", "wgs84"),
        ("EPSG:4490", "cgcs2000"),
        ("EPSG:32651", "EPSG:32651"),
    ],
)
def test_detect_declared_crs(declared, expected):
    frame = points_frame([1.0], [2.0], declared)  # values are not even looked at
    detection = crs.detect_coordinate_system(frame)
    assert detection.system == expected
    assert detection.reason == "crs.detect.declared"
    assert detection.candidates[0] == expected
    assert_message_complete(detection)


def test_detect_declared_custom_crs():
    custom = pyproj.CRS.from_proj4("+proj=tmerc +lon_0=120.5 +x_0=500000 +ellps=GRS80 +units=m")
    detection = crs.detect_coordinate_system(points_frame([5e5], [3.1e6], custom))
    assert detection.system is None
    assert detection.reason == "crs.detect.declared_custom"
    assert_message_complete(detection)
    # It can still be converted: the declared CRS is used as is.
    out = crs.to_wgs84(points_frame([5e5], [3.1e6], custom))
    assert out.geometry.x.iloc[0] == pytest.approx(120.5, abs=1e-9)


@pytest.mark.parametrize(
    ("epsg", "zone", "cm"),
    [(4528, 40, 120), (4527, 39, 117), (4497, 19, 111)],  # 3-degree x2, 6-degree
)
def test_detect_gauss_kruger_with_zone_prefix(epsg, zone, cm):
    lon, lat = grid((cm - 0.8, 27.0, cm + 0.8, 28.6), 10)
    x, y = pyproj.Transformer.from_crs(crs.WGS84, f"EPSG:{epsg}", always_xy=True).transform(
        lon, lat
    )
    assert np.all(np.floor(x / 1e6) == zone)
    detection = crs.detect_coordinate_system(points_frame(x, y))
    assert detection.system == f"EPSG:{epsg}"
    assert detection.reason == "crs.detect.projected_gk"
    assert detection.params["zone"] == zone and detection.params["cm"] == cm
    assert_message_complete(detection)
    # The candidates are the same zone on the three Chinese datums, per the EPSG registry.
    names = [pyproj.CRS.from_user_input(code).name for code in detection.candidates]
    datums = ["CGCS2000", "Xian 1980", "Beijing 1954"]
    assert [name.split(" / ")[0] for name in names] == datums
    assert all(name.endswith(f"zone {zone}") for name in names)
    assert central_meridian(detection.system) == cm


@pytest.mark.parametrize(
    ("centre", "radius_m", "epsg", "cm"),
    [
        (WENZHOU_CENTRE, 15_000, 4549, 120),
        (JINJIANG_CENTRE, 10_000, 4548, 117),  # the same place in either zone
        (JINJIANG_CENTRE, 10_000, 4549, 120),
    ],
)
def test_detect_gauss_kruger_without_prefix_by_reference(centre, radius_m, epsg, cm):
    reference, lon, lat = disc(centre, radius_m, 400)
    x, y = pyproj.Transformer.from_crs(crs.WGS84, f"EPSG:{epsg}", always_xy=True).transform(
        lon, lat
    )
    frame = points_frame(x, y)
    detection = crs.detect_coordinate_system(frame, reference)
    assert detection.system == f"EPSG:{epsg}"
    assert detection.reason == "crs.detect.projected_gk_reference"
    assert detection.params["cm"] == cm
    names = [pyproj.CRS.from_user_input(code).name for code in detection.candidates]
    assert all(name.endswith(f"3-degree Gauss-Kruger CM {cm}E") for name in names)
    assert central_meridian(detection.system) == cm
    assert_message_complete(detection)
    # The answer converts the data back onto the reference.
    back = crs.to_wgs84(frame, detection.system)
    np.testing.assert_allclose(back.geometry.x, lon, atol=1e-6)


def test_detect_utm_is_not_mistaken_for_gauss_kruger():
    reference, lon, lat = disc(JINJIANG_CENTRE, 10_000, 400)
    x, y = pyproj.Transformer.from_crs(crs.WGS84, "EPSG:32650", always_xy=True).transform(lon, lat)
    detection = crs.detect_coordinate_system(points_frame(x, y), reference)
    assert detection.system == "EPSG:32650"


def test_detect_gauss_kruger_without_prefix_by_longitude_hint():
    _, lon, lat = disc(JINJIANG_CENTRE, 10_000, 50)
    for epsg in (4548, 4549):
        x, y = pyproj.Transformer.from_crs(crs.WGS84, f"EPSG:{epsg}", always_xy=True).transform(
            lon, lat
        )
        detection = crs.detect_coordinate_system(points_frame(x, y), lon_hint=118.6)
        assert detection.system == f"EPSG:{epsg}"
        assert detection.reason == "crs.detect.projected_gk_hint"
        assert_message_complete(detection)
    # Without a reference or hint the zone is honestly unknown.
    detection = crs.detect_coordinate_system(points_frame(x, y))
    assert detection.system is None
    assert detection.reason == "crs.detect.projected_gk_ambiguous"
    assert len(detection.candidates) == 21 and "EPSG:4549" in detection.candidates
    assert_message_complete(detection)


def test_detect_lonlat_is_ambiguous_without_reference():
    _, lon, lat = disc(WENZHOU_CENTRE, 10_000, 100)
    detection = crs.detect_coordinate_system(points_frame(lon, lat))
    assert detection.system is None
    assert detection.candidates == ("wgs84", "gcj02", "bd09", "cgcs2000")
    assert detection.reason == "crs.detect.lonlat_ambiguous"
    assert_message_complete(detection)


@pytest.mark.parametrize(
    ("system", "shift"),
    [("wgs84", None), ("gcj02", crs.wgs84_to_gcj02), ("bd09", crs.wgs84_to_bd09)],
)
@pytest.mark.parametrize("centre", [WENZHOU_CENTRE, JINJIANG_CENTRE])
def test_detect_lonlat_with_reference(system, shift, centre):
    # A county of 8 km radius: points within ~1 km of its edge reveal the offset.
    reference, lon, lat = disc(centre, 8_000, 500, seed=1)
    if shift is not None:
        lon, lat = shift(lon, lat)
    detection = crs.detect_coordinate_system(points_frame(lon, lat), reference)
    assert detection.system == system
    assert detection.reason == "crs.detect.reference_match"
    assert detection.params["inside"] == 500
    # ~4 % of the points lie within the ~540 m GCJ shift of the edge, i.e. ~20 of 500.
    assert detection.params["runner_up_inside"] <= 490
    assert_message_complete(detection)


def test_detect_lonlat_reference_too_coarse_is_inconclusive():
    # Points in the middle of a large county never leave it, whatever the offset.
    reference, _, _ = disc(WENZHOU_CENTRE, 30_000, 1)
    _, lon, lat = disc(WENZHOU_CENTRE, 5_000, 300)
    detection = crs.detect_coordinate_system(points_frame(*crs.wgs84_to_gcj02(lon, lat)), reference)
    assert detection.system is None
    assert detection.reason == "crs.detect.reference_inconclusive"
    assert set(detection.candidates) == set(crs.COORDINATE_SYSTEMS)
    assert_message_complete(detection)


def test_detect_lonlat_reference_elsewhere():
    reference, _, _ = disc(JINJIANG_CENTRE, 8_000, 1)
    _, lon, lat = disc(WENZHOU_CENTRE, 8_000, 100)
    detection = crs.detect_coordinate_system(points_frame(lon, lat), reference)
    assert detection.system is None
    assert detection.reason == "crs.detect.reference_no_overlap"
    assert_message_complete(detection)


def test_detect_wgs84_label_contradicted_by_reference():
    reference, lon, lat = disc(WENZHOU_CENTRE, 8_000, 500, seed=2)
    amap = points_frame(*crs.wgs84_to_gcj02(lon, lat), crs.WGS84)
    assert crs.detect_coordinate_system(amap).system == "wgs84"  # trusted without reference
    detection = crs.detect_coordinate_system(amap, reference)
    assert detection.system == "gcj02"
    assert detection.reason == "crs.detect.declared_contradicted"
    assert_message_complete(detection)
    honest = points_frame(lon, lat, crs.WGS84)
    assert crs.detect_coordinate_system(honest, reference).reason == "crs.detect.declared"


def test_detect_marked_layer():
    shifted = crs.from_wgs84(wenzhou_polygons(), "bd09")
    detection = crs.detect_coordinate_system(shifted)
    assert (detection.system, detection.reason) == ("bd09", "crs.detect.marked")


def test_detect_reference_must_be_polygonal():
    _, lon, lat = disc(WENZHOU_CENTRE, 8_000, 10)
    with pytest.raises(PlannerError) as err:
        crs.detect_coordinate_system(points_frame(lon, lat), points_frame(lon, lat, crs.WGS84))
    assert err.value.key == "crs.reference_not_polygonal"


@pytest.mark.parametrize(
    ("x", "y", "reason"),
    [
        ([1e9, 2e9], [-5e8, 3.0], "crs.detect.unknown"),
        ([5e5, 6e5], [-3.1e6, -3.0e6], "crs.detect.unknown"),  # negative northing
        ([28.0, 28.1], [120.65, 120.7], "crs.detect.lonlat_swapped"),
        ([3.10e6, 3.11e6], [40_555_000.0, 40_560_000.0], "crs.detect.axes_swapped"),
        ([3.10e6, 3.11e6], [455_000.0, 460_000.0], "crs.detect.axes_swapped"),
        ([5.0, 6.0], [50.0, 51.0], "crs.detect.lonlat_outside_china"),
        ([], [], "crs.detect.empty"),
    ],
)
def test_detect_unusable_coordinates(x, y, reason):
    detection = crs.detect_coordinate_system(points_frame(np.array(x), np.array(y)))
    assert detection.system is None
    assert detection.reason == reason
    assert_message_complete(detection)


# --------------------------------------------------------------------------------------
# Names and messages
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("wgs84", "wgs84"),
        ("WGS-84", "wgs84"),
        ("WGS 1984", "wgs84"),
        ("gcj02", "gcj02"),
        ("GCJ-02", "gcj02"),
        ("高德", "gcj02"),
        ("bd09", "bd09"),
        ("BD-09", "bd09"),
        ("cgcs2000", "cgcs2000"),
        ("CGCS 2000", "cgcs2000"),
        ("EPSG:4549", "EPSG:4549"),
        ("epsg:4549", "EPSG:4549"),
        (" EPSG: 4549 ", "EPSG:4549"),
        ("4549", "EPSG:4549"),
        (4549, "EPSG:4549"),
        ("epsg:4326", "wgs84"),
        (4326, "wgs84"),
        ("EPSG:4490", "cgcs2000"),
        (pyproj.CRS.from_epsg(32650), "EPSG:32650"),
    ],
)
def test_normalise_system(name, expected):
    assert crs.normalise_system(name) == expected


@pytest.mark.parametrize("name", ["mars", "", "EPSG:99999", 99999, "EPSG:4549x", "gcj-03", True])
def test_normalise_system_rejects(name):
    with pytest.raises(PlannerError) as err:
        crs.normalise_system(name)
    assert err.value.key == "crs.unknown_system"
    zh, en = err.value.message("zh"), err.value.message("en")
    assert zh and en and zh != en
    assert "{" not in zh and "{" not in en


def test_error_messages_registered_in_both_languages():
    for key in [
        "crs.unknown_system",
        "crs.missing",
        "crs.not_lonlat",
        "crs.reference_not_polygonal",
    ]:
        assert known(key)
        assert t(key, "zh") != t(key, "en")


# --------------------------------------------------------------------------------------
# Metric CRS
# --------------------------------------------------------------------------------------


def test_local_metric_crs():
    assert crs.local_metric_crs(WENZHOU_BOUNDS).to_epsg() == 32651
    assert crs.local_metric_crs(JINJIANG_BOUNDS).to_epsg() == 32650
    assert crs.local_metric_crs(shapely.box(*JINJIANG_BOUNDS)).to_epsg() == 32650
    assert crs.local_metric_crs(shapely.Point(151.2093, -33.8688)).to_epsg() == 32756
    gk = crs.from_wgs84(wenzhou_polygons(), "EPSG:4549")  # projected frames are reprojected
    assert crs.local_metric_crs(gk).to_epsg() == 32651
    assert crs.local_metric_crs(gk.geometry).to_epsg() == 32651
    assert crs.local_metric_crs(pyproj.CRS.from_epsg(32651).area_of_use.bounds).to_epsg() == 32651
    with pytest.raises(PlannerError) as err:
        crs.local_metric_crs((4e5, 3.1e6, 5e5, 3.2e6))
    assert err.value.key == "crs.not_lonlat"
