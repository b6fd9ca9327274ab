"""Road-network distances: load a road network offline, snap points, sparse costs.

A planner rarely has a routable network in hand. This module accepts what bureaus
actually hold and turns it into sparse demand x site costs the siting models use:

* OSM XML (``.osm``) via :func:`osmnx.graph_from_xml`, GraphML via
  :func:`osmnx.load_graphml`;
* plain road *lines* (GeoJSON, GeoPackage, Shapefile, zipped Shapefile) without any
  topology: they are noded at every intersection (``shapely.unary_union`` on a fixed
  grid) and become a :class:`networkx.MultiDiGraph`, two-way unless a ``oneway``
  column says otherwise;
* optionally an OSM download for a boundary (:func:`download_network`), only when
  explicitly asked, cached under ``$PLANNER_HOME/networks`` and refused quickly
  (``network.offline``) without a connection.

Every graph is held in a metric CRS (UTM of its centre unless told otherwise) with
edge ``length`` in metres; demand and site coordinates must be in the same CRS
(:attr:`RoadNetwork.crs`).

Modes
-----
``"walk"``
    Length in metres, every road two-way, motorways excluded (stations: residents
    walk to them).
``"drive"``
    Length in metres on the directed graph (one-way streets respected), footways
    excluded.
``"drive_time"``
    Travel time in **seconds** with speeds by road class (OSM ``highway``; the
    ``maxspeed`` tag where present, osmnx's imputation) for station -> centre haulage.

Snapping
--------
Each point goes to the nearest point of the nearest usable edge (not merely the
nearest node: rural edges are kilometres long). The straight-line snap distance is
added to the cost at both ends and reported; points farther than ``max_snap_m``
(default 500 m) from any road are flagged ``too_far`` (still connected, so a plan
exists, but the planner is told).

Algorithm: bounded multi-source Dijkstra on a CSR graph
------------------------------------------------------
The road graph is turned once into a :mod:`scipy.sparse` CSR adjacency and
*augmented* with one virtual node per demand point (out-edges only, to the two ends
of its edge, weight = snap + part of the edge) and one per site (in-edges only), plus
a direct demand -> site edge when both sit on the same road edge. Virtual demand
nodes have no in-edges and site nodes no out-edges, so no path runs *through* them,
and the distance between two virtual nodes is exactly "snap + along the road +
snap". :func:`scipy.sparse.csgraph.dijkstra` with ``indices`` = the demand nodes
and ``limit`` = the cutoff then gives every pair within the cutoff and nothing else.

Direct connectors
-----------------
The walk to the road is a straight line, so two points closer to each other than
the sum of their distances to the road are joined by a direct straight edge (at most
``direct_max_m``, default 2 km): a community and a station candidate on the same
spot cost 0, not twice the distance to the nearest mapped road. Points near roads are
never joined across a river this way (the bridge case): 110 m apart but 5 m from
their roads, they still go round by the bridge.

Why scipy and not ``networkx.single_source_dijkstra_path_length(cutoff=...)``:
both are bounded, but the networkx search is a Python heap loop with dict
lookups, about 50-100x slower per settled node; at city scale (thousands of
sources, each settling thousands of nodes within 2 km) that is minutes versus
seconds. The price of scipy is a dense ``(chunk, n_nodes)`` output per batch of
sources; sources are processed in batches capped at ~64 MB, and only the site
columns are kept. Exact nearest-open-site queries (:meth:`NetworkSource.nearest`)
are a *single* multi-source Dijkstra on the reversed graph from the open sites
(``min_only=True``), never a matrix.

Known limits
------------
Road lines carry no levels, so noding joins roads at every crossing, also where a
flyover or bridge passes over another road (expressways are excluded from walking,
which removes most such false junctions for stations). Lines whose ends miss another
line by more than the noding grid stay disconnected; :meth:`RoadNetwork.summary`
reports the connected components.
"""

from __future__ import annotations

import hashlib
import math
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components, dijkstra

from planner.data.crs import WGS84, local_metric_crs, to_wgs84
from planner.i18n import PlannerError
from planner.instance.distance import CostMatrix, FallbackSource, PointSource, SiteDistanceSource
from planner.limits import check_limit

__all__ = [
    "FAR_FROM_ROAD_M",
    "MIN_COMPONENT_SHARE",
    "MODES",
    "OFF_NETWORK_M",
    "NetworkSource",
    "RoadDistances",
    "RoadNetwork",
    "Snap",
    "download_network",
    "is_online",
    "load_network",
    "network_cost_matrix",
    "network_source",
    "read_road_lines",
    "road_distances",
]


MODES: tuple[str, ...] = ("walk", "drive", "drive_time")

#: Default speeds (km/h) by road class, used when an edge has no ``maxspeed``.
#: OSM ``highway`` values plus common Chinese class names (道路等级).
CLASS_SPEEDS_KPH: dict[str, float] = {
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 70.0,
    "trunk_link": 40.0,
    "primary": 50.0,
    "primary_link": 35.0,
    "secondary": 40.0,
    "secondary_link": 30.0,
    "tertiary": 35.0,
    "tertiary_link": 25.0,
    "unclassified": 30.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 30.0,
    "track": 15.0,
}
#: Speed for roads without a usable class (km/h).
FALLBACK_SPEED_KPH = 30.0
#: Speed on the straight connector from a point to the road in ``drive_time`` (km/h).
ACCESS_SPEED_KPH = 15.0
#: Chinese class names -> OSM classes (substring match, first hit wins).
_CN_CLASSES: tuple[tuple[str, str], ...] = (
    ("高速", "motorway"),
    ("快速", "trunk"),
    ("国道", "trunk"),
    ("主干", "primary"),
    ("省道", "primary"),
    ("次干", "secondary"),
    ("县道", "secondary"),
    ("乡道", "tertiary"),
    ("支路", "residential"),
    ("村道", "unclassified"),
)
_NO_WALK = frozenset({"motorway", "motorway_link"})
_NO_DRIVE = frozenset(
    {"footway", "pedestrian", "path", "steps", "cycleway", "bridleway", "corridor", "elevator"}
)
_CLASS_COLUMNS = ("highway", "fclass", "class", "road_class", "roadclass", "type", "kind",
                  "道路等级", "等级", "类型")  # fmt: skip
_ONEWAY_COLUMNS = ("oneway", "one_way", "单行", "单向")
_TRUE = frozenset({"yes", "true", "1", "t", "y", "是", "单行", "单向"})
_LINE_FORMATS = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".kml")
_DEFAULT_MAX_SNAP_M = 500.0
#: Longest direct straight connector between a point and a site (see module docstring).
DIRECT_MAX_M = 2000.0
#: Points farther than this (metres) from a road are reported as far from a road.
FAR_FROM_ROAD_M = _DEFAULT_MAX_SNAP_M
#: Points farther than this (metres) from the road network, or that reach no site
#: along it, are costed as straight line × circuity instead (see :func:`road_distances`).
OFF_NETWORK_M = 2000.0
#: Snap only onto parts of the network holding at least this share of its road length.
MIN_COMPONENT_SHARE = 0.01
#: Speed (km/h) that turns a straight-line fallback into seconds in ``drive_time``.
STRAIGHT_SPEED_KPH = 30.0
_BATCH_BYTES = 64e6  # dense Dijkstra output per batch of sources


