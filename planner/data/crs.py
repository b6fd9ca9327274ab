"""Coordinate systems used for Chinese data, and safe conversion between them.

Chinese data arrives in several systems that look alike but are not interchangeable:

* ``wgs84`` (EPSG:4326): GPS, OpenStreetMap, most open data.
* ``gcj02``: the obfuscated "Mars" system required for published maps in China (Amap /
  高德, Tencent). It is WGS84 plus a non-linear offset of a few hundred metres.
* ``bd09``: Baidu's system, GCJ-02 plus a further offset (about 1 km from WGS84 overall).
* ``cgcs2000`` (EPSG:4490): the national geodetic datum. Within this planner's accuracy
  it coincides with WGS84 (see :func:`to_wgs84`).
* projected CRSs given as ``"EPSG:nnnn"``, chiefly CGCS2000 3-degree Gauss-Krüger
  (EPSG:4513-4554) in municipal and survey data, and UTM.

GCJ-02 and BD-09 have no EPSG code, so PROJ cannot convert them; this module applies the
published offset algorithms itself. Because no CRS can describe them, a layer converted
*to* GCJ-02 or BD-09 gets ``crs = None`` and records its system in
``gdf.attrs["coordinate_system"]``; labelling it EPSG:4326 would let it be mixed with
true WGS84 data without anyone noticing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import geopandas
import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike

from planner.i18n import PlannerError, t

WGS84: str = "EPSG:4326"
CGCS2000: str = "EPSG:4490"
COORDINATE_SYSTEMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09", "cgcs2000")

#: ``gdf.attrs`` key naming the system of a layer whose ``crs`` cannot describe it.
ATTRS_KEY = "coordinate_system"


# --------------------------------------------------------------------------------------
# GCJ-02 / BD-09 offset algorithms
# --------------------------------------------------------------------------------------

# The GCJ-02 algorithm is defined on the Krasovsky 1940 ellipsoid, not on WGS84.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_E2 = 0.00669342162296594323
# Bounding box used by the reference implementations to decide "inside China". It is
# crude (it also covers e.g. Korea and northern Vietnam) but it is what map providers'
# published algorithm uses, so matching it keeps our output identical to theirs.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)
_BD_X_PI = math.pi * 3000.0 / 180.0
_BD_DLON = 0.0065
_BD_DLAT = 0.006
# Inverse iterations stop at 1e-10 degrees (~10 µm); the offsets' derivatives are
# ~1e-3 per degree, so fixed-point iteration gains ~3 digits per step.
_INVERSE_TOLERANCE = 1e-10
_INVERSE_MAX_ITER = 20


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    lon_arr, lat_arr = np.broadcast_arrays(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    return lon_arr.copy(), lat_arr.copy()


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    # NaN compares False, so missing coordinates count as "outside" and pass through.
    return (
        (lon >= _CHINA_LON[0])
        & (lon <= _CHINA_LON[1])
        & (lat >= _CHINA_LAT[0])
        & (lat <= _CHINA_LAT[1])
    )


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS84 at WGS84 ``lon``/``lat``, in degrees, ignoring the China mask."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    d_lat += common
    d_lat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    d_lon += common
    d_lon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0

    rad_lat = np.radians(lat)
    magic = 1.0 - _KRASOVSKY_E2 * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = d_lat * 180.0 / (_KRASOVSKY_A * (1.0 - _KRASOVSKY_E2) / (magic * sqrt_magic) * np.pi)
    d_lon = d_lon * 180.0 / (_KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return d_lon, d_lat


def _gcj_forward(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d_lon, d_lat = _gcj_offset(lon, lat)
    return lon + d_lon, lat + d_lat


def _bd_forward(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _BD_X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd_approx_inverse(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Baidu's published inverse; it evaluates the perturbation at the wrong point and so
    # is off by up to ~0.2 m, hence the refinement in _invert.
    x = lon - _BD_DLON
    y = lat - _BD_DLAT
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    lon: np.ndarray,
    lat: np.ndarray,
    guess: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(x) == (lon, lat)`` by fixed-point iteration from ``guess``."""
    x_lon, x_lat = guess
    for _ in range(_INVERSE_MAX_ITER):
        f_lon, f_lat = forward(x_lon, x_lat)
        e_lon = f_lon - lon
        e_lat = f_lat - lat
        x_lon = x_lon - e_lon
        x_lat = x_lat - e_lat
        # NaN > tol is False, so missing coordinates do not keep the loop going.
        if not np.any((np.abs(e_lon) > _INVERSE_TOLERANCE) | (np.abs(e_lat) > _INVERSE_TOLERANCE)):
            break
    return x_lon, x_lat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS84 longitude/latitude to GCJ-02 (Amap, Tencent).

    Parameters
    ----------
    lon, lat
        WGS84 degrees; scalars or arrays of broadcastable shapes.

    Returns
    -------
    lon, lat
        GCJ-02 degrees as float arrays of the broadcast shape. Points outside China (the
        algorithm's bounding box) and NaNs are returned unchanged.
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    inside = _in_china(lon_a, lat_a)
    with np.errstate(invalid="ignore"):
        g_lon, g_lat = _gcj_forward(lon_a, lat_a)
    return np.where(inside, g_lon, lon_a), np.where(inside, g_lat, lat_a)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 longitude/latitude to WGS84.

    The GCJ-02 offset has no closed-form inverse. The common one-step approximation
    (subtracting the offset evaluated at the GCJ-02 point) is off by about 2 m in
    south-east China and up to 6 m in the west; this function iterates to better than a
    millimetre.

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees; scalars or arrays of broadcastable shapes.

    Returns
    -------
    lon, lat
        WGS84 degrees. Points outside China and NaNs are returned unchanged.
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    inside = _in_china(lon_a, lat_a)
    with np.errstate(invalid="ignore"):
        d_lon, d_lat = _gcj_offset(lon_a, lat_a)
        w_lon, w_lat = _invert(_gcj_forward, lon_a, lat_a, (lon_a - d_lon, lat_a - d_lat))
    return np.where(inside, w_lon, lon_a), np.where(inside, w_lat, lat_a)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 longitude/latitude to BD-09 (Baidu).

    Points outside China and NaNs are returned unchanged, as for GCJ-02.
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    inside = _in_china(lon_a, lat_a)
    with np.errstate(invalid="ignore"):
        b_lon, b_lat = _bd_forward(lon_a, lat_a)
    return np.where(inside, b_lon, lon_a), np.where(inside, b_lat, lat_a)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert BD-09 longitude/latitude to GCJ-02.

    Starts from Baidu's published approximate inverse and refines it iteratively, so a
    round trip through :func:`gcj02_to_bd09` is exact to well under a millimetre.
    Points outside China and NaNs are returned unchanged.
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    inside = _in_china(lon_a, lat_a)
    with np.errstate(invalid="ignore"):
        g_lon, g_lat = _invert(_bd_forward, lon_a, lat_a, _bd_approx_inverse(lon_a, lat_a))
    return np.where(inside, g_lon, lon_a), np.where(inside, g_lat, lat_a)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS84 longitude/latitude to BD-09 (via GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert BD-09 longitude/latitude to WGS84 (via GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS84 = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}

# --------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------

# Keys are lower-case with spaces, hyphens and underscores removed.
_ALIASES: dict[str, str] = {
    "wgs84": "wgs84",
    "wgs1984": "wgs84",
    "gps": "wgs84",
    "gcj02": "gcj02",
    "gcj": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "高德": "gcj02",
    "火星坐标": "gcj02",
    "火星坐标系": "gcj02",
    "国测局坐标系": "gcj02",
    "bd09": "bd09",
    "bd09ll": "bd09",
    "baidu": "bd09",
    "百度": "bd09",
    "百度坐标系": "bd09",
    "cgcs2000": "cgcs2000",
    "cgcs": "cgcs2000",
    "国家2000": "cgcs2000",
    "2000国家大地坐标系": "cgcs2000",
}
_EPSG_PATTERN = re.compile(r"^(?:epsg:)?(\d{4,6})$")
_EPSG_CANONICAL = {4326: "wgs84", 4490: "cgcs2000"}
_CANONICAL_EPSG = {"wgs84": 4326, "cgcs2000": 4490}


@lru_cache(maxsize=256)
def _epsg_exists(code: int) -> bool:
    try:
        pyproj.CRS.from_epsg(code)
    except pyproj.exceptions.CRSError:
        return False
    return True


def _canonical_epsg(code: int) -> str:
    return _EPSG_CANONICAL.get(code, f"EPSG:{code}")


def normalise_system(name: str | int | pyproj.CRS) -> str:
    """Return the canonical name of a coordinate system.

    Parameters
    ----------
    name
        A system name in any common spelling (``"WGS-84"``, ``"GCJ-02"``, ``"bd09"``,
        ``"CGCS2000"``, ``"高德"``...), an EPSG code as ``"EPSG:4549"``, ``"epsg:4549"``,
        ``"4549"`` or ``4549``, or a :class:`pyproj.CRS` with an EPSG code.

    Returns
    -------
    str
        ``"wgs84"``, ``"gcj02"``, ``"bd09"``, ``"cgcs2000"`` or ``"EPSG:nnnn"``. EPSG:4326
        and EPSG:4490 map to ``"wgs84"`` and ``"cgcs2000"`` so each system has one name.

    Raises
    ------
    PlannerError
        ``crs.unknown_system`` if the name is not recognised or the EPSG code does not exist.
    """
    if isinstance(name, pyproj.CRS):
        code = name.to_epsg()
        if code is None:
            raise PlannerError("crs.unknown_system", name=name.name)
        return _canonical_epsg(code)
    # bool is an int subclass; True is not EPSG:1.
    if isinstance(name, int) and not isinstance(name, bool):
        if _epsg_exists(name):
            return _canonical_epsg(name)
        raise PlannerError("crs.unknown_system", name=str(name))
    if not isinstance(name, str):
        raise PlannerError("crs.unknown_system", name=repr(name))
    key = re.sub(r"[\s\-_]", "", name.strip().lower())
    if key in _ALIASES:
        return _ALIASES[key]
    match = _EPSG_PATTERN.match(key)
    if match and _epsg_exists(int(match.group(1))):
        return _canonical_epsg(int(match.group(1)))
    raise PlannerError("crs.unknown_system", name=name)


def _system_of_crs(crs: pyproj.CRS) -> str | None:
    code = crs.to_epsg()
    return None if code is None else _canonical_epsg(code)


def _pyproj_crs(system: str) -> pyproj.CRS:
    """CRS of a canonical system that PROJ understands (not gcj02/bd09)."""
    if system in _CANONICAL_EPSG:
        return pyproj.CRS.from_epsg(_CANONICAL_EPSG[system])
    return pyproj.CRS.from_user_input(system)


# --------------------------------------------------------------------------------------
# GeoDataFrame conversion
# --------------------------------------------------------------------------------------


def _format_bounds(bounds: ArrayLike) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in np.asarray(bounds, dtype=float)) + ")"


def _check_lonlat(gdf: geopandas.GeoDataFrame, system: str) -> None:
    bounds = gdf.total_bounds
    if np.all(np.isnan(bounds)):  # empty layer: nothing to contradict
        return
    if not _bounds_are_lonlat(bounds):
        raise PlannerError("crs.not_lonlat", system=system, bounds=_format_bounds(bounds))


def _bounds_are_lonlat(bounds: ArrayLike) -> bool:
    xmin, ymin, xmax, ymax = np.asarray(bounds, dtype=float)
    return bool(xmin >= -180.0 and xmax <= 180.0 and ymin >= -90.0 and ymax <= 90.0)


def _apply_offset(
    gdf: geopandas.GeoDataFrame,
    func: Callable[[ArrayLike, ArrayLike], tuple[np.ndarray, np.ndarray]],
) -> geopandas.GeoDataFrame:
    def transform(coords: np.ndarray) -> np.ndarray:
        out = coords.copy()
        out[:, 0], out[:, 1] = func(coords[:, 0], coords[:, 1])
        return out  # any Z column is kept as it was

    out = gdf.copy()
    out[gdf.geometry.name] = shapely.transform(gdf.geometry.to_numpy(), transform, include_z=None)
    return out


def _resolve_source(
    gdf: geopandas.GeoDataFrame, source: str | int | pyproj.CRS | None
) -> tuple[str, pyproj.CRS | None]:
    """(system label, CRS for PROJ or None for gcj02/bd09)."""
    if source is not None:
        system = normalise_system(source)
    elif gdf.crs is not None:
        return _system_of_crs(gdf.crs) or gdf.crs.name, gdf.crs
    elif gdf.attrs.get(ATTRS_KEY) in _TO_WGS84:
        system = gdf.attrs[ATTRS_KEY]
    else:
        raise PlannerError("crs.missing")
    if system in _TO_WGS84:
        return system, None
    return system, _pyproj_crs(system)


def to_wgs84(
    gdf: geopandas.GeoDataFrame, source: str | int | pyproj.CRS | None = None
) -> geopandas.GeoDataFrame:
    """Return a copy of ``gdf`` in WGS84 longitude/latitude (EPSG:4326).

    Parameters
    ----------
    gdf
        Layer to convert. Only the active geometry column is converted.
    source
        System the coordinates are really in (any spelling :func:`normalise_system`
        accepts). It overrides ``gdf.crs``, because files holding Amap (GCJ-02) or Baidu
        coordinates are often labelled EPSG:4326. ``None`` uses ``gdf.crs``, or for a
        layer made by :func:`from_wgs84` the system recorded in
        ``gdf.attrs["coordinate_system"]``.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame with ``crs`` EPSG:4326; ``gdf`` is not modified.

    Raises
    ------
    PlannerError
        ``crs.missing`` if ``source`` is None and the layer has no CRS;
        ``crs.unknown_system`` for an unrecognised ``source``; ``crs.not_lonlat`` if a
        longitude/latitude system is given for coordinates outside ±180/±90.

    Notes
    -----
    ``gcj02`` and ``bd09`` are undone with the offset algorithms, vertex by vertex.
    Everything else goes through PROJ (:meth:`geopandas.GeoDataFrame.to_crs`), e.g.
    CGCS2000 Gauss-Krüger (EPSG:4513-4554) or UTM. CGCS2000 and WGS84 agree to
    centimetres at epoch 2000; plate motion since then (a few cm a year in south-east
    China) has opened a gap that is still below a metre, negligible for siting. PROJ
    knows no precise CGCS2000-WGS84 transformation and uses a "ballpark" one, which
    leaves the numbers unchanged: that is the right behaviour at this accuracy. The same
    ballpark is used for Xian 1980 (EPSG:4610 and its projections), where it is *not*
    harmless: Xian 1980 positions differ from CGCS2000 by tens of metres.
    """
    system, crs = _resolve_source(gdf, source)
    if crs is None:
        _check_lonlat(gdf, system)
        out = _apply_offset(gdf, _TO_WGS84[system]).set_crs(WGS84, allow_override=True)
    else:
        if crs.is_geographic:
            _check_lonlat(gdf, system)
        out = gdf.set_crs(crs, allow_override=True).to_crs(WGS84)
    # A copied marker would claim the new WGS84 frame is still GCJ-02/BD-09.
    out.attrs.pop(ATTRS_KEY, None)
    return out


def from_wgs84(
    gdf: geopandas.GeoDataFrame, target: str | int | pyproj.CRS
) -> geopandas.GeoDataFrame:
    """Return a copy of ``gdf`` converted to ``target``, e.g. ``"gcj02"`` for an Amap basemap.

    Parameters
    ----------
    gdf
        Layer with a CRS. It is normally WGS84; any other declared CRS is first brought
        to WGS84 with :func:`to_wgs84`.
    target
        Any spelling :func:`normalise_system` accepts.

    Returns
    -------
    geopandas.GeoDataFrame
        For ``gcj02`` and ``bd09``: ``crs`` is None (no CRS can describe them) and
        ``attrs["coordinate_system"]`` names the system, so :func:`to_wgs84` and
        :func:`detect_coordinate_system` recognise the layer. Otherwise a frame in the
        target CRS.

    Raises
    ------
    PlannerError
        ``crs.missing`` if ``gdf`` has neither a CRS nor a ``from_wgs84`` marker;
        ``crs.unknown_system`` for a bad target.
    """
    system = normalise_system(target)
    wgs = gdf if gdf.crs is not None and _system_of_crs(gdf.crs) == "wgs84" else to_wgs84(gdf)
    if system in _FROM_WGS84:
        out = _apply_offset(wgs, _FROM_WGS84[system]).set_crs(None, allow_override=True)
        out.attrs[ATTRS_KEY] = system
        return out
    out = wgs.to_crs(_pyproj_crs(system))
    out.attrs.pop(ATTRS_KEY, None)
    return out


# --------------------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Detection:
    """What :func:`detect_coordinate_system` concluded, and why.

    Attributes
    ----------
    system
        Canonical system name when it could be decided, else None.
    candidates
        Systems the data could be in. When ``system`` is set this lists it first,
        followed by systems the data cannot be told apart from (e.g. CGCS2000 for WGS84).
    reason
        Message key explaining the conclusion; render it with :meth:`message`.
    params
        Values for the message.
    """

    system: str | None
    candidates: tuple[str, ...]
    reason: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "zh") -> str:
        """The explanation in ``lang``."""
        return t(self.reason, lang, **self.params)


