"""The coordinate system of an imported layer: the planner's choice, else the file's
declaration, else detected; and the layer converted to WGS84.

When the coordinates cannot settle it, the report asks the planner
(``io.crs_ambiguous``, severity ``needs_input``, the candidate systems as examples).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from planner.data import crs as crs_mod
from planner.data.checks import Problem, Term
from planner.i18n import PlannerError


def _system_label(system: str) -> Term | str:
    """How a system is named in messages: its catalogue name, or its EPSG code and name."""
    if system in crs_mod.SYSTEM_KEYS:
        return Term(crs_mod.SYSTEM_KEYS[system])
    if system.upper().startswith("EPSG:"):
        with contextlib.suppress(pyproj.exceptions.CRSError):
            return f"{system.upper()}（{pyproj.CRS.from_user_input(system).name}）"
    return system


def _declared_system(crs: pyproj.CRS | None) -> str | None:
    """The canonical name of a declared CRS (its own name when it has no EPSG code)."""
    if crs is None:
        return None
    with contextlib.suppress(PlannerError):
        return crs_mod.normalise_system(crs)
    return crs.name


def _region_geometry(region: Any) -> shapely.Geometry | None:
    """The region as one WGS84 geometry (from a geometry, GeoSeries or GeoDataFrame)."""
    if region is None:
        return None
    if isinstance(region, (gpd.GeoDataFrame, gpd.GeoSeries)):
        series = region.geometry if isinstance(region, gpd.GeoDataFrame) else region
        if series.crs is not None and _declared_system(series.crs) != "wgs84":
            series = series.to_crs("EPSG:4326")
        geoms = series.dropna()
        return shapely.union_all(geoms.to_numpy()) if len(geoms) else None
    if isinstance(region, shapely.Geometry):
        return None if region.is_empty else region
    return None


def _reference(
    region: shapely.Geometry | None, parents: Mapping[str, gpd.GeoDataFrame] | None
) -> gpd.GeoDataFrame | None:
    """The polygons that tell coordinate systems apart: the region, else the loaded
    counties or townships."""
    if region is not None and region.geom_type in ("Polygon", "MultiPolygon"):
        return gpd.GeoDataFrame(geometry=[region], crs="EPSG:4326")
    for level in ("counties", "townships"):
        layer = (parents or {}).get(level)
        if (
            isinstance(layer, gpd.GeoDataFrame)
            and layer.crs is not None
            and len(layer)
            and layer.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).any()
        ):
            return layer[[layer.geometry.name]]
    return None


def _lonlat_bounds(gdf: gpd.GeoDataFrame) -> bool:
    """Whether the layer's coordinates can be longitude/latitude (an empty one can)."""
    bounds = gdf.total_bounds
    if np.isnan(bounds).all():
        return True
    return bool(bounds[0] >= -180 and bounds[2] <= 180 and bounds[1] >= -90 and bounds[3] <= 90)


def _doubted_choice(
    gdf: gpd.GeoDataFrame, system: str, reference: gpd.GeoDataFrame | None
) -> list[Problem]:
    """A warning when points the planner says are WGS84 fit the region as GCJ-02 or BD-09.

    Amap and Tencent coordinates (GCJ-02) are often taken for GPS ones. The check is the
    one a file declaring WGS84 gets (:func:`planner.data.crs.detect_coordinate_system`
    against the region): only points near the region's edge tell the systems apart, so
    it speaks only when several of them do; the planner's choice is kept either way.
    """
    geoms = gdf.geometry
    present = geoms[~(geoms.isna() | geoms.is_empty)]
    if (
        system not in ("wgs84", "cgcs2000")
        or reference is None
        or not len(present)
        or not (present.geom_type == "Point").all()
        or not _lonlat_bounds(gdf)
    ):
        return []
    points = gpd.GeoDataFrame(geometry=present.to_numpy(), crs="EPSG:4326")
    detection = crs_mod.detect_coordinate_system(points, reference)
    if detection.reason != "crs.detect.declared_contradicted":
        return []
    region = shapely.union_all(reference.to_crs("EPSG:4326").geometry.to_numpy())
    lon, lat = shapely.get_coordinates(points.geometry.to_numpy()).T
    unshifted = {"gcj02": crs_mod.gcj02_to_wgs84, "bd09": crs_mod.bd09_to_wgs84}
    true_lon, true_lat = unshifted[str(detection.system)](lon, lat)
    return [
        Problem(
            "io.crs_choice_doubted",
            "warning",
            params={
                "chosen": _system_label(system),
                "system": _system_label(str(detection.system)),
                "inside": int(shapely.intersects_xy(region, true_lon, true_lat).sum()),
                "total": len(lon),
                "chosen_inside": int(shapely.intersects_xy(region, lon, lat).sum()),
            },
        )
    ]