def _check_mode(mode: str) -> str:
    if mode not in MODES:
        raise PlannerError("network.bad_mode", mode=mode, modes=", ".join(MODES))
    return mode


def _points(xy: Any, what: str) -> np.ndarray:
    arr = np.asarray(xy, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2 or not np.all(np.isfinite(arr)):
        raise PlannerError("network.bad_points", what=what)
    return arr


def _road_class(value: Any) -> str | None:
    """Normalise an edge's class: first of a list, OSM value or mapped Chinese name."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if not text:
        return None
    low = text.lower()
    if low in CLASS_SPEEDS_KPH or low in _NO_DRIVE:
        return low
    for word, cls in _CN_CLASSES:
        if word in text:
            return cls
    return low


def _maxspeed(value: Any) -> float | None:
    if isinstance(value, list | tuple):
        speeds = [s for s in (_maxspeed(v) for v in value) if s is not None]
        return float(np.mean(speeds)) if speeds else None
    if value is None:
        return None
    text = str(value).strip().lower()
    factor = 1.609344 if "mph" in text else 1.0
    digits = "".join(ch for ch in text if ch.isdigit() or ch == ".")
    try:
        speed = float(digits) * factor
    except ValueError:
        return None
    return speed if speed > 0 else None


def _edge_speed_kph(data: dict) -> float:
    for key in ("speed_kph", "maxspeed"):
        speed = _maxspeed(data.get(key))
        if speed is not None:
            return speed
    return CLASS_SPEEDS_KPH.get(_road_class(data.get("highway")) or "", FALLBACK_SPEED_KPH)


def _is_true(value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return str(value).strip().lower() in _TRUE


# --------------------------------------------------------------------------- snapping


@dataclass(frozen=True, eq=False)
class Snap:
    """Where points meet the road network.

    Attributes
    ----------
    node
        Per point, the graph node (osmnx node id) nearest along its snapped edge.
    edge
        Per point, ``(u, v, key)`` of the snapped edge, shape ``(n, 3)``.
    fraction
        Position of the snap point along the edge from ``u`` (0..1).
    xy
        The snap point on the road, metres.
    distance_m
        Straight-line distance from the point to the road (added to every cost).
    too_far
        ``distance_m > max_snap_m``.
    max_snap_m
        The threshold used.
    """

    node: np.ndarray
    edge: np.ndarray
    fraction: np.ndarray
    xy: np.ndarray
    distance_m: np.ndarray
    too_far: np.ndarray
    max_snap_m: float
    _row: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, np.int64))

    @property
    def n_too_far(self) -> int:
        return int(self.too_far.sum())

    def stats(self) -> dict[str, float]:
        """Summary of snap distances (metres) for reports and benchmarks."""
        d = self.distance_m
        if d.size == 0:
            return {"count": 0}
        return {
            "count": int(d.size),
            "mean_m": float(d.mean()),
            "median_m": float(np.median(d)),
            "p95_m": float(np.percentile(d, 95)),
            "max_m": float(d.max()),
            "too_far": self.n_too_far,
        }

    def warning(self) -> PlannerError | None:
        """A bilingual ``network.too_far`` message when some point is flagged."""
        if not self.too_far.any():
            return None
        far = np.flatnonzero(self.too_far)
        return PlannerError(
            "network.too_far",
            count=int(far.size),
            limit=self.max_snap_m,
            worst=float(self.distance_m[far].max()),
            example=int(far[0]),
        )


@dataclass(frozen=True, eq=False)
class _EdgeTable:
    """A mode's usable edges, one row per road piece (two-way pairs merged)."""

    u: np.ndarray  # node positions
    v: np.ndarray
    weight: np.ndarray  # metres or seconds, u -> v (and v -> u when two_way)
    length: np.ndarray  # metres
    two_way: np.ndarray
    geom: np.ndarray  # shapely LineStrings oriented u -> v
    key: np.ndarray  # (n, 3) original (u, v, key) ids
    n_nodes: int

    @cached_property
    def tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.geom)

    @cached_property
    def components(self) -> tuple[np.ndarray, np.ndarray]:
        """Per row, its (undirected) component; per component, its share of road length."""
        _, labels = connected_components(self.csr, directed=False)
        row_comp = labels[self.u]
        length = np.bincount(row_comp, weights=self.length)
        total = float(length.sum())
        return row_comp, length / total if total > 0 else length

    def main_rows(self, min_share: float) -> np.ndarray:
        """Rows in components holding at least ``min_share`` of the road length.

        The largest component always counts, so the result is never empty.
        """
        row_comp, share = self.components
        keep = share >= min_share
        keep[int(np.argmax(share))] = True
        return np.flatnonzero(keep[row_comp])

    def snap_tree(self, min_share: float) -> tuple[np.ndarray | None, shapely.STRtree]:
        """``(rows, tree)`` over the rows usable for snapping (all when ``min_share`` <= 0)."""
        if min_share <= 0:
            return None, self.tree
        cache = self.__dict__.setdefault("_snap_trees", {})
        if min_share not in cache:
            rows = self.main_rows(min_share)
            cache[min_share] = (rows, shapely.STRtree(self.geom[rows]))
        return cache[min_share]

    @cached_property
    def csr(self) -> sparse.csr_array:
        a = np.concatenate([self.u, self.v[self.two_way]])
        b = np.concatenate([self.v, self.u[self.two_way]])
        w = np.concatenate([self.weight, self.weight[self.two_way]])
        return _csr(a, b, w, self.n_nodes)


