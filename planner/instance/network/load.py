"""Road files loaded once per process, and road lines read for drawing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pyproj

from planner.data.crs import WGS84, to_wgs84
from planner.i18n import PlannerError
from planner.instance.network.graph import RoadNetwork
from planner.instance.network.lines import _LINE_FORMATS

__all__ = ["load_network", "read_road_lines"]


def read_road_lines(path: str | Path, crs: Any = None) -> gpd.GeoDataFrame:
    """The roads of a road file as lines in WGS84, for drawing (no routing graph).

    Road-line files are read as they are (no noding: fast); OSM XML and GraphML go
    through the graph (:meth:`RoadNetwork.lines`).
    """
    path = Path(path)
    if path.suffix.lower() in _LINE_FORMATS:
        from planner.data.io import read_vector

        gdf = read_vector(path, size_limit="road_mb", count_rows=False)
        if gdf.crs is None and crs is None:
            raise PlannerError("crs.missing")
        gdf = to_wgs84(gdf, source=crs)
        gdf = gdf[gdf.geometry.notna()]
        return gdf[gdf.geom_type.isin(["LineString", "MultiLineString"])][["geometry"]]
    return load_network(path, crs=crs).lines().to_crs(WGS84)[["highway", "geometry"]]


_LOADED: dict[tuple, RoadNetwork] = {}


def load_network(path: str | Path, metric_crs: Any = None, crs: Any = None) -> RoadNetwork:
    """:meth:`RoadNetwork.from_file`, remembered in this process (the last two files).

    Keyed by the file's path, size and modification time and the CRS arguments, so a
    replaced file is read again. Noding a city's road lines is the slow part of a
    network run; the app and repeated runs in one process pay it once.

    Parameters
    ----------
    path
        Road file (see :meth:`RoadNetwork.from_file`).
    metric_crs
        CRS for distances (the region's, so points and roads agree).
    crs
        The system road lines are really in, when the file does not say.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise PlannerError("network.read_failed", name=path.name, error=exc) from exc
    metric = pyproj.CRS.from_user_input(metric_crs).to_string() if metric_crs else None
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, metric, str(crs))
    if key not in _LOADED:
        net = RoadNetwork.from_file(path, crs=crs, metric_crs=metric_crs)
        while len(_LOADED) >= 2:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = net
    return _LOADED[key]
