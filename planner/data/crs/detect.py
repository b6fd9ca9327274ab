"""Which coordinate system a layer's coordinates are in, and why.

Longitude/latitude in China look alike in WGS84, GCJ-02, BD-09 and CGCS2000; projected
coordinates look alike across Gauss-Krüger zones. :func:`detect_coordinate_system`
settles what the coordinates (and, when given, a reference layer of the same area) can
settle, and says what remains possible otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import geopandas
import numpy as np
import pyproj
import shapely

from planner.data.crs.convert import (
    ATTRS_KEY,
    COORDINATE_SYSTEMS,
    WGS84,
    _bounds_are_lonlat,
    _format_bounds,
    _system_of_crs,
    to_wgs84,
)
from planner.data.crs.offsets import _TO_WGS84, _in_china, bd09_to_wgs84, gcj02_to_wgs84
from planner.i18n import PlannerError, t

__all__ = ["Detection", "detect_coordinate_system"]

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