def _csr(a: np.ndarray, b: np.ndarray, w: np.ndarray, n: int) -> sparse.csr_array:
    """CSR adjacency keeping the cheapest of parallel edges and explicit zeros."""
    order = np.lexsort((w, b, a))
    a, b, w = a[order], b[order], w[order]
    first = np.ones(a.size, dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    a, b, w = a[first], b[first], w[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(a, minlength=n), out=indptr[1:])
    # Built directly from sorted arrays: no duplicate summing, stored zeros stay edges.
    return sparse.csr_array((w, b.astype(np.int32), indptr), shape=(n, n))


# --------------------------------------------------------------------------- network


class RoadNetwork:
    """A road graph in a metric CRS, ready for snapping and sparse distances.

    Parameters
    ----------
    graph
        :class:`networkx.MultiDiGraph` in osmnx layout: node attributes ``x``/``y`` in
        ``graph.graph["crs"]`` (a metric CRS), edge attribute ``length`` in metres,
        optional ``geometry``, ``highway``, ``maxspeed``, ``oneway``.

    Notes
    -----
    Build with :meth:`from_file`, :meth:`from_lines`, :meth:`from_graph` or
    :func:`download_network`. Costs: :meth:`cost_matrix`, :meth:`source`.
    """

    def __init__(self, graph: nx.MultiDiGraph) -> None:
        self.graph = graph
        self.crs = pyproj.CRS.from_user_input(graph.graph["crs"])
        self.node_ids = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
        self._pos = {int(n): i for i, n in enumerate(self.node_ids.tolist())}
        self.node_xy = np.array(
            [(d["x"], d["y"]) for _, d in graph.nodes(data=True)], dtype=np.float64
        ).reshape(-1, 2)
        self._tables: dict[str, _EdgeTable] = {}

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_graph(cls, graph: nx.MultiDiGraph, metric_crs: Any = None) -> RoadNetwork:
        """Wrap an osmnx-style graph, projecting it to ``metric_crs`` (default: UTM)."""
        import osmnx as ox

        crs = pyproj.CRS.from_user_input(graph.graph.get("crs", WGS84))
        if metric_crs is None and crs.is_geographic:
            xs = [d["x"] for _, d in graph.nodes(data=True)]
            ys = [d["y"] for _, d in graph.nodes(data=True)]
            if not xs:
                raise PlannerError("network.empty", mode="-")
            metric_crs = local_metric_crs((min(xs), min(ys), max(xs), max(ys)))
        if metric_crs is not None and pyproj.CRS.from_user_input(metric_crs) != crs:
            graph = ox.projection.project_graph(graph, to_crs=metric_crs)
        graph = nx.MultiDiGraph(graph)
        graph.graph["crs"] = pyproj.CRS.from_user_input(graph.graph["crs"]).to_string()
        for u, v, data in graph.edges(data=True):
            if "length" not in data or not np.isfinite(float(data["length"])):
                geom = data.get("geometry")
                if geom is None:
                    a, b = graph.nodes[u], graph.nodes[v]
                    data["length"] = math.hypot(a["x"] - b["x"], a["y"] - b["y"])
                else:
                    data["length"] = float(geom.length)
            else:
                data["length"] = float(data["length"])
        return cls(graph)

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        crs: Any = None,
        metric_crs: Any = None,
        layer: str | int | None = None,
        encoding: str | None = None,
        precision_m: float = 0.01,
    ) -> RoadNetwork:
        """Load a road network from a local file; never touches the internet.

        Parameters
        ----------
        path
            ``.osm`` (OSM XML), ``.graphml``, or road lines: ``.geojson``/``.json``,
            ``.gpkg``, ``.shp``, zipped Shapefile ``.zip``, ``.kml``.
        crs
            The system the road lines are really in when the file does not say or is
            wrong (any spelling :func:`planner.data.crs.normalise_system` accepts, e.g.
            ``"gcj02"``). Ignored for OSM XML (always WGS84) and GraphML.
        metric_crs
            CRS for distances (default: UTM zone of the data, as the pipeline uses).
        layer, encoding
            Passed to :func:`planner.data.io.read_vector` for road lines.
        precision_m
            Noding grid for road lines (metres).

        Raises
        ------
        PlannerError
            ``network.unsupported_format``, ``network.read_failed``,
            ``network.no_lines``, ``crs.missing`` (lines without a CRS and no ``crs``),
            ``limit.exceeded`` for a file over the ``road_mb`` limit (checked before
            reading it).
        """
        import osmnx as ox

        path = Path(path)
        suffix = path.suffix.lower()
        _check_road_size(path)
        if suffix in (".osm", ".xml"):
            try:
                graph = ox.graph_from_xml(path, bidirectional=False, retain_all=True)
            except Exception as exc:  # malformed XML, no ways, ...
                raise PlannerError("network.read_failed", name=path.name, error=exc) from exc
            return cls.from_graph(graph, metric_crs)
        if suffix == ".graphml":
            try:
                graph = ox.load_graphml(path)
            except Exception as exc:
                raise PlannerError("network.read_failed", name=path.name, error=exc) from exc
            return cls.from_graph(graph, metric_crs)
        if suffix not in _LINE_FORMATS:
            raise PlannerError("network.unsupported_format", name=path.name)
        from planner.data.io import read_vector

        gdf = read_vector(
            path, encoding=encoding, layer=layer, size_limit="road_mb", count_rows=False
        )
        return cls.from_lines(
            gdf, crs=crs, metric_crs=metric_crs, precision_m=precision_m, name=path.name
        )

    @classmethod
    def from_lines(
        cls,
        lines: gpd.GeoDataFrame,
        *,
        crs: Any = None,
        metric_crs: Any = None,
        class_column: str | None = None,
        oneway_column: str | None = None,
        precision_m: float = 0.01,
        name: str = "roads",
    ) -> RoadNetwork:
        """Node road lines at their intersections and build a routable graph.

        Parameters
        ----------
        lines
            LineString/MultiLineString features (other geometries are ignored).
        crs
            Real system of the coordinates (overrides ``lines.crs``; e.g. ``"gcj02"``).
        metric_crs
            CRS for distances (default: UTM of the data).
        class_column
            Road class column (OSM ``highway`` values or Chinese class names such as
            高速/国道/县道); default: the first of ``highway``, ``fclass``, ``class``,
            ``road_class``, ``type``, ``kind``, ``道路等级``, … present. Without one a
            ``name`` containing 高速 marks an expressway (not walkable).
        oneway_column
            Truthy (yes/true/1/是) = one-way in digitising direction; default: a column
            named ``oneway``/``单行``/… if present; otherwise every road is two-way.
        precision_m
            Coordinates are rounded to this grid before noding, so ends that coincide
            to within it join.
        """
        if lines.crs is None and crs is None:
            raise PlannerError("crs.missing")
        gdf = to_wgs84(lines, source=crs) if (crs is not None or lines.crs is not None) else lines
        gdf = gdf[gdf.geometry.notna()]
        gdf = gdf[gdf.geom_type.isin(["LineString", "MultiLineString"])]
        if gdf.empty:
            raise PlannerError("network.no_lines", name=name)
        if metric_crs is None:
            metric_crs = local_metric_crs(tuple(gdf.total_bounds))
        gdf = gdf.to_crs(metric_crs).reset_index(drop=True)
        class_column = class_column or next((c for c in _CLASS_COLUMNS if c in gdf.columns), None)
        oneway_column = oneway_column or next(
            (c for c in _ONEWAY_COLUMNS if c in gdf.columns), None
        )
        graph = _lines_to_graph(gdf, class_column, oneway_column, precision_m)
        if graph.number_of_edges() == 0:
            raise PlannerError("network.no_lines", name=name)
        graph.graph["crs"] = pyproj.CRS.from_user_input(metric_crs).to_string()
        return cls(graph)

    # ------------------------------------------------------------------ views

    @property
    def n_nodes(self) -> int:
        return int(self.graph.number_of_nodes())

    @property
    def n_edges(self) -> int:
        return int(self.graph.number_of_edges())

    def summary(self, mode: str = "walk") -> dict[str, float]:
        """Size and connectivity of the network as used in ``mode``."""
        table = self._table(mode)
        n_comp, labels = connected_components(table.csr, directed=False)
        used = np.zeros(table.n_nodes, dtype=bool)
        used[table.u] = used[table.v] = True
        sizes = np.bincount(labels[used], minlength=n_comp)
        sizes = sizes[sizes > 0]
        return {
            "nodes": self.n_nodes,
            "edges": self.n_edges,
            "road_km": float(table.length.sum() / 1000.0),
            "components": int(sizes.size),
            "largest_component_share": float(sizes.max() / max(used.sum(), 1)),
        }

    def known_speed_share(self) -> float:
        """Share of the drivable road length whose speed is known (class or maxspeed).

        Road lines without any class column give 0; OSM networks close to 1.
        """
        cached = self.__dict__.get("_speed_share")
        if cached is not None:
            return cached
        known = total = 0.0
        for _, _, data in self.graph.edges(data=True):
            cls = _road_class(data.get("highway"))
            if cls in _NO_DRIVE:
                continue
            length = float(data.get("length", 0.0))
            total += length
            has_speed = any(_maxspeed(data.get(k)) is not None for k in ("speed_kph", "maxspeed"))
            if has_speed or cls in CLASS_SPEEDS_KPH:
                known += length
        self._speed_share = known / total if total > 0 else 0.0
        return self._speed_share

    def lines(self) -> gpd.GeoDataFrame:
        """Every road piece once (two directions merged), in :attr:`crs`.

        Columns ``highway`` (class or ``None``) and ``length_m``; for drawing.
        """
        seen: set[tuple[int, int, float]] = set()
        geoms, classes, lengths = [], [], []
        xy = self.node_xy
        for u, v, data in self.graph.edges(data=True):
            a, b = self._pos[int(u)], self._pos[int(v)]
            length = round(float(data["length"]), 2)
            key = (min(a, b), max(a, b), length)
            if key in seen:
                continue
            seen.add(key)
            geom = data.get("geometry")
            geoms.append(geom if geom is not None else shapely.LineString([xy[a], xy[b]]))
            classes.append(_road_class(data.get("highway")))
            lengths.append(length)
        return gpd.GeoDataFrame(
            {"highway": classes, "length_m": np.asarray(lengths, dtype=float)},
            geometry=geoms,
            crs=self.crs,
        )

    def _table(self, mode: str) -> _EdgeTable:
        mode = _check_mode(mode)
        if mode not in self._tables:
            self._tables[mode] = _edge_table(self, mode)
        return self._tables[mode]

    # ------------------------------------------------------------------ snapping

    def snap(
        self,
        points_xy: Any,
        mode: str = "walk",
        max_snap_m: float = _DEFAULT_MAX_SNAP_M,
        min_component_share: float = 0.0,
    ) -> Snap:
        """Snap points (metres, :attr:`crs`) to the nearest point of the nearest usable road.

        Parameters
        ----------
        points_xy
            Coordinates in :attr:`crs`, shape ``(n, 2)``.
        mode
            Which roads are usable (see module docstring).
        max_snap_m
            Points farther than this are flagged ``too_far``.
        min_component_share
            Snap only onto road pieces whose connected part of the network holds at
            least this share of the road length (the largest part always counts).
            Unnoded line ends leave thousands of fragments in bureau road files; a
            point snapped onto one could reach nothing.

        Returns
        -------
        Snap
            Snapped edge, node, position, distance and ``too_far`` flags.
        """
        xy = _points(points_xy, "points")
        table = self._table(mode)
        pts = shapely.points(xy)
        if xy.shape[0] == 0:
            e = np.empty(0, np.int64)
            return Snap(e, np.empty((0, 3), np.int64), np.empty(0), np.empty((0, 2)),
                        np.empty(0), np.empty(0, bool), float(max_snap_m), e)  # fmt: skip
        # Nearest edge geometry (GEOS STRtree, the same query osmnx.distance.nearest_edges
        # runs, but built once per mode instead of once per call).
        rows, tree = table.snap_tree(float(min_component_share))
        (_, row), dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
        if rows is not None:
            row = rows[row]
        geom = table.geom[row]
        along = shapely.line_locate_point(geom, pts)
        glen = shapely.length(geom)
        frac = np.where(glen > 0, along / np.where(glen > 0, glen, 1.0), 0.0)
        frac = np.clip(frac, 0.0, 1.0)
        snapped = shapely.get_coordinates(shapely.line_interpolate_point(geom, along))
        node_pos = np.where(frac <= 0.5, table.u[row], table.v[row])
        return Snap(
            node=self.node_ids[node_pos],
            edge=table.key[row],
            fraction=frac,
            xy=snapped,
            distance_m=np.asarray(dist, dtype=np.float64),
            too_far=np.asarray(dist) > max_snap_m,
            max_snap_m=float(max_snap_m),
            _row=np.asarray(row, dtype=np.int64),
        )

    # ------------------------------------------------------------------ distances

    def source(
        self,
        demand_xy: Any,
        site_xy: Any,
        mode: str = "walk",
        *,
        max_snap_m: float = _DEFAULT_MAX_SNAP_M,
        access_speed_kph: float = ACCESS_SPEED_KPH,
        base_radius: float | None = None,
        min_component_share: float = 0.0,
        direct_max_m: float = DIRECT_MAX_M,
    ) -> NetworkSource:
        """Exact network distance oracle (:class:`planner.instance.distance.SiteDistanceSource`).

        See :meth:`NetworkSource.build` for the parameters.
        """
        return NetworkSource.build(
            self,
            demand_xy,
            site_xy,
            mode,
            max_snap_m=max_snap_m,
            access_speed_kph=access_speed_kph,
            base_radius=base_radius,
            min_component_share=min_component_share,
            direct_max_m=direct_max_m,
        )

    def cost_matrix(
        self,
        demand_xy: Any,
        site_xy: Any,
        cutoff: float | np.ndarray,
        mode: str = "walk",
        *,
        max_snap_m: float = _DEFAULT_MAX_SNAP_M,
        access_speed_kph: float = ACCESS_SPEED_KPH,
    ) -> CostMatrix:
        """Sparse network costs: every (demand, site) pair with cost <= ``cutoff``.

        Parameters
        ----------
        demand_xy, site_xy
            Coordinates in :attr:`crs` (metres), shape ``(n, 2)`` / ``(m, 2)``.
        cutoff
            Cost radius (metres; seconds in ``drive_time``), scalar or per demand
            point. It becomes each row's completeness ``radius``.
        mode
            ``"walk"``, ``"drive"`` or ``"drive_time"`` (see module docstring).

        Returns
        -------
        CostMatrix
            Rows complete up to ``cutoff``, with a :class:`NetworkSource` attached so
            the exact p-median can grow rows and query true nearest open sites.
            ``cm.source.demand_snap`` / ``site_snap`` report the snapping.
        """
        src = self.source(
            demand_xy,
            site_xy,
            mode,
            max_snap_m=max_snap_m,
            access_speed_kph=access_speed_kph,
            base_radius=float(np.max(cutoff)) if np.size(cutoff) else None,
        )
        n = src.n_demand
        rad = np.broadcast_to(np.asarray(cutoff, dtype=np.float64), (n,)).copy()
        if np.any(np.isnan(rad)) or np.any(rad < 0):
            raise PlannerError("model.negative_values", what="cutoff")
        rows, cols, dist = src.within(np.arange(n), rad)
        return CostMatrix.from_coo(rows, cols, dist, n, src.n_sites, radius=rad, source=src)


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


