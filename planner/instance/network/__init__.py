"""Road-network distances: load a road network offline, snap points, sparse costs.

A planner rarely has a routable network in hand. This package accepts what bureaus
actually hold and turns it into sparse demand x site costs the siting models use:

* OSM XML (``.osm``) via :func:`osmnx.graph_from_xml`, GraphML via
  :func:`osmnx.load_graphml`;
* plain road *lines* (GeoJSON, GeoPackage, Shapefile, zipped Shapefile) without any
  topology, noded at every intersection (:mod:`~planner.instance.network.lines`);
* optionally an OSM download for a boundary (:func:`download_network`), only when
  explicitly asked, cached under ``$PLANNER_HOME/networks`` and refused quickly
  (``network.offline``) without a connection.

Every graph is held in a metric CRS (UTM of its centre unless told otherwise) with
edge ``length`` in metres; demand and site coordinates must be in the same CRS
(:attr:`RoadNetwork.crs`).

Modules
-------
``modes``
    Distance modes (``walk``, ``drive``, ``drive_time``), road classes and speeds,
    the thresholds (:data:`FAR_FROM_ROAD_M`, :data:`OFF_NETWORK_M`, …).
``lines``
    Road files: formats, size limit, road lines noded into a graph.
``edges``
    A mode's usable edges as arrays, connected components, CSR adjacency.
``graph``
    :class:`RoadNetwork`: constructors, summaries, snapping, costs.
``snap``
    :class:`Snap`: where points meet the road; direct connectors.
``search``
    :class:`NetworkSource`: bounded multi-source Dijkstra on the augmented CSR graph.
``planning``
    :func:`road_distances`: a tier's road distances with the off-network fallback.
``load``
    :func:`load_network` (remembered per process), :func:`read_road_lines`.
``download``
    :func:`download_network` from OSM, :func:`is_online`.
"""

from planner.instance.network.download import download_network, is_online, network_cache_dir
from planner.instance.network.graph import RoadNetwork
from planner.instance.network.load import load_network, read_road_lines
from planner.instance.network.modes import (
    ACCESS_SPEED_KPH,
    CLASS_SPEEDS_KPH,
    DIRECT_MAX_M,
    FALLBACK_SPEED_KPH,
    FAR_FROM_ROAD_M,
    MIN_COMPONENT_SHARE,
    MODES,
    OFF_NETWORK_M,
    STRAIGHT_SPEED_KPH,
)
from planner.instance.network.planning import RoadDistances, road_distances
from planner.instance.network.search import NetworkSource, network_cost_matrix, network_source
from planner.instance.network.snap import Snap

__all__ = [
    "ACCESS_SPEED_KPH",
    "CLASS_SPEEDS_KPH",
    "DIRECT_MAX_M",
    "FALLBACK_SPEED_KPH",
    "FAR_FROM_ROAD_M",
    "MIN_COMPONENT_SHARE",
    "MODES",
    "OFF_NETWORK_M",
    "STRAIGHT_SPEED_KPH",
    "NetworkSource",
    "RoadDistances",
    "RoadNetwork",
    "Snap",
    "download_network",
    "is_online",
    "load_network",
    "network_cache_dir",
    "network_cost_matrix",
    "network_source",
    "read_road_lines",
    "road_distances",
]
