"""Layers read through GDAL (pyogrio): GeoJSON, GeoPackage, KML and Shapefiles.

GDAL's warnings about a file are not shown to the planner (its errors are, as
``io.*`` problems); a layer's stated feature count refuses a big layer before any frame
is built.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pyogrio

from planner.data.checks import Problem
from planner.data.io.sources import _check_rows, _pick
from planner.i18n import PlannerError
from planner.limits import limit


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """GDAL's runtime warnings silenced (what matters is raised or reported)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _ogr_error(exc: Exception, name: str) -> PlannerError:
    if isinstance(exc, UnicodeDecodeError):
        return PlannerError(
            "io.encoding_failed", name=name, tried=["utf-8", "GBK/GB18030"], error=str(exc)[:500]
        )
    return PlannerError("io.corrupt_file", name=name, error=f"{type(exc).__name__}: {exc}"[:500])


def _list_ogr_layers(path: Path, name: str) -> list[tuple[str, str | None]]:
    try:
        with _quiet():
            layers = pyogrio.list_layers(path)
    except Exception as exc:
        raise _ogr_error(exc, name) from exc
    return [(str(row[0]), None if row[1] is None else str(row[1])) for row in layers]


def _read_ogr(
    path: Path, name: str, *, layer: str | int | None, encoding: str | None, count_rows: bool
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    layers = _list_ogr_layers(path, name)
    notes: list[Problem] = []
    names = [n for n, _ in layers]
    spatial = [n for n, kind in layers if kind is not None]
    if layer is not None:
        chosen = names[_pick(layer, names, name)]
    elif not layers:
        raise PlannerError("io.empty_file", name=name)
    elif not spatial:
        raise PlannerError("io.no_geometry", name=name, examples=names)
    elif len(spatial) > 1:
        raise PlannerError("io.multiple_layers", name=name, examples=spatial, count=len(spatial))
    else:
        chosen = spatial[0]
        if len(layers) > 1:
            notes.append(Problem("io.layer_chosen", "fixed", params={"layer": chosen}))
    gdf = _read_dataframe(path, name, layer=chosen, encoding=encoding, count_rows=count_rows)
    return gdf, notes


def _feature_count(path: Path, layer: str | None) -> int | None:
    """Features of a layer as the file states them (None if the driver cannot tell)."""
    with contextlib.suppress(Exception), _quiet():
        count = pyogrio.read_info(path, layer=layer).get("features")
        return int(count) if count is not None and count >= 0 else None
    return None


def _read_dataframe(
    path: Path,
    name: str,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    count_rows: bool = True,
) -> gpd.GeoDataFrame:
    max_features = None
    if count_rows:
        # The stated count refuses a big layer before any frame is built; reading stops
        # after the limit in case the count was unknown or wrong.
        count = _feature_count(path, layer)
        if count is not None:
            _check_rows(count)
        max_features = int(limit("rows")) + 1
    try:
        with _quiet():
            frame = pyogrio.read_dataframe(
                path, layer=layer, encoding=encoding, max_features=max_features
            )
    except Exception as exc:
        raise _ogr_error(exc, name) from exc
    if count_rows:
        _check_rows(len(frame))
    if not isinstance(frame, gpd.GeoDataFrame):
        raise PlannerError("io.no_geometry", name=name, examples=[str(layer or name)])
    return frame
