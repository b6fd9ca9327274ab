"""Names of coordinate systems, and conversion of layers to and from WGS84.

Every system has one canonical name (:func:`normalise_system`): ``wgs84``, ``gcj02``,
``bd09``, ``cgcs2000`` or ``EPSG:nnnn``. :func:`to_wgs84` and :func:`from_wgs84` convert
layers, through PROJ or, for GCJ-02 and BD-09, through :mod:`planner.data.crs.offsets`;
:func:`local_metric_crs` gives the UTM zone for distance work over an area.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import geopandas
import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike

from planner.data.crs.offsets import _FROM_WGS84, _TO_WGS84
from planner.i18n import PlannerError

__all__ = [
    "ATTRS_KEY",
    "CGCS2000",
    "COORDINATE_SYSTEMS",
    "SYSTEM_KEYS",
    "WGS84",
    "from_wgs84",
    "local_metric_crs",
    "normalise_system",
    "to_wgs84",
]


WGS84: str = "EPSG:4326"
CGCS2000: str = "EPSG:4490"
COORDINATE_SYSTEMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09", "cgcs2000")
#: Coordinate system -> its name in messages.
SYSTEM_KEYS: dict[str, str] = {
    "wgs84": "term.wgs84_gps",
    "gcj02": "io.system.gcj02",
    "bd09": "term.bd_09_baidu",
    "cgcs2000": "io.system.cgcs2000",
}

#: ``gdf.attrs`` key naming the system of a layer whose ``crs`` cannot describe it.
ATTRS_KEY = "coordinate_system"


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