def _edge_table(net: RoadNetwork, mode: str) -> _EdgeTable:
    """Usable edges of ``mode`` with weights; two-way pairs become one row."""
    recs = []
    for u, v, k, data in net.graph.edges(keys=True, data=True):
        cls = _road_class(data.get("highway"))
        if (mode == "walk" and cls in _NO_WALK) or (mode != "walk" and cls in _NO_DRIVE):
            continue
        length = float(data["length"])
        weight = length
        if mode == "drive_time":
            weight = length / (_edge_speed_kph(data) / 3.6)
        recs.append((net._pos[u], net._pos[v], int(u), int(v), int(k), length, weight,
                     data.get("geometry")))  # fmt: skip
    if not recs:
        raise PlannerError("network.empty", mode=mode)
    df = pd.DataFrame(recs, columns=["u", "v", "uid", "vid", "key", "length", "weight", "geom"])
    geom = np.array(df.pop("geom").to_numpy(dtype=object), dtype=object)
    missing = pd.isna(geom)
    if missing.any():
        a = net.node_xy[df.loc[missing, "u"].to_numpy()]
        b = net.node_xy[df.loc[missing, "v"].to_numpy()]
        geom[missing] = shapely.linestrings(np.stack([a, b], axis=1))
    df["lo"] = np.minimum(df["u"], df["v"])
    df["hi"] = np.maximum(df["u"], df["v"])
    df["fwd"] = df["u"] == df["lo"]
    df["len_r"] = df["length"].round(3)
    # The same road piece in both directions has the same end nodes and length: it
    # becomes one two-way row (oriented lo -> hi); walking ignores one-way rules.
    grp = df.groupby(["lo", "hi", "len_r"], sort=False)
    has_fwd = grp["fwd"].transform("max").to_numpy(dtype=bool)
    has_bwd = ~grp["fwd"].transform("min").to_numpy(dtype=bool)
    df["two_way"] = (has_fwd & has_bwd) | (mode == "walk")
    df["w"] = grp["weight"].transform("min")
    first = ~df.duplicated(["lo", "hi", "len_r"]).to_numpy()
    df, geom = df[first], geom[first].copy()
    flip = (df["two_way"] & ~df["fwd"]).to_numpy(dtype=bool)
    if flip.any():
        geom[flip] = shapely.reverse(geom[flip])
    u = np.where(flip, df["v"], df["u"]).astype(np.int64)
    v = np.where(flip, df["u"], df["v"]).astype(np.int64)
    key = np.stack(
        [np.where(flip, df["vid"], df["uid"]), np.where(flip, df["uid"], df["vid"]), df["key"]],
        axis=1,
    ).astype(np.int64)
    return _EdgeTable(
        u=u,
        v=v,
        weight=df["w"].to_numpy(dtype=np.float64),
        length=df["length"].to_numpy(dtype=np.float64),
        two_way=df["two_way"].to_numpy(dtype=bool),
        geom=geom,
        key=key,
        n_nodes=len(net.node_ids),
    )