# Sample size for detection: enough to see the few points near reference boundaries
# that separate the hypotheses, small enough to stay interactive on big layers.
_DETECT_SAMPLE = 5000
# A hypothesis beats another when at least this many points are inside the reference
# only under it, and at least _DOMINANCE times as many as the other way round (the
# reverse happens too, from imprecise reference boundaries and genuinely outside points).
_MIN_WINS = 3
_DOMINANCE = 4
# Gauss-Krüger ranges. Northing 1,000-6,500 km spans latitudes ~9-58°N (all of China but
# the southernmost islands); eastings are kept well within a zone of either width.
_GK_NORTHING = (1_000_000.0, 6_500_000.0)
_GK_EASTING = (100_000.0, 900_000.0)
_GK_CMS = tuple(range(75, 136, 3))  # 3-degree central meridians covering China
# First EPSG code of each family; zones/CMs are consecutive after it (checked in tests).
_CGCS_GK3_ZONE25, _XIAN_GK3_ZONE25, _BEIJING_GK3_ZONE25 = 4513, 2349, 2401
_CGCS_GK3_CM75, _XIAN_GK3_CM75, _BEIJING_GK3_CM75 = 4534, 2370, 2422
_CGCS_GK6_ZONE13, _XIAN_GK6_ZONE13, _BEIJING_GK6_ZONE13 = 4491, 2327, 21413
_HINT_TOLERANCE = 1.0  # degrees between a hint and the data's implied longitude


