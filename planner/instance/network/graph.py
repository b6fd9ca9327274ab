"""The road network: a graph in a metric CRS, ready for snapping and sparse costs.

Every graph is held in a metric CRS (UTM of its centre unless told otherwise) with
edge ``length`` in metres; demand and site coordinates must be in the same CRS
(:attr:`RoadNetwork.crs`). OSM XML (``.osm``) is read with :func:`osmnx.graph_from_xml`,
GraphML with :func:`osmnx.load_graphml`, road lines by
:mod:`planner.instance.network.lines`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pyproj
import shapely
from scipy.sparse.csgraph import connected_components

from planner.data.crs import WGS84, local_metric_crs, to_wgs84
from planner.i18n import PlannerError
from planner.instance.distance import CostMatrix
from planner.instance.network.edges import _edge_table, _EdgeTable
from planner.instance.network.lines import (
    _CLASS_COLUMNS,
    _LINE_FORMATS,
    _ONEWAY_COLUMNS,
    _check_road_size,
    _lines_to_graph,
)
from planner.instance.network.modes import (
    _DEFAULT_MAX_SNAP_M,
    _NO_DRIVE,
    ACCESS_SPEED_KPH,
    CLASS_SPEEDS_KPH,
    DIRECT_MAX_M,
    _check_mode,
    _maxspeed,
    _points,
    _road_class,
)
from planner.instance.network.search import NetworkSource
from planner.instance.network.snap import Snap, _snap_points

__all__ = ["RoadNetwork"]


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
    :func:`~planner.instance.network.download_network`. Costs: :meth:`cost_matrix`, :meth:`source`.
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
            Which roads are usable (see :mod:`planner.instance.network.modes`).
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
        return _snap_points(table, self.node_ids, xy, max_snap_m, min_component_share)

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
            ``"walk"``, ``"drive"`` or ``"drive_time"`` (see
            :mod:`planner.instance.network.modes`).

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
