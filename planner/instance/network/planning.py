"""Road distances for a planning tier, with the planner's policy for points off the
network (straight line × circuity instead, flagged and counted)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.instance.distance import FallbackSource, PointSource, SiteDistanceSource
from planner.instance.network.graph import RoadNetwork
from planner.instance.network.modes import (
    FAR_FROM_ROAD_M,
    MIN_COMPONENT_SHARE,
    OFF_NETWORK_M,
    STRAIGHT_SPEED_KPH,
    _check_mode,
    _points,
)
from planner.instance.network.search import NetworkSource

__all__ = ["RoadDistances", "road_distances"]


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
