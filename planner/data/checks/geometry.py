"""Geometries of a layer: empty, invalid or of the wrong type; exchanged axes; outside
the region."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely

from planner.data.checks.report import Problem, Term, _examples, _flagged, level_term
from planner.data.crs import local_metric_crs

__all__ = [
    "REGION_TOLERANCE_M",
    "check_at_sea",
    "check_geometries",
    "check_outside_region",
    "fix_axis_order",
]

#: Features farther than this (metres) from the region boundary count as outside.
REGION_TOLERANCE_M = 1000.0

_POLYGONAL = ("Polygon", "MultiPolygon")
_EXPECTED_TYPES: dict[str, tuple[str, ...]] = {
    "counties": _POLYGONAL,
    "townships": _POLYGONAL,
    "communities": (*_POLYGONAL, "Point"),
    "sites": ("Point",),
    "zones": _POLYGONAL,
    "pois": ("Point",),
}
#: Shapely geometry type -> the planner's word for it.
_GEOMETRY_TYPE = {
    "Point": "validate.geomtype.Point",
    "MultiPoint": "validate.geomtype.MultiPoint",
    "LineString": "validate.geomtype.LineString",
    "MultiLineString": "validate.geomtype.MultiLineString",
    "LinearRing": "validate.geomtype.LineString",
    "Polygon": "validate.geomtype.Polygon",
    "MultiPolygon": "validate.geomtype.MultiPolygon",
    "GeometryCollection": "validate.geomtype.GeometryCollection",
}


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry | None:
    """The polygons of a geometry (dropping lines and points), or None if there are none."""
    if geom is None or geom.is_empty:
        return None
    kind = geom.geom_type
    if kind in _POLYGONAL:
        return geom
    if kind == "GeometryCollection":
        polys = [g for g in shapely.get_parts(geom) if g.geom_type in _POLYGONAL]
        polys = [p for part in polys for p in shapely.get_parts(part)]
        if not polys:
            return None
        return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
    return None


def check_geometries(
    gdf: gpd.GeoDataFrame, level: str, labels: Sequence[str]
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Empty, invalid and wrongly typed geometries.

    Z values are dropped; single-part MultiPoints become Points; invalid polygons are
    repaired with :func:`shapely.make_valid` when the repair is polygonal and keeps
    nearly all of the area (reported as fixed), otherwise they are errors.
    """
    problems: list[Problem] = []
    geoms = shapely.force_2d(np.asarray(gdf.geometry.array, dtype=object))
    params = {"level": level_term(level)}

    empty = np.array([g is None or g.is_empty for g in geoms], dtype=bool)
    # Points with NaN coordinates (e.g. blank lon/lat cells) count as empty.
    for i, g in enumerate(geoms):
        if (
            not empty[i]
            and g.geom_type == "Point"
            and not np.isfinite(shapely.get_coordinates(g)).all()
        ):
            empty[i] = True
    if empty.any():
        problems.append(_flagged("validate.geometry_empty", "error", labels, empty, params))

    expected = _EXPECTED_TYPES[level]
    collapsed = 0
    for i, g in enumerate(geoms):
        if empty[i]:
            continue
        if (
            g.geom_type == "MultiPoint"
            and "Point" in expected
            and shapely.get_num_geometries(g) == 1
        ):
            geoms[i] = shapely.get_geometry(g, 0)
            collapsed += 1
        elif g.geom_type == "GeometryCollection" and expected[0] == "Polygon":
            part = _polygonal_part(g)
            if part is not None:
                geoms[i] = part
                collapsed += 1
    if collapsed:
        problems.append(
            Problem("validate.geometry_simplified", "fixed", count=collapsed, params=params)
        )

    kinds = np.array([None if empty[i] else g.geom_type for i, g in enumerate(geoms)])
    wrong = np.array([k is not None and k not in expected for k in kinds], dtype=bool)
    if wrong.any():
        found = sorted({str(k) for k in kinds[wrong]})
        problems.append(
            Problem(
                "validate.geometry_wrong_type",
                "error",
                count=int(wrong.sum()),
                examples=_examples(labels, wrong),
                params={
                    **params,
                    "expected": [Term(_GEOMETRY_TYPE[k]) for k in expected if k != "MultiPolygon"],
                    "found": [Term(_GEOMETRY_TYPE.get(k, k)) for k in found],
                },
            )
        )

    fixed_mask = np.zeros(len(geoms), dtype=bool)
    broken_mask = np.zeros(len(geoms), dtype=bool)
    reasons: list[str] = []
    for i, g in enumerate(geoms):
        if empty[i] or wrong[i] or g.is_valid:
            continue
        reason = shapely.is_valid_reason(g)
        repaired = _polygonal_part(shapely.make_valid(g)) if g.geom_type in _POLYGONAL else None
        if repaired is not None and repaired.is_valid and _area_kept(g, repaired):
            geoms[i] = repaired
            fixed_mask[i] = True
        else:
            broken_mask[i] = True
            reasons.append(reason)
    if fixed_mask.any():
        problems.append(
            _flagged("validate.geometry_invalid_fixed", "fixed", labels, fixed_mask, params)
        )
    if broken_mask.any():
        problems.append(
            _flagged(
                "validate.geometry_invalid",
                "error",
                labels,
                broken_mask,
                {**params, "details": "; ".join(dict.fromkeys(reasons))[:500]},
            )
        )
    out = gdf.copy()
    out[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    return out, problems


def _area_kept(original: shapely.Geometry, repaired: shapely.Geometry) -> bool:
    """Whether a repair kept the shape the planner drew.

    The area of an invalid polygon is not meaningful (a bow-tie has area 0), so the
    repair is compared with the area enclosed by the noded outer rings.
    """
    if repaired.area <= 0:
        return False
    rings = [p.exterior for p in shapely.get_parts(original) if p.geom_type == "Polygon"]
    if not rings:
        return True
    noded = shapely.node(shapely.MultiLineString(rings))
    enclosed = shapely.polygonize(shapely.get_parts(noded))
    reference = shapely.union_all(shapely.get_parts(enclosed))
    return reference.is_empty or repaired.area >= 0.5 * reference.area


# --------------------------------------------------------------------------- coordinates

_CHINA_LON = (73.0, 136.0)
_CHINA_LAT = (3.0, 54.0)


def _within(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    return (values >= bounds[0]) & (values <= bounds[1])


def fix_axis_order(
    gdf: gpd.GeoDataFrame, labels: Sequence[str], *, geographic: bool | None
) -> tuple[gpd.GeoDataFrame, list[Problem], bool]:
    """Swap x/y where longitude and latitude (or easting and northing) were exchanged.

    Parameters
    ----------
    gdf
        Features in the source coordinates.
    labels
        Feature labels for examples.
    geographic
        True if the file declares degrees, False if it declares a projected system,
        None if it declares nothing.

    Returns
    -------
    gdf, problems, looks_projected
        Corrected features; problems (swaps are "fixed", coordinates out of range are
        errors); and whether the coordinates look projected (metres, not degrees).
    """
    if geographic is False or len(gdf) == 0:
        return gdf, [], geographic is False
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    present = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    if not present.any():
        return gdf, [], False
    bounds = shapely.bounds(geoms)  # minx, miny, maxx, maxy; NaN for empty
    with np.errstate(invalid="ignore"):
        finite = present & np.isfinite(bounds).all(axis=1)
        xs = np.abs(bounds[:, [0, 2]])
        ys = np.abs(bounds[:, [1, 3]])
        degrees = finite & (xs <= 180).all(axis=1) & (ys <= 90).all(axis=1)
        x_lat = _within(bounds[:, 0], _CHINA_LAT) & _within(bounds[:, 2], _CHINA_LAT)
        y_lon = _within(bounds[:, 1], _CHINA_LON) & _within(bounds[:, 3], _CHINA_LON)
        swapped_deg = finite & x_lat & y_lon
        big = finite & ~degrees & ~swapped_deg
    problems: list[Problem] = []
    swap = np.zeros(len(geoms), dtype=bool)
    n_finite = int(finite.sum())
    looks_projected = False

    if (degrees | swapped_deg)[finite].sum() >= 0.5 * n_finite:
        # Degrees: rows whose lon/lat are exchanged, and rows out of any valid range.
        swap = swapped_deg
        if swap.any():
            problems.append(
                Problem(
                    "validate.lonlat_swapped",
                    "fixed",
                    count=int(swap.sum()),
                    examples=() if swap[finite].all() else _examples(labels, swap),
                    params={"total": n_finite},
                )
            )
        if big.any():
            problems.append(_flagged("validate.coords_out_of_range", "error", labels, big))
    else:
        looks_projected = True
        # Chinese survey tables call the northing X and the easting Y.
        with np.errstate(invalid="ignore"):
            x_north = (bounds[:, 0] >= 2.0e5) & (bounds[:, 2] <= 6.2e6)
            y_east = ((bounds[:, 1] >= 1.0e5) & (bounds[:, 3] <= 9.0e5)) | (
                (bounds[:, 1] >= 1.3e7) & (bounds[:, 3] <= 4.6e7)
            )
            x_east_ok = (bounds[:, 2] <= 9.0e5) | (bounds[:, 0] >= 1.3e7)
        candidate = finite & x_north & y_east & ~(x_east_ok & (bounds[:, 1] >= 2.0e6))
        if candidate[finite].all():
            swap = candidate
            problems.append(Problem("validate.xy_swapped", "fixed", count=int(swap.sum())))
    if swap.any():
        geoms = geoms.copy()
        geoms[swap] = shapely.transform(geoms[swap], lambda c: c[:, ::-1])
        out = gdf.copy()
        out[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
        return out, problems, looks_projected
    return gdf, problems, looks_projected


def check_outside_region(
    gdf: gpd.GeoDataFrame,
    region: shapely.Geometry | None,
    *,
    level: str,
    labels: Sequence[str],
    tolerance_m: float = REGION_TOLERANCE_M,
) -> list[Problem]:
    """Features lying entirely outside the region (beyond ``tolerance_m``).

    Some features outside is a warning; all of them outside is an error, since it
    usually means the coordinates are in another system or belong to another city.
    """
    if region is None or region.is_empty or len(gdf) == 0:
        return []
    geoms = gdf.geometry
    present = ~(geoms.isna() | geoms.is_empty)
    if not present.any():
        return []
    local = local_metric_crs(region)
    region_m = gpd.GeoSeries([region], crs="EPSG:4326").to_crs(local).iloc[0]
    feats_m = geoms[present].to_crs(local)
    distance = feats_m.distance(region_m).to_numpy()
    outside = np.zeros(len(gdf), dtype=bool)
    outside[np.flatnonzero(present.to_numpy())] = distance > tolerance_m
    if not outside.any():
        return []
    params = {
        "level": level_term(level),
        "tolerance": round(tolerance_m / 1000, 1),
        "total": int(present.sum()),
    }
    if outside[present.to_numpy()].all():
        return [_flagged("validate.all_outside_region", "error", labels, outside, params)]
    return [_flagged("validate.outside_region", "warning", labels, outside, params)]


def check_at_sea(gdf: gpd.GeoDataFrame, *, level: str, labels: Sequence[str]) -> list[Problem]:
    """Point features that the land mask puts in the sea (a warning).

    A recycling site or a demand point in the sea is almost always a typo or a
    coordinate system mix-up (GCJ-02 shifts a harbour-side point ~500 m off the quay).
    Only points are checked: a polygon's coast is its own business.
    """
    geoms = gdf.geometry
    points = (geoms.geom_type == "Point").to_numpy() & ~geoms.is_empty.to_numpy()
    if not points.any():
        return []
    # Imported lazily: the mask takes seconds to load and only point layers need it.
    from planner.data.landmask import on_land

    xy = shapely.get_coordinates(geoms[points].to_numpy())
    wet = np.zeros(len(gdf), dtype=bool)
    wet[np.flatnonzero(points)] = ~on_land(xy[:, 0], xy[:, 1])
    if not wet.any():
        return []
    params = {"level": level_term(level), "total": int(points.sum())}
    return [_flagged("validate.at_sea", "warning", labels, wet, params)]