def _resolve_crs(
    gdf: gpd.GeoDataFrame,
    coordinate_system: Any,
    reference: gpd.GeoDataFrame | None,
) -> tuple[gpd.GeoDataFrame | None, str | None, list[Problem]]:
    """Convert ``gdf`` to WGS84: the planner's system, else the declared one, else detected."""
    problems: list[Problem] = []
    declared = _declared_system(gdf.crs)
    try:
        if coordinate_system not in (None, ""):
            system = crs_mod.normalise_system(coordinate_system)
            if (
                declared is not None
                and declared != system
                and {declared, system} != {"wgs84", "cgcs2000"}
            ):
                problems.append(
                    Problem(
                        "io.crs_overridden",
                        "warning",
                        params={
                            "declared": _system_label(declared),
                            "system": _system_label(system),
                        },
                    )
                )
            converted = crs_mod.to_wgs84(gdf, system)
            problems.extend(_doubted_choice(gdf, system, reference))
            return converted, system, problems
        if gdf.crs is not None and gdf.crs.is_geographic and not _lonlat_bounds(gdf):
            problems.append(
                Problem(
                    "io.crs_declared_wrong",
                    "warning",
                    params={"declared": _system_label(declared or "?")},
                )
            )
            gdf = gdf.set_crs(None, allow_override=True)
        detection = crs_mod.detect_coordinate_system(gdf, reference)
        reason = Term(detection.reason, detection.params)
        if detection.system is None:
            if gdf.crs is not None:  # a custom CRS without EPSG code: use as declared
                return crs_mod.to_wgs84(gdf), gdf.crs.name, problems
            candidates = list(detection.candidates)
            labels = [_system_label(c) for c in candidates[:6]]
            # "(N possibilities, e.g. …)", "(possibly …)" for one, nothing for none
            choices = "io.crs_choices" if len(candidates) > 1 else "io.crs_choice"
            problems.append(
                Problem(
                    "io.crs_ambiguous",
                    "needs_input",
                    count=max(len(candidates), 1),
                    examples=tuple(candidates),
                    params={
                        "choices": Term(choices, {"count": len(candidates), "candidates": labels})
                        if candidates
                        else "",
                        "reason": reason,
                    },
                )
            )
            return None, None, problems
        if detection.reason == "crs.detect.declared":
            pass
        elif detection.reason == "crs.detect.declared_contradicted":
            problems.append(
                Problem(
                    "io.crs_detected",
                    "warning",
                    params={"system": _system_label(detection.system), "reason": reason},
                )
            )
        else:
            problems.append(
                Problem(
                    "io.crs_detected",
                    "fixed",
                    params={"system": _system_label(detection.system), "reason": reason},
                )
            )
        return crs_mod.to_wgs84(gdf, detection.system), detection.system, problems
    except PlannerError as exc:
        problems.append(
            Problem(exc.key, "error", params={**exc.params})
            if exc.key != "crs.not_lonlat"
            else Problem(
                "io.crs_mismatch",
                "error",
                params={
                    "system": _system_label(str(exc.params.get("system", "?"))),
                    "bounds": exc.params.get("bounds", ""),
                },
            )
        )
    except Exception as exc:
        problems.append(
            Problem(
                "io.crs_failed", "error", params={"details": f"{type(exc).__name__}: {exc}"[:500]}
            )
        )
    return None, None, problems


# --------------------------------------------------------------------------- attribute rules
