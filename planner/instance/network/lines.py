"""Road files: the formats read, their size limit, and road lines noded into a graph.

Bureaus rarely hold a routable network. Plain road *lines* (GeoJSON, GeoPackage,
Shapefile, zipped Shapefile, KML) carry no topology: they are noded at every
intersection (``shapely.unary_union`` on a fixed grid) and become a
:class:`networkx.MultiDiGraph` in osmnx layout, two-way unless a ``oneway`` column
says otherwise.

Known limits
------------
Road lines carry no levels, so noding joins roads at every crossing, also where a
flyover or bridge passes over another road (expressways are excluded from walking,
which removes most such false junctions for stations). Lines whose ends miss another
line by more than the noding grid stay disconnected;
:meth:`~planner.instance.network.RoadNetwork.summary` reports the connected components.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from planner.instance.network.modes import _is_true, _road_class
from planner.limits import check_limit

__all__: list[str] = []

_CLASS_COLUMNS = ("highway", "fclass", "class", "road_class", "roadclass", "type", "kind",
                  "道路等级", "等级", "类型")  # fmt: skip
_ONEWAY_COLUMNS = ("oneway", "one_way", "单行", "单向")
_LINE_FORMATS = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".kml")


def _check_road_size(path: Path) -> None:
    """Refuse a road file over the ``road_mb`` limit before it is parsed.

    A missing file is left to the reader, which names it in its own message.
    """
    try:
        size = path.stat().st_size
    except OSError:
        return
    check_limit("road_mb", size / (1 << 20))


def _lines_to_graph(
    gdf: gpd.GeoDataFrame, class_col: str | None, oneway_col: str | None, grid: float
) -> nx.MultiDiGraph:
    """Node metric road lines with shapely and build a MultiDiGraph (osmnx layout)."""
    parts, src_idx = shapely.get_parts(gdf.geometry.values, return_index=True)
    parts = shapely.set_precision(parts, grid)
    ok = ~shapely.is_empty(parts) & (shapely.get_type_id(parts) == 1)
    parts, src_idx = parts[ok], src_idx[ok]
    # unary_union nodes every crossing and T-junction and dissolves overlapping copies
    # (county files overlap at their borders).
    noded = shapely.get_parts(shapely.unary_union(parts, grid_size=grid))
    noded = noded[(shapely.get_type_id(noded) == 1) & (shapely.length(noded) > 0)]
    # Attributes: each noded piece inherits those of the source line under its middle.
    mid = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    tree = shapely.STRtree(parts)
    (_, hit) = tree.query_nearest(mid, all_matches=False)
    origin = src_idx[hit]
    start = shapely.get_coordinates(shapely.get_point(noded, 0))
    end = shapely.get_coordinates(shapely.get_point(noded, -1))
    coords, inverse = np.unique(np.vstack([start, end]), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    u, v = inverse[: len(noded)], inverse[len(noded) :]
    keep = u != v  # a closed piece adds no route between distinct nodes
    noded, origin, u, v = noded[keep], origin[keep], u[keep], v[keep]
    lengths = shapely.length(noded)

    names = gdf["name"].to_numpy(dtype=object) if "name" in gdf.columns else None
    if class_col is not None:
        classes = [_road_class(c) for c in gdf[class_col].to_numpy(dtype=object)]
    elif names is not None:
        classes = ["motorway" if isinstance(n, str) and "高速" in n else None for n in names]
    else:
        classes = [None] * len(gdf)
    oneway = np.zeros(len(gdf), dtype=bool)
    if oneway_col is not None:
        oneway = np.array([_is_true(x) for x in gdf[oneway_col].to_numpy(dtype=object)])
    # One-way pieces must follow the source line's digitising direction, which
    # unary_union does not preserve.
    flip = np.zeros(len(noded), dtype=bool)
    one = np.flatnonzero(oneway[origin])
    if one.size:
        src_geom = gdf.geometry.to_numpy()[origin[one]]
        a = shapely.line_locate_point(src_geom, shapely.get_point(noded[one], 0))
        b = shapely.line_locate_point(src_geom, shapely.get_point(noded[one], -1))
        flip[one] = b < a

    graph = nx.MultiDiGraph()
    graph.add_nodes_from((i, {"x": float(x), "y": float(y)}) for i, (x, y) in enumerate(coords))
    edges = []
    for k in range(len(noded)):
        o = int(origin[k])
        geom, a, b = noded[k], int(u[k]), int(v[k])
        if flip[k]:
            geom, a, b = shapely.reverse(geom), b, a
        attrs: dict[str, Any] = {"length": float(lengths[k]), "geometry": geom, "oneway": False}
        if classes[o] is not None:
            attrs["highway"] = classes[o]
        if names is not None and isinstance(names[o], str):
            attrs["name"] = names[o]
        if oneway[o]:
            attrs["oneway"] = True
            edges.append((a, b, attrs))
        else:
            edges.append((a, b, {**attrs, "reversed": False}))
            edges.append((b, a, {**attrs, "geometry": shapely.reverse(geom), "reversed": True}))
    graph.add_edges_from(edges)
    graph.remove_nodes_from([n for n, deg in graph.degree() if deg == 0])
    return graph
