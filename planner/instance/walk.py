r"""The walk inside a community: distances from where people live, not from one point.

A community (村/社区) is one demand point, but its residents live across its area. A
station on top of the point is not 0 m from anybody, so every station-tier distance
adds the mean walk from the community's area to its point:

.. math::

    w_i = \tfrac{2}{3}\sqrt{A_i / \pi}, \qquad c_{ij} = \sqrt{d_{ij}^2 + w_i^2}

where :math:`A_i` is the community's area (m²) and :math:`d_{ij}` the distance from its
point to site :math:`j` (straight line × circuity, or along roads). :math:`w_i` is the
mean distance from a point spread evenly over a disc of area :math:`A_i` to its centre;
combining it with :math:`d_{ij}` in quadrature is exact for the mean squared distance
over that disc and keeps :math:`c_{ij}` increasing in :math:`d_{ij}`, so each row's order
of sites (nearest, k-th nearest, within a radius) is the order of :math:`d_{ij}`.

Coverage keeps its policy meaning: a community is *covered* when a station lies within
its coverage radius :math:`r_i` of its point, i.e. :math:`d_{ij} \le r_i`, which is
:math:`c_{ij} \le \sqrt{r_i^2 + w_i^2}` (:func:`cover_radius`) on the walked costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.instance.distance import SiteDistanceSource

__all__ = ["WalkSource", "community_walk_m", "cover_radius", "with_walk"]

# Within() asks the base source a hair beyond the exact bound and filters on the walked
# cost, so no pair within the radius is lost to rounding in the square root.
_SLACK = 1e-9


def community_walk_m(layer: gpd.GeoDataFrame, metric_crs: str) -> np.ndarray:
    """Mean walk (m) from each community's area to its point: ``2/3 · sqrt(A / π)``.

    Parameters
    ----------
    layer
        Communities with polygon geometry (any CRS).
    metric_crs
        A metric CRS of the region for the areas.

    Returns
    -------
    ndarray
        One value per row; 0 for a community given as a point or without geometry.
    """
    area = layer.geometry.to_crs(metric_crs).area.to_numpy(dtype=float)
    area = np.where(np.isfinite(area), area, 0.0)
    return 2.0 / 3.0 * np.sqrt(area / np.pi)


def cover_radius(demand: pd.DataFrame) -> np.ndarray:
    """Each demand point's coverage radius on walked costs: ``sqrt(r² + w²)``.

    ``demand`` needs ``radius_m``; without a ``walk_m`` column (plans stored before
    walks were counted) the radius is returned unchanged.
    """
    radius = demand["radius_m"].to_numpy(dtype=float)
    if "walk_m" not in demand:
        return radius
    return np.hypot(radius, demand["walk_m"].to_numpy(dtype=float))


@dataclass(frozen=True, eq=False)
class WalkSource:
    """A distance source whose costs add each row's walk in quadrature.

    Parameters
    ----------
    base
        Costs from the demand points (straight line × circuity, or road distances).
    walk
        Walk per demand point (m), shape ``(n_demand,)``, non-negative.
    """

    base: SiteDistanceSource
    walk: np.ndarray

    @property
    def n_demand(self) -> int:
        return int(self.base.n_demand)

    @property
    def n_sites(self) -> int:
        return int(self.base.n_sites)

    def within(
        self, rows: np.ndarray, radius: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = np.asarray(rows, dtype=np.int64)
        radius = np.broadcast_to(np.asarray(radius, dtype=np.float64), rows.shape)
        w = self.walk[rows]
        reach = radius >= w
        base_r = np.sqrt(np.maximum(radius * radius - w * w, 0.0)) * (1 + _SLACK) + _SLACK
        # An infinite radius stays infinite (inf² - w² is inf).
        base_r = np.where(np.isinf(radius), np.inf, base_r)
        out_rows, cols, d = self.base.within(rows[reach], base_r[reach])
        cost = np.hypot(d, self.walk[out_rows])
        pos = np.full(self.n_demand, -1, dtype=np.int64)
        pos[rows] = np.arange(rows.size)
        keep = cost <= radius[pos[out_rows]]
        return out_rows[keep], cols[keep], cost[keep]

    def kth_distance(self, rows: np.ndarray, k: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        return np.hypot(self.base.kth_distance(rows, k), self.walk[rows])

    def nearest(self, open_sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        site, d = self.base.nearest(open_sites)
        return site, np.hypot(d, self.walk)

    def restrict_sites(self, allowed: np.ndarray) -> WalkSource:
        return WalkSource(self.base.restrict_sites(allowed), self.walk)

    def columns(self, sites: np.ndarray) -> np.ndarray:
        return np.hypot(self.base.columns(sites), self.walk[:, None])


def with_walk(source: SiteDistanceSource, demand: pd.DataFrame) -> SiteDistanceSource:
    """``source`` with the communities' walks added, when ``demand`` has any."""
    if "walk_m" not in demand:
        return source
    walk = demand["walk_m"].to_numpy(dtype=float)
    if not np.any(walk > 0):
        return source
    return WalkSource(source, walk)
