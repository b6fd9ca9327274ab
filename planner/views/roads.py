"""A road network drawn over a web map, light enough for a city-wide view."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import shapely

from planner.views.layers import BASEMAP_SYSTEMS, for_display
from planner.views.style import ROAD_LINE
from planner.views.text import label

__all__ = ["ROAD_MAX_LINES", "ROAD_TOLERANCE_M", "add_road_layer", "road_display_lines"]


#: At most this many road pieces are drawn (the longest); more makes the page heavy.
ROAD_MAX_LINES = 10_000
#: Road lines are simplified to this tolerance (metres) for display.
ROAD_TOLERANCE_M = 20.0


def road_display_lines(
    lines: gpd.GeoDataFrame,
    metric_crs: str | None = None,
    max_lines: int = ROAD_MAX_LINES,
    tolerance_m: float = ROAD_TOLERANCE_M,
) -> tuple[gpd.GeoDataFrame, int]:
    """Road lines made light enough to draw: the longest ``max_lines``, simplified.

    Parameters
    ----------
    lines
        Road lines with a CRS (e.g. :meth:`planner.instance.network.RoadNetwork.lines` or a road
        file as read); other geometry types are ignored.
    metric_crs
        CRS in metres for lengths and simplification (default: UTM of the data).
    max_lines
        Keep at most this many pieces, longest first (short pieces add little to a
        city-wide view).
    tolerance_m
        Douglas-Peucker tolerance in metres.

    Returns
    -------
    (GeoDataFrame, int)
        One row per drawn line in WGS84 (coordinates rounded to ~1 m), and the number
        of lines there were.
    """
    from planner.data.crs import local_metric_crs

    if lines.crs is None:
        lines = lines.set_crs("EPSG:4326")
    shown = lines[lines.geometry.notna() & ~lines.geometry.is_empty]
    shown = shown[shown.geom_type.isin(["LineString", "MultiLineString"])]
    total = len(shown)
    if total == 0:
        return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326"), 0
    metric_crs = metric_crs or local_metric_crs(tuple(shown.to_crs(4326).total_bounds))
    geom = shown.geometry.to_crs(metric_crs).to_numpy()
    if total > max_lines:
        keep = np.argpartition(-shapely.length(geom), max_lines - 1)[:max_lines]
        geom = geom[np.sort(keep)]
    geom = shapely.simplify(geom, tolerance_m, preserve_topology=False)
    out = gpd.GeoSeries(geom, crs=metric_crs).to_crs(4326)
    out = shapely.transform(out.to_numpy(), lambda xy: np.round(xy, 5))
    return gpd.GeoDataFrame(geometry=out, crs="EPSG:4326"), total


def add_road_layer(
    fmap: folium.Map,
    lines: gpd.GeoDataFrame,
    lang: str = "zh",
    *,
    basemap: str = "none",
    metric_crs: str | None = None,
    max_lines: int = ROAD_MAX_LINES,
    tolerance_m: float = ROAD_TOLERANCE_M,
    total: int | None = None,
    show: bool = True,
) -> int:
    """Draw a road network on ``fmap`` as one light, toggleable layer.

    Big networks are limited and simplified first (:func:`road_display_lines`); the
    layer's name says when not every road is drawn. Pass lines already prepared by
    :func:`road_display_lines` together with their ``total`` to skip that step.

    Parameters
    ----------
    fmap
        The map (its layer control, added before or after, lists the layer).
    lines
        Road lines with a CRS.
    lang
        Language of the layer name.
    basemap
        Key of :data:`BASEMAPS`; lines are shifted for GCJ-02 tiles.
    metric_crs, max_lines, tolerance_m
        See :func:`road_display_lines`.
    total
        Number of lines before limiting, when ``lines`` are prepared already.
    show
        Whether the layer starts visible.

    Returns
    -------
    int
        Number of lines drawn.
    """
    if total is None:
        lines, total = road_display_lines(lines, metric_crs, max_lines, tolerance_m)
    if not len(lines):
        return 0
    shown = for_display(lines, BASEMAP_SYSTEMS.get(basemap))
    name = (
        label("term.road_network", lang)
        if len(shown) >= total
        else label("map.roads_limited", lang, shown=len(shown), total=total)
    )
    merged = shapely.multilinestrings(shapely.get_parts(shown.geometry.to_numpy()))
    folium.GeoJson(
        gpd.GeoDataFrame(geometry=[merged], crs="EPSG:4326"),
        name=name,
        style_function=lambda _: ROAD_LINE.leaflet(),
        show=show,
        interactive=False,
    ).add_to(fmap)
    return len(shown)
