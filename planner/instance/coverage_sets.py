"""Which candidate sites cover which villages: the complete within-radius sets.

A village or community (村/社区, one demand point each, see
:mod:`planner.instance.demand`) is *covered* when an open station lies within its
coverage radius (``radius_m`` of the demand table: the urban radius for 社区 and
villages of urban streets, the rural one for other 村), measured as the station
tier's models measure it:

* ``straight`` mode: straight line × circuity between the community's representative
  point and the site (:class:`~planner.instance.distance.PointSource`, the same
  arithmetic as the models' cost matrices, so a pair is within the radius here
  exactly when it is there);
* ``network`` mode: the walking distance of the tier's road distances
  (:attr:`RoadDistances.source <planner.instance.network.RoadDistances>`), which
  already costs the communities off the network as straight line × circuity.

Both add the community's walk (:mod:`planner.instance.walk`); the radius on those
walked costs is :func:`~planner.instance.walk.cover_radius`, so "covered" still means
a station within the radius of the community's point.

The sets are complete radius queries, never a model's k-nearest lists (a list that
stops short of the radius would miss sites that do cover the village).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from planner.instance.distance import PointSource, SiteDistanceSource
from planner.instance.walk import with_walk

if TYPE_CHECKING:
    from planner.instance.build import Instance
    from planner.instance.network import RoadDistances

__all__ = ["cover_matrix", "nearest_open_sites", "station_source", "straight_cover_matrix"]


def station_source(inst: Instance, distances: RoadDistances | None = None) -> SiteDistanceSource:
    """The station tier's distance source: communities x station candidates, each
    distance with the community's walk (:mod:`planner.instance.walk`).

    Parameters
    ----------
    inst
        The run's instance (demand and candidates with metric ``x``/``y``).
    distances
        The tier's road distances (``network`` mode); ``None`` means straight line ×
        the scenario's circuity.
    """
    if distances is not None:
        return with_walk(distances.source, inst.demand)
    source = PointSource(
        inst.demand[["x", "y"]].to_numpy(dtype=float),
        inst.stations[["x", "y"]].to_numpy(dtype=float),
        inst.scenario.circuity,
    )
    return with_walk(source, inst.demand)


def cover_matrix(source: SiteDistanceSource, radius: float | np.ndarray) -> sparse.csr_array:
    """Demand points x sites, 1 where the site lies within the point's radius.

    Parameters
    ----------
    source
        Any distance source (straight line, road network, full matrix).
    radius
        Coverage radius in the source's unit, scalar or one per demand point.
    """
    n, m = int(source.n_demand), int(source.n_sites)
    rad = np.broadcast_to(np.asarray(radius, dtype=np.float64), (n,))
    rows, cols, _ = source.within(np.arange(n), rad)
    data = np.ones(rows.size, dtype=np.float64)
    out = sparse.csr_array((data, (rows, cols)), shape=(n, m))
    out.sum_duplicates()
    out.data[:] = 1.0
    return out


def straight_cover_matrix(
    demand_xy: np.ndarray,
    radius: float | np.ndarray,
    site_xy: np.ndarray,
    circuity: float = 1.0,
) -> sparse.csr_array:
    """:func:`cover_matrix` on straight line × ``circuity`` (coordinates in metres)."""
    return cover_matrix(PointSource(demand_xy, site_xy, circuity), radius)


def nearest_open_sites(
    source: SiteDistanceSource, open_sites: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each demand point's nearest open site and its distance (``-1``/``inf`` when
    none is open or none can be reached)."""
    open_sites = np.asarray(open_sites, dtype=np.int64)
    n = int(source.n_demand)
    if open_sites.size == 0:
        return np.full(n, -1, dtype=np.int64), np.full(n, np.inf)
    site, dist = source.nearest(open_sites)
    return np.asarray(site, dtype=np.int64), np.asarray(dist, dtype=np.float64)