def _gk3_cm_codes(cm: int) -> tuple[str, ...]:
    k = (cm - 75) // 3
    return tuple(f"EPSG:{base + k}" for base in (_CGCS_GK3_CM75, _XIAN_GK3_CM75, _BEIJING_GK3_CM75))


def _sample(gdf: geopandas.GeoDataFrame) -> np.ndarray:
    geoms = gdf.geometry.to_numpy()
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if len(geoms) > _DETECT_SAMPLE:  # evenly spaced, so the result is reproducible
        geoms = geoms[np.linspace(0, len(geoms) - 1, _DETECT_SAMPLE).astype(np.intp)]
    return geoms


def _reference_tree(reference: geopandas.GeoDataFrame) -> tuple[shapely.STRtree, np.ndarray]:
    geoms = to_wgs84(reference).geometry.to_numpy()
    polygonal = geoms[np.isin(shapely.get_type_id(geoms), (3, 6))]  # Polygon, MultiPolygon
    if len(polygonal) == 0:
        raise PlannerError("crs.reference_not_polygonal")
    return shapely.STRtree(polygonal), np.asarray(shapely.total_bounds(polygonal))


def _inside(tree: shapely.STRtree, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    inside = np.zeros(len(lon), dtype=bool)
    hits = tree.query(shapely.points(lon, lat), predicate="intersects")
    inside[hits[0]] = True
    return inside


def _judge(
    tree: shapely.STRtree, hypotheses: Mapping[str, tuple[np.ndarray, np.ndarray]]
) -> tuple[bool, str, dict[str, Any]]:
    """Pick the hypothesis (name -> WGS84 lon/lat) that puts the most points inside."""
    inside = {name: _inside(tree, lon, lat) for name, (lon, lat) in hypotheses.items()}
    ranked = sorted(inside, key=lambda name: int(inside[name].sum()), reverse=True)
    best = ranked[0]
    runner_up = ranked[1] if len(ranked) > 1 else best
    params = {
        "system": best,
        "inside": int(inside[best].sum()),
        "total": len(inside[best]),
        "runner_up": runner_up,
        "runner_up_inside": int(inside[runner_up].sum()),
    }
    if params["inside"] == 0:
        return False, "crs.detect.reference_no_overlap", params
    # Only points inside under one hypothesis and not the other carry evidence: for a
    # layer well inside a county, a 500 m shift changes nothing for most points.
    for other in ranked[1:]:
        wins = int(np.sum(inside[best] & ~inside[other]))
        losses = int(np.sum(inside[other] & ~inside[best]))
        if wins < _MIN_WINS or wins < _DOMINANCE * losses:
            return False, "crs.detect.reference_inconclusive", params
    return True, "crs.detect.reference_match", params


def _points(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Representative points lie inside polygons, away from the boundary vertices that
    # would straddle a reference boundary even with the right system.
    xy = shapely.get_coordinates(shapely.point_on_surface(geoms))
    return xy[:, 0], xy[:, 1]


def _lonlat_hypotheses(
    lon: np.ndarray, lat: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    # CGCS2000 is not a separate hypothesis: it is indistinguishable from WGS84 here.
    return {
        "wgs84": (lon, lat),
        "gcj02": gcj02_to_wgs84(lon, lat),
        "bd09": bd09_to_wgs84(lon, lat),
    }


def _decided(system: str, reason: str, params: dict[str, Any]) -> Detection:
    candidates = ("wgs84", "cgcs2000") if system == "wgs84" else (system,)
    return Detection(system, candidates, reason, params)


def _detect_declared(
    gdf: geopandas.GeoDataFrame, geoms: np.ndarray, reference: geopandas.GeoDataFrame | None
) -> Detection:
    crs = gdf.crs
    system = _system_of_crs(crs)
    if system is None:
        return Detection(None, (), "crs.detect.declared_custom", {"name": crs.name})
    if system in ("wgs84", "cgcs2000") and reference is not None and len(geoms):
        # A WGS84 label is the usual disguise of Amap/Baidu data; check it when we can.
        lon, lat = _points(geoms)
        if _bounds_are_lonlat(gdf.total_bounds) and np.any(_in_china(lon, lat)):
            tree, _ = _reference_tree(reference)
            decided, _, params = _judge(tree, _lonlat_hypotheses(lon, lat))
            if decided and params["system"] in _TO_WGS84:
                return _decided(
                    params["system"],
                    "crs.detect.declared_contradicted",
                    {**params, "declared": crs.name},
                )
    # WGS84 and CGCS2000 are interchangeable here; list the declared one first.
    candidates = {"wgs84": ("wgs84", "cgcs2000"), "cgcs2000": ("cgcs2000", "wgs84")}
    return Detection(
        system, candidates.get(system, (system,)), "crs.detect.declared", {"name": crs.name}
    )


def _detect_lonlat(
    geoms: np.ndarray, reference: geopandas.GeoDataFrame | None, bounds: np.ndarray
) -> Detection:
    lon, lat = _points(geoms)
    if not np.any(_in_china(lon, lat)):
        return Detection(
            None,
            ("wgs84",),
            "crs.detect.lonlat_outside_china",
            {"bounds": _format_bounds(bounds)},
        )
    if reference is None:
        return Detection(None, COORDINATE_SYSTEMS, "crs.detect.lonlat_ambiguous", {})
    tree, _ = _reference_tree(reference)
    decided, reason, params = _judge(tree, _lonlat_hypotheses(lon, lat))
    if decided:
        return _decided(params["system"], reason, params)
    return Detection(None, COORDINATE_SYSTEMS, reason, params)


@lru_cache(maxsize=64)
def _transformer(code: str) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    return pyproj.Transformer.from_crs(code, WGS84, always_xy=True).transform


def _detect_gk_plain(
    geoms: np.ndarray,
    reference: geopandas.GeoDataFrame | None,
    lon_hint: float | None,
) -> Detection:
    x, y = _points(geoms)
    if reference is not None:
        tree, ref_bounds = _reference_tree(reference)
        lo, hi = ref_bounds[0] - 1.5, ref_bounds[2] + 1.5
        # Every 3-degree CM whose zone touches the reference, plus UTM zones there: UTM
        # shares the false easting and differs from GK with the same CM by ~0.04 % scale.
        codes = {_gk3_cm_codes(cm)[0]: cm for cm in _GK_CMS if lo <= cm <= hi}
        for zone in range(1, 61):
            if lo - 1.5 <= zone * 6 - 183 <= hi + 1.5:
                codes[f"EPSG:{32600 + zone}"] = zone * 6 - 183
        if not codes:
            return Detection(None, (), "crs.detect.reference_no_overlap", {})
        hypotheses = {code: _transformer(code)(x, y) for code in codes}
        decided, reason, params = _judge(tree, hypotheses)
        if not decided:
            return Detection(None, tuple(sorted(codes)), reason, params)
        best = params["system"]
        if best.startswith("EPSG:326"):
            return Detection(best, (best,), reason, params)
        cm = codes[best]
        return Detection(
            best, _gk3_cm_codes(cm), "crs.detect.projected_gk_reference", {**params, "cm": cm}
        )
    all_gk = tuple(_gk3_cm_codes(cm)[0] for cm in _GK_CMS)
    if lon_hint is None:
        return Detection(None, all_gk, "crs.detect.projected_gk_ambiguous", {})
    # The easting says how far east of its CM the data lie, so each CM implies a
    # longitude for the data; the right CM is the one that lands near the hint. The
    # zones differ only by a shift in longitude, so one inverse projection serves all.
    lon_75, _ = _transformer(_gk3_cm_codes(75)[0])(np.median(x), np.median(y))
    implied = {cm: float(lon_75) - 75 + cm for cm in _GK_CMS}
    cm = min(implied, key=lambda c: abs(implied[c] - lon_hint))
    if abs(implied[cm] - lon_hint) > _HINT_TOLERANCE:
        return Detection(None, all_gk, "crs.detect.projected_gk_ambiguous", {})
    best = _gk3_cm_codes(cm)[0]
    return Detection(
        best,
        _gk3_cm_codes(cm),
        "crs.detect.projected_gk_hint",
        {"system": best, "cm": cm, "lon_hint": lon_hint},
    )


def _gk_prefixed_zone(xmin: float, xmax: float, ymin: float, ymax: float) -> int | None:
    zone = math.floor(xmin / 1e6)
    if zone != math.floor(xmax / 1e6) or not (13 <= zone <= 23 or 25 <= zone <= 45):
        return None
    easting_ok = _GK_EASTING[0] <= xmin - zone * 1e6 and xmax - zone * 1e6 <= _GK_EASTING[1]
    northing_ok = _GK_NORTHING[0] <= ymin and ymax <= _GK_NORTHING[1]
    return zone if easting_ok and northing_ok else None


def _gk_plain(xmin: float, xmax: float, ymin: float, ymax: float) -> bool:
    return (
        _GK_EASTING[0] <= xmin
        and xmax <= _GK_EASTING[1]
        and _GK_NORTHING[0] <= ymin
        and ymax <= _GK_NORTHING[1]
    )


def detect_coordinate_system(
    gdf: geopandas.GeoDataFrame,
    reference: geopandas.GeoDataFrame | None = None,
    *,
    lon_hint: float | None = None,
) -> Detection:
    """Work out which coordinate system a layer's coordinates are in.

    Parameters
    ----------
    gdf
        The layer to inspect.
    reference
        Optional polygon layer with a CRS covering the same area, e.g. the region's
        county boundaries. It is used to decide between systems that the coordinates
        alone cannot separate: each hypothesis is applied to one representative point
        per feature and the one putting clearly the most points inside the reference
        wins. GCJ-02 and BD-09 move points only ~0.5-1 km, so only features near the
        reference's boundary carry evidence; without enough of them the answer stays
        undecided.
    lon_hint
        Optional approximate longitude of the data (e.g. the city centre), used to pick
        the Gauss-Krüger central meridian when there is no reference.

    Returns
    -------
    Detection
        ``system`` is None whenever the data do not settle the question; ``candidates``
        then lists what remains possible.

    Notes
    -----
    In order:

    * A declared CRS (e.g. from a ``.prj``) is trusted, except that a WGS84/CGCS2000
      label is checked against ``reference`` when given, because Amap and Baidu
      coordinates are often saved under a WGS84 label.
    * A layer made by :func:`from_wgs84` is recognised from ``gdf.attrs``.
    * Longitude/latitude in China cannot be told apart without a reference: WGS84,
      GCJ-02, BD-09 and CGCS2000 all look alike.
    * Eight-digit eastings such as 40 500 000 are zone-prefixed Gauss-Krüger; the prefix
      fixes the zone (25-45: 3-degree, EPSG:4513-4533; 13-23: 6-degree, EPSG:4491-4501).
    * Eastings around 500 000 m with a plausible northing are Gauss-Krüger (or UTM)
      without prefix; the central meridian (EPSG:4534-4554) comes from the reference or
      ``lon_hint``. Six-degree zones need no separate test: their central meridians are
      also 3-degree ones, with identical projections.
    * CGCS2000 is assumed for Gauss-Krüger, as it has been the national standard since
      2008; Xian 1980 and Beijing 1954 data look the same and are listed as candidates.
    """
    geoms = _sample(gdf)
    if gdf.crs is not None:
        return _detect_declared(gdf, geoms, reference)
    marker = gdf.attrs.get(ATTRS_KEY)
    if marker in _TO_WGS84:
        return Detection(marker, (marker,), "crs.detect.marked", {"system": marker})
    xy = shapely.get_coordinates(geoms)
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    if len(xy) == 0:
        return Detection(None, (), "crs.detect.empty", {})
    xmin, ymin = xy.min(axis=0)
    xmax, ymax = xy.max(axis=0)
    bounds = np.array([xmin, ymin, xmax, ymax])
    params = {"bounds": _format_bounds(bounds)}

    if _bounds_are_lonlat(bounds):
        return _detect_lonlat(geoms, reference, bounds)
    swapped_lon, swapped_lat = xy[:, 1], xy[:, 0]
    if _bounds_are_lonlat((ymin, xmin, ymax, xmax)) and np.all(_in_china(swapped_lon, swapped_lat)):
        return Detection(None, (), "crs.detect.lonlat_swapped", params)

    zone = _gk_prefixed_zone(xmin, xmax, ymin, ymax)
    if zone is not None:
        if zone >= 25:
            cm, k = zone * 3, zone - 25
            bases = (_CGCS_GK3_ZONE25, _XIAN_GK3_ZONE25, _BEIJING_GK3_ZONE25)
        else:
            cm, k = zone * 6 - 3, zone - 13
            bases = (_CGCS_GK6_ZONE13, _XIAN_GK6_ZONE13, _BEIJING_GK6_ZONE13)
        codes = tuple(f"EPSG:{base + k}" for base in bases)
        return Detection(
            codes[0], codes, "crs.detect.projected_gk", {"system": codes[0], "zone": zone, "cm": cm}
        )
    if _gk_plain(xmin, xmax, ymin, ymax):
        return _detect_gk_plain(geoms, reference, lon_hint)
    if _gk_plain(ymin, ymax, xmin, xmax) or _gk_prefixed_zone(ymin, ymax, xmin, xmax):
        return Detection(None, (), "crs.detect.axes_swapped", params)
    return Detection(None, (), "crs.detect.unknown", params)


# --------------------------------------------------------------------------------------
# Metric CRS
# --------------------------------------------------------------------------------------


def local_metric_crs(
    geometry_or_bounds: shapely.Geometry
    | geopandas.GeoDataFrame
    | geopandas.GeoSeries
    | tuple[float, float, float, float],
) -> pyproj.CRS:
    """A metric CRS for distance work over an area: the WGS84 UTM zone of its centre.

    Parameters
    ----------
    geometry_or_bounds
        A shapely geometry in WGS84 lon/lat (its centroid is used), a GeoDataFrame or
        GeoSeries (converted to WGS84 if it has a CRS; the centre of its bounds is used),
        or ``(minx, miny, maxx, maxy)`` in WGS84 lon/lat.

    Returns
    -------
    pyproj.CRS
        EPSG:326nn (north) or EPSG:327nn (south), e.g. EPSG:32651 for Wenzhou and
        EPSG:32650 for Jinjiang. UTM distortion stays below 0.1 % within a zone, and a
        city is small enough that crossing into the neighbouring zone adds little more.
        GCJ-02 input would be off by ~500 m, which never changes the zone enough to matter.

    Raises
    ------
    PlannerError
        ``crs.not_lonlat`` if the centre is not a valid longitude/latitude.
    """
    obj = geometry_or_bounds
    if isinstance(obj, geopandas.GeoDataFrame | geopandas.GeoSeries):
        if obj.crs is not None and _system_of_crs(obj.crs) != "wgs84":
            obj = obj.to_crs(WGS84)
        xmin, ymin, xmax, ymax = obj.total_bounds
        lon, lat = (xmin + xmax) / 2.0, (ymin + ymax) / 2.0
    elif isinstance(obj, shapely.Geometry):
        centroid = obj.centroid
        lon, lat = centroid.x, centroid.y
    else:
        xmin, ymin, xmax, ymax = (float(v) for v in obj)
        lon, lat = (xmin + xmax) / 2.0, (ymin + ymax) / 2.0
    if not _bounds_are_lonlat((lon, lat, lon, lat)):
        raise PlannerError("crs.not_lonlat", system="UTM", bounds=_format_bounds((lon, lat)))
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)  # lon = 180 belongs to zone 60
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)
