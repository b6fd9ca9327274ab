"""An OSM road network downloaded for a boundary, only when explicitly asked.

Cached under ``$PLANNER_HOME/networks`` and used from there without any connection;
without a connection a download is refused at once (``network.offline``).
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import shapely

from planner import format as fmt
from planner.i18n import PlannerError
from planner.instance.network.graph import RoadNetwork
from planner.paths import planner_home

__all__ = ["download_network", "is_online", "network_cache_dir"]


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
    return planner_home() / "networks"


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
            "network.download_failed", error=f"{exc} ({fmt.number(time.monotonic() - t0)} s)"
        ) from exc
    finally:
        ox.settings.requests_timeout, ox.settings.use_cache = old_timeout, old_cache
    cache.parent.mkdir(parents=True, exist_ok=True)
    ox.save_graphml(graph, cache)
    return RoadNetwork.from_graph(graph, metric_crs)