# --------------------------------------------------------------------------- oracle


@dataclass
class _Shared:
    """Augmented graph and per-row search cache shared by restricted views."""

    graph: sparse.csr_array
    reverse: sparse.csr_array
    n_road: int
    n_demand: int
    n_sites: int
    finite_bound: float  # any finite path cost is below this
    base_radius: float
    done: np.ndarray  # per demand row: radius its cached list is complete to
    sites: list = field(default_factory=list)  # per row: site indices by cost
    costs: list = field(default_factory=list)
    column_cache: dict = field(default_factory=dict)  # site -> costs from every row

    def fill_columns(self, sites: np.ndarray) -> None:
        """Cache the costs from every demand point to ``sites`` (reverse Dijkstra).

        One unbounded search per site on the reversed graph: cheap when sites are few
        (sorting-centre candidates, the open sites a heuristic prices).
        """
        sites = np.asarray([j for j in np.unique(sites).tolist() if j not in self.column_cache])
        if sites.size == 0:
            return
        n_all = self.graph.shape[0]
        batch = max(1, int(_BATCH_BYTES // (8 * n_all)))
        first_site = self.n_road + self.n_demand
        for s in range(0, sites.size, batch):
            chunk = sites[s : s + batch]
            dist = dijkstra(self.reverse, directed=True, indices=first_site + chunk)
            block = dist[:, self.n_road : first_site]
            for k, j in enumerate(chunk.tolist()):
                self.column_cache[j] = np.ascontiguousarray(block[k])

    def search(self, rows: np.ndarray, radius: np.ndarray) -> None:
        """Make the cache of ``rows`` complete up to ``radius`` (bounded Dijkstra)."""
        need = radius > self.done[rows]
        rows, radius = rows[need], radius[need]
        if rows.size == 0:
            return
        order = np.argsort(radius, kind="stable")
        rows, radius = rows[order], radius[order]
        n_all = self.graph.shape[0]
        batch = max(1, int(_BATCH_BYTES // (8 * n_all)))
        first_site = self.n_road + self.n_demand
        for s in range(0, rows.size, batch):
            r = rows[s : s + batch]
            limit = float(radius[s : s + batch].max())
            if limit >= self.finite_bound:
                limit = np.inf
            dist = dijkstra(self.graph, directed=True, indices=self.n_road + r, limit=limit)
            block = dist[:, first_site:]
            for k, i in enumerate(r.tolist()):
                row = block[k]
                hit = np.flatnonzero(np.isfinite(row) & (row <= limit))
                cost = row[hit]
                o = np.lexsort((hit, cost))
                self.sites[i] = hit[o]
                self.costs[i] = cost[o]
                self.done[i] = limit


@dataclass(frozen=True, eq=False)
class NetworkSource:
    """Exact road-network distance oracle (implements ``SiteDistanceSource``).

    Costs are metres (``walk``/``drive``) or seconds (``drive_time``) from each demand
    point to each site, snap connectors included. Built by :func:`network_source` or
    :meth:`RoadNetwork.source`; restricted views share the graph and search cache.

    Attributes
    ----------
    demand_snap, site_snap
        How the points met the road (distances, ``too_far`` flags).
    mode
        Distance mode.
    """

    shared: _Shared = field(repr=False)
    demand_snap: Snap = field(repr=False)
    site_snap: Snap = field(repr=False)
    mode: str
    allowed: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls,
        net: RoadNetwork,
        demand_xy: Any,
        site_xy: Any,
        mode: str = "walk",
        *,
        max_snap_m: float = _DEFAULT_MAX_SNAP_M,
        access_speed_kph: float = ACCESS_SPEED_KPH,
        base_radius: float | None = None,
        min_component_share: float = 0.0,
        direct_max_m: float = DIRECT_MAX_M,
    ) -> NetworkSource:
        """Snap both point sets and build the augmented search graph.

        ``min_component_share`` restricts snapping to the main parts of the network
        (see :meth:`RoadNetwork.snap`); ``direct_max_m`` caps the direct connectors
        (see module docstring; 0 = none).
        """
        mode = _check_mode(mode)
        dxy = _points(demand_xy, "demand")
        sxy = _points(site_xy, "site")
        table = net._table(mode)
        ds = net.snap(dxy, mode, max_snap_m, min_component_share)
        ss = net.snap(sxy, mode, max_snap_m, min_component_share)
        n_road, n, m = table.n_nodes, dxy.shape[0], sxy.shape[0]
        scale = 1.0 if mode != "drive_time" else 3.6 / access_speed_kph  # m -> s
        d_snap, s_snap = ds.distance_m * scale, ss.distance_m * scale
        a_parts, b_parts, w_parts = [table.u, table.v[table.two_way]], [], []
        b_parts = [table.v, table.u[table.two_way]]
        w_parts = [table.weight, table.weight[table.two_way]]

        def add(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> None:
            a_parts.append(np.asarray(a, np.int64))
            b_parts.append(np.asarray(b, np.int64))
            w_parts.append(np.asarray(w, np.float64))

        # Demand: out-edges to the edge's head (and tail when two-way).
        dr, dt = ds._row, ds.fraction
        dw = table.weight[dr]
        dnode = n_road + np.arange(n)
        add(dnode, table.v[dr], d_snap + (1 - dt) * dw)
        tw = table.two_way[dr]
        add(dnode[tw], table.u[dr][tw], d_snap[tw] + dt[tw] * dw[tw])
        # Sites: in-edges from the edge's tail (and head when two-way).
        sr, st = ss._row, ss.fraction
        sw = table.weight[sr]
        snode = n_road + n + np.arange(m)
        add(table.u[sr], snode, s_snap + st * sw)
        tw = table.two_way[sr]
        add(table.v[sr][tw], snode[tw], s_snap[tw] + (1 - st[tw]) * sw[tw])
        # Demand and site on the same road piece: straight along it.
        same = pd.merge(
            pd.DataFrame({"row": dr, "i": np.arange(n)}),
            pd.DataFrame({"row": sr, "j": np.arange(m)}),
            on="row",
        )
        if len(same):
            i, j, r = same["i"].to_numpy(), same["j"].to_numpy(), same["row"].to_numpy()
            delta = st[j] - dt[i]
            ok = (delta >= 0) | table.two_way[r]
            i, j, r, delta = i[ok], j[ok], r[ok], delta[ok]
            add(dnode[i], snode[j], d_snap[i] + np.abs(delta) * table.weight[r] + s_snap[j])
        # Closer to each other than to the road: a direct straight connector.
        if direct_max_m > 0 and n and m:
            i, j, dist = _direct_pairs(dxy, sxy, ds.distance_m, ss.distance_m, direct_max_m)
            add(dnode[i], snode[j], dist * scale)
        n_all = n_road + n + m
        a, b, w = np.concatenate(a_parts), np.concatenate(b_parts), np.concatenate(w_parts)
        graph = _csr(a, b, w, n_all)
        bound = float(table.weight.sum() + d_snap.max(initial=0) + s_snap.max(initial=0)) + 1.0
        default_base = 2000.0 if mode != "drive_time" else 300.0
        shared = _Shared(
            graph=graph,
            reverse=graph.T.tocsr(),
            n_road=n_road,
            n_demand=n,
            n_sites=m,
            finite_bound=bound * (1 + 1e-9),
            base_radius=float(base_radius) if base_radius else default_base,
            done=np.full(n, -1.0),
            sites=[np.empty(0, np.int64)] * n,
            costs=[np.empty(0)] * n,
        )
        return cls(shared, ds, ss, mode)

    # ------------------------------------------------------------------ protocol

    @property
    def n_demand(self) -> int:
        return self.shared.n_demand

    @property
    def n_sites(self) -> int:
        return self.shared.n_sites

    def _listed(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        sites, costs = self.shared.sites[i], self.shared.costs[i]
        if self.allowed is None:
            return sites, costs
        keep = self.allowed[sites]
        return sites[keep], costs[keep]

    def within(
        self, rows: np.ndarray, radius: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All allowed (row, site, cost) with cost <= ``radius[k]`` for ``rows[k]``."""
        rows = np.asarray(rows, dtype=np.int64)
        radius = np.broadcast_to(np.asarray(radius, dtype=np.float64), rows.shape)
        self.shared.search(rows, radius)
        out_r, out_c, out_d = [], [], []
        for i, rad in zip(rows.tolist(), radius.tolist(), strict=True):
            sites, costs = self._listed(i)
            k = int(np.searchsorted(costs, rad, side="right"))
            out_r.append(np.full(k, i, dtype=np.int64))
            out_c.append(sites[:k])
            out_d.append(costs[:k])
        if not out_r:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
        return np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_d)

    def kth_distance(self, rows: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Cost to the k-th nearest allowed site (1-based; ``inf`` if unreachable)."""
        rows = np.asarray(rows, dtype=np.int64)
        k = np.broadcast_to(np.asarray(k, dtype=np.int64), rows.shape)
        out = np.full(rows.shape, np.inf)
        todo = np.flatnonzero(k >= 1)
        sh = self.shared
        while todo.size:
            still = []
            for pos in todo.tolist():
                i = int(rows[pos])
                _, costs = self._listed(i)
                if costs.size >= k[pos]:
                    out[pos] = costs[k[pos] - 1]
                elif np.isfinite(sh.done[i]):
                    still.append(pos)
            todo = np.asarray(still, dtype=np.int64)
            if todo.size:
                # Double the search radius of the rows that have too few sites.
                grow = np.maximum(2 * sh.done[rows[todo]], sh.base_radius)
                grow = np.where(grow >= sh.finite_bound, np.inf, grow)
                sh.search(rows[todo], grow)
        return out

    def nearest(self, open_sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest open site and its cost for every demand point (one reverse Dijkstra)."""
        open_sites = np.asarray(open_sites, dtype=np.int64)
        n = self.n_demand
        if open_sites.size == 0:
            return np.full(n, -1), np.full(n, np.inf)
        sh = self.shared
        first_site = sh.n_road + sh.n_demand
        dist, _, src = dijkstra(
            sh.reverse,
            directed=True,
            indices=first_site + open_sites,
            min_only=True,
            return_predecessors=True,
        )
        d = dist[sh.n_road : first_site]
        s = src[sh.n_road : first_site].astype(np.int64)
        site = np.where(np.isfinite(d) & (s >= 0), s - first_site, -1)
        return site, np.where(site >= 0, d, np.inf)

    def columns(self, sites: np.ndarray) -> np.ndarray:
        """Dense ``(n_demand, len(sites))`` costs to a few ``sites`` (``inf``: disallowed
        or unreachable); one reverse Dijkstra per site, cached."""
        sites = np.asarray(sites, dtype=np.int64)
        sh = self.shared
        if sites.size == 0:
            return np.empty((self.n_demand, 0))
        sh.fill_columns(sites)
        out = np.column_stack([sh.column_cache[j] for j in sites.tolist()])
        if self.allowed is not None:
            out[:, ~self.allowed[sites]] = np.inf
        return out

    def complete_rows(self) -> None:
        """List every reachable site in every row (one reverse Dijkstra per site).

        With few sites (sorting-centre candidates: ~200 against ~1,500 stations) this
        is far cheaper than a growing search from each row, whose radius must reach
        tens of kilometres; afterwards every query is answered from the lists, and
        :meth:`columns`, :meth:`within` and :meth:`kth_distance` agree to the bit.
        """
        sh = self.shared
        sh.fill_columns(np.arange(sh.n_sites))
        if sh.n_sites == 0:
            sh.done[:] = np.inf
            return
        step = max(1, int(_BATCH_BYTES // (8 * sh.n_sites)))
        for lo in range(0, sh.n_demand, step):
            rows = np.arange(lo, min(lo + step, sh.n_demand))
            block = np.column_stack([sh.column_cache[j][rows] for j in range(sh.n_sites)])
            for k, i in enumerate(rows.tolist()):
                row = block[k]
                hit = np.flatnonzero(np.isfinite(row))
                cost = row[hit]
                o = np.lexsort((hit, cost))
                sh.sites[i] = hit[o]
                sh.costs[i] = cost[o]
        sh.done[:] = np.inf

    def restrict_sites(self, allowed: np.ndarray) -> NetworkSource:
        """The same oracle with only ``allowed`` sites usable (cache shared)."""
        allowed = np.asarray(allowed, dtype=bool)
        if self.allowed is not None:
            allowed = allowed & self.allowed
        return NetworkSource(self.shared, self.demand_snap, self.site_snap, self.mode, allowed)


def _direct_pairs(
    dxy: np.ndarray, sxy: np.ndarray, d_snap: np.ndarray, s_snap: np.ndarray, cap: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs with ``|d - s| <= min(d_snap + s_snap, cap)`` and their straight distance.

    Such a pair is within twice the larger snap of either point, so two ball queries
    (from the demand side and from the site side) find every one.
    """
    from scipy.spatial import cKDTree

    parts_i, parts_j = [], []
    for src, dst, snap, flip in ((dxy, sxy, d_snap, False), (sxy, dxy, s_snap, True)):
        radius = np.minimum(2.0 * snap, cap)
        hits = cKDTree(dst).query_ball_point(src, r=radius)
        counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
        if counts.sum() == 0:
            continue
        a = np.repeat(np.arange(len(src)), counts)
        b = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits if len(h)])
        parts_i.append(b if flip else a)
        parts_j.append(a if flip else b)
    if not parts_i:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    key = np.unique(np.concatenate(parts_i) * len(sxy) + np.concatenate(parts_j))
    i, j = key // len(sxy), key % len(sxy)
    dist = np.hypot(*(dxy[i] - sxy[j]).T)
    ok = (dist <= d_snap[i] + s_snap[j]) & (dist <= cap)
    return i[ok], j[ok], dist[ok]


def network_source(
    network: RoadNetwork, demand_xy: Any, site_xy: Any, mode: str = "walk", **kwargs: Any
) -> NetworkSource:
    """Distance oracle on ``network``; see :meth:`RoadNetwork.source`."""
    return network.source(demand_xy, site_xy, mode, **kwargs)


def network_cost_matrix(
    network: RoadNetwork,
    demand_xy: Any,
    site_xy: Any,
    cutoff: float | np.ndarray,
    mode: str = "walk",
    **kwargs: Any,
) -> CostMatrix:
    """Sparse network costs; see :meth:`RoadNetwork.cost_matrix`."""
    return network.cost_matrix(demand_xy, site_xy, cutoff, mode, **kwargs)


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True, eq=False)
class RoadDistances:
    """Road distances for a planning tier, with the off-network fallback applied.

    Built by :func:`road_distances`. :attr:`source` is what the siting models use: a
    :class:`~planner.instance.distance.FallbackSource` whose network rows come from
    :attr:`network` and whose off-network rows are straight line × circuity.

    Attributes
    ----------
    source
        Distance oracle for the models (metres; seconds in ``drive_time``).
    network
        The road-network oracle alone.
    mode
        ``walk``, ``drive`` or ``drive_time``.
    circuity
        Factor of the straight-line fallback.
    fallback
        Per demand row: costed as straight line × circuity.
    unreachable
        Per demand row: near a road but reaching no site along the network (these
        rows are also in :attr:`fallback`).
    demand_snap_m, site_snap_m
        Straight-line distance of each point to the road network (main parts only).
    far_m, off_network_m
        The thresholds used.
    seconds
        Time taken to snap, build the search graph and check reachability.
    """

    source: SiteDistanceSource
    network: NetworkSource
    mode: str
    circuity: float
    fallback: np.ndarray
    unreachable: np.ndarray
    demand_snap_m: np.ndarray
    site_snap_m: np.ndarray
    far_m: float
    off_network_m: float
    seconds: float

    @property
    def far(self) -> np.ndarray:
        """Demand rows on the network but farther than :attr:`far_m` from a road."""
        return ~self.fallback & (self.demand_snap_m > self.far_m)

    @property
    def site_far(self) -> np.ndarray:
        """Sites farther than :attr:`far_m` from a road (their access is costed)."""
        return self.site_snap_m > self.far_m

    def summary(self) -> dict[str, Any]:
        """Counts and snap statistics for reports (JSON-ready)."""

        def stats(d: np.ndarray) -> dict[str, float]:
            if d.size == 0:
                return {}
            return {
                "median_m": round(float(np.median(d)), 1),
                "p95_m": round(float(np.percentile(d, 95)), 1),
                "max_m": round(float(d.max()), 1),
            }

        return {
            "mode": self.mode,
            "points": int(self.fallback.size),
            "fallback": int(self.fallback.sum()),
            "unreachable": int(self.unreachable.sum()),
            "far_from_road": int(self.far.sum()),
            "sites": int(self.site_snap_m.size),
            "sites_far_from_road": int(self.site_far.sum()),
            "sites_off_network": int((self.site_snap_m > self.off_network_m).sum()),
            "far_m": self.far_m,
            "off_network_m": self.off_network_m,
            "snap": stats(self.demand_snap_m),
            "site_snap": stats(self.site_snap_m),
            "seconds": round(self.seconds, 3),
        }


def road_distances(
    net: RoadNetwork,
    demand_xy: Any,
    site_xy: Any,
    mode: str = "walk",
    *,
    circuity: float = 1.3,
    far_m: float = FAR_FROM_ROAD_M,
    off_network_m: float = OFF_NETWORK_M,
    min_component_share: float = MIN_COMPONENT_SHARE,
    complete: bool = False,
    base_radius: float | None = None,
) -> RoadDistances:
    """Road distances with the planner's policy for points off the network.

    Policy
    ------
    * Points snap to the nearest road of the *main* parts of the network (parts with
      at least ``min_component_share`` of the road length): fragments left by unnoded
      line ends would otherwise trap a point.
    * A demand point more than ``off_network_m`` from that network, or one from which
      no site can be reached along it, is costed as straight line × ``circuity`` to
      every site (a fallback, flagged and counted: its row mixes no metrics).
    * Between ``far_m`` and ``off_network_m`` the point stays on the network and its
      straight walk to the road is part of every cost; it is counted as far.
    * Sites are never dropped: a site far from the road is reached along the road
      plus its access leg, and directly by fallback rows.

    Parameters
    ----------
    net
        The road network; coordinates are in its CRS (metres).
    demand_xy, site_xy
        ``(n, 2)`` and ``(m, 2)`` coordinates.
    mode
        ``walk``, ``drive`` or ``drive_time`` (seconds; the fallback then runs at
        :data:`STRAIGHT_SPEED_KPH`).
    complete
        List every reachable site for every row up front (few sites, e.g. sorting
        centres; see :meth:`NetworkSource.complete_rows`).
    base_radius
        First search radius of growing queries.

    Returns
    -------
    RoadDistances
    """
    t0 = time.perf_counter()
    mode = _check_mode(mode)
    dxy = _points(demand_xy, "demand")
    sxy = _points(site_xy, "site")
    network = net.source(
        dxy,
        sxy,
        mode,
        max_snap_m=far_m,
        base_radius=base_radius,
        min_component_share=min_component_share,
    )
    if complete:
        network.complete_rows()
    d_snap = network.demand_snap.distance_m
    fallback = d_snap > off_network_m
    unreachable = np.zeros(dxy.shape[0], dtype=bool)
    rows = np.flatnonzero(~fallback)
    if rows.size and sxy.shape[0]:
        unreachable[rows] = np.isinf(network.kth_distance(rows, np.ones(rows.size, np.int64)))
    fallback |= unreachable
    scale = 3.6 / STRAIGHT_SPEED_KPH if mode == "drive_time" else 1.0
    straight = PointSource(dxy, sxy, circuity * scale)
    source: SiteDistanceSource = (
        FallbackSource(network, straight, fallback) if fallback.any() else network
    )
    return RoadDistances(
        source=source,
        network=network,
        mode=mode,
        circuity=float(circuity),
        fallback=fallback,
        unreachable=unreachable,
        demand_snap_m=d_snap,
        site_snap_m=network.site_snap.distance_m,
        far_m=float(far_m),
        off_network_m=float(off_network_m),
        seconds=time.perf_counter() - t0,
    )


def _check_road_size(path: Path) -> None:
    """Refuse a road file over the ``road_mb`` limit before it is parsed.

    A missing file is left to the reader, which names it in its own message.
    """
    try:
        size = path.stat().st_size
    except OSError:
        return
    check_limit("road_mb", size / (1 << 20))


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
    replaced file is read again. Building the Wenzhou road lines takes ~10 s; the app
    and repeated runs in one process pay it once.

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


# --------------------------------------------------------------------------- download


def _overpass_host() -> str:
    try:
        import osmnx as ox

        return urlparse(ox.settings.overpass_url).hostname or "overpass-api.de"
    except Exception:
        return "overpass-api.de"


def is_online(host: str | None = None, port: int = 443, timeout: float = 2.0) -> bool:
    """Whether ``host`` (default: the Overpass server) accepts a TCP connection quickly.

    The whole probe, name lookup included, is bounded by ``timeout``: the resolver's
    own time-outs do not apply (``getaddrinfo`` ignores socket time-outs and can wait
    many seconds on a machine without DNS), so the check runs in a daemon thread.
    """
    host = host or _overpass_host()
    answer: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                answer.append(True)
        except OSError:
            answer.append(False)

    thread = threading.Thread(target=probe, name="planner-online-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(answer and answer[0])


def network_cache_dir() -> Path:
    """Folder of downloaded networks (``$PLANNER_HOME/networks``)."""
    home = Path(os.environ.get("PLANNER_HOME", Path.home() / ".recycling-planner"))
    return home / "networks"


def download_network(
    boundary: shapely.Geometry,
    network_type: str = "all",
    *,
    metric_crs: Any = None,
    refresh: bool = False,
    online: Callable[[], bool] | None = None,
    timeout_s: float = 180.0,
) -> RoadNetwork:
    """Download the OSM road network inside ``boundary`` (WGS84), cached on disk.

    Only runs when called explicitly. A cached copy under
    ``$PLANNER_HOME/networks/<hash>.graphml`` is used without any connection.

    Parameters
    ----------
    boundary
        Polygon or MultiPolygon in WGS84 lon/lat (e.g. ``region.boundary()``).
    network_type
        osmnx network type: ``"all"``, ``"drive"``, ``"walk"``, …
    refresh
        Download again even when cached.
    online
        Connectivity check (default :func:`is_online`, a 2-second TCP probe).
    timeout_s
        Overpass request timeout.

    Raises
    ------
    PlannerError
        ``network.offline`` at once when the check fails; ``network.download_failed``
        when the download itself fails.
    """
    key = hashlib.sha256(f"{network_type}|{shapely.to_wkt(boundary, 6)}".encode()).hexdigest()
    cache = network_cache_dir() / f"{network_type}-{key[:16]}.graphml"
    if cache.exists() and not refresh:
        return RoadNetwork.from_file(cache, metric_crs=metric_crs)
    check = online or is_online
    if not check():
        raise PlannerError("network.offline", host=_overpass_host())
    import osmnx as ox

    old_timeout, old_cache = ox.settings.requests_timeout, ox.settings.use_cache
    ox.settings.requests_timeout = timeout_s
    ox.settings.use_cache = False
    t0 = time.monotonic()
    try:
        graph = ox.graph_from_polygon(boundary, network_type=network_type, retain_all=True)
    except Exception as exc:
        raise PlannerError(
            "network.download_failed", error=f"{exc} ({time.monotonic() - t0:.0f} s)"
        ) from exc
    finally:
        ox.settings.requests_timeout, ox.settings.use_cache = old_timeout, old_cache
    cache.parent.mkdir(parents=True, exist_ok=True)
    ox.save_graphml(graph, cache)
    return RoadNetwork.from_graph(graph, metric_crs)
