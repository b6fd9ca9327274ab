r"""Pair access for the p-median heuristic and bound: sparse triplets, nearest two open.

The exact p-median (:class:`~planner.models.PMedian`) prices plans, bounds
them and fixes sites on *pairs* ``(i, j, d_ij)`` within per-row radii, never on a dense
``n x m`` block. This module hands those pairs out for any
:class:`~planner.instance.distance.CostMatrix`:

* with a distance source (coordinates, a road network, a full matrix), every pair
  within any radius can be fetched, also for a subset of sites (the source restricted
  to a site mask);
* without one, only the listed pairs exist (unlisted pairs are unusable, as everywhere
  in the models), so the listed pairs within the radius are the complete answer.

It also finds the nearest and second-nearest open site of every row, which the swap
search and the Lagrangian bound need at every step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from planner.instance.distance import CostMatrix, PointSource, SiteDistanceSource
from planner.instance.walk import WalkSource

__all__ = ["PairSource", "Triplets", "nearest_two"]

# Rows per source query: bounds the transient memory of ball queries (a row of a
# 20,000-point instance with p = 30 can hold a thousand pairs).
_CHUNK_ROWS = 2048


@dataclass(frozen=True)
class Triplets:
    """Pairs ``(row, site, cost)``; rows ascending, any site order within a row.

    Attributes
    ----------
    rows, sites
        ``int32`` indices (half the memory of ``int64`` on millions of pairs).
    cost
        Distance ``d_ij`` (metres for point input), ``float64``.
    """

    rows: np.ndarray
    sites: np.ndarray
    cost: np.ndarray

    @property
    def size(self) -> int:
        return int(self.cost.size)

    def select(self, keep: np.ndarray) -> Triplets:
        """The pairs where the boolean mask ``keep`` is true."""
        return Triplets(self.rows[keep], self.sites[keep], self.cost[keep])

    def counts(self, n_rows: int) -> np.ndarray:
        """Pairs per row."""
        return np.bincount(self.rows, minlength=n_rows)


def _empty() -> Triplets:
    return Triplets(np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0))


@dataclass
class PairSource:
    """Fetches pairs within per-row radii from a cost matrix, optionally for a site subset.

    Parameters
    ----------
    cm
        The model's cost matrix (excluded sites already dropped).
    """

    cm: CostMatrix
    _restricted: tuple[bytes, SiteDistanceSource] | None = field(default=None, repr=False)

    @property
    def exact(self) -> bool:
        """Whether pairs beyond the listed ones can be fetched (a source exists)."""
        return self.cm.source is not None

    def _source(self, sites: np.ndarray | None) -> SiteDistanceSource:
        src = self.cm.source
        assert src is not None
        if sites is None:
            return src
        key = np.packbits(sites).tobytes()
        if self._restricted is None or self._restricted[0] != key:
            # Restricting rebuilds the source's index (a k-d tree): keep the last one.
            self._restricted = (key, src.restrict_sites(sites))
        return self._restricted[1]

    def within(
        self, rows: np.ndarray, radius: np.ndarray, sites: np.ndarray | None = None
    ) -> Triplets:
        """Every usable pair of ``rows`` with ``d_ij <= radius`` (per row of ``rows``).

        Parameters
        ----------
        rows
            Row indices, ascending.
        radius
            One radius per entry of ``rows``; ``inf`` allowed.
        sites
            Bool mask of the sites wanted (``None``: all usable sites).
        """
        rows = np.asarray(rows, dtype=np.int64)
        radius = np.broadcast_to(np.asarray(radius, dtype=np.float64), rows.shape)
        if rows.size == 0:
            return _empty()
        if self.cm.source is None:
            return self._listed(rows, radius, sites)
        src = self._source(sites)
        parts = []
        for a in range(0, rows.size, _CHUNK_ROWS):
            r, j, d = src.within(rows[a : a + _CHUNK_ROWS], radius[a : a + _CHUNK_ROWS])
            order = np.argsort(r, kind="stable")
            parts.append((r[order].astype(np.int32), j[order].astype(np.int32), d[order]))
        return Triplets(
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]).astype(np.float64, copy=False),
        )

    def _listed(self, rows: np.ndarray, radius: np.ndarray, sites: np.ndarray | None) -> Triplets:
        cm = self.cm
        rad = np.full(cm.n_demand, -np.inf)
        rad[rows] = radius
        keep = cm.data <= rad[cm.rows]
        if sites is not None:
            keep &= sites[cm.indices]
        return Triplets(
            cm.rows[keep].astype(np.int32), cm.indices[keep].astype(np.int32), cm.data[keep]
        )

    def kth(self, rows: np.ndarray, k: np.ndarray, sites: np.ndarray | None = None) -> np.ndarray:
        """Cost to the ``k``-th nearest usable site (of ``sites``) per row; ``inf`` if none.

        Without a source every usable pair is listed, so "everything" (``inf``) is the
        radius that holds ``k`` sites; the lists are what bounds the work there.
        """
        rows = np.asarray(rows, dtype=np.int64)
        k = np.broadcast_to(np.asarray(k, dtype=np.int64), rows.shape)
        if self.cm.source is None:
            return np.full(rows.shape, np.inf)
        return self._source(sites).kth_distance(rows, k)


def nearest_two(
    cm: CostMatrix, open_sites: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nearest and second-nearest open site of every demand row, with their costs.

    Exact with a distance source; otherwise over the listed pairs (the only usable
    ones). Missing entries are ``-1`` / ``inf``.

    With a :class:`~planner.instance.distance.PointSource` one k-d tree query (k = 2) does it.
    Any other source answers only "nearest open site", so the second nearest is found
    with ``2 ceil(log2 p)`` such queries: the second-nearest site differs from the
    nearest in some bit of its position in ``open_sites``, and for that bit it is the
    nearest of the open sites whose bit differs.
    """
    open_sites = np.asarray(open_sites, dtype=np.int64)
    n = cm.n_demand
    s1 = np.full(n, -1, dtype=np.int64)
    s2 = np.full(n, -1, dtype=np.int64)
    d1 = np.full(n, np.inf)
    d2 = np.full(n, np.inf)
    if open_sites.size == 0:
        return s1, d1, s2, d2
    src = cm.source
    if src is None:
        return _listed_two(cm, open_sites)
    if isinstance(src, PointSource):
        return _point_two(src, open_sites)
    if isinstance(src, WalkSource) and isinstance(src.base, PointSource):
        # The walk is added per row and keeps each row's order of sites.
        s1, d1, s2, d2 = _point_two(src.base, open_sites)
        return s1, np.hypot(d1, src.walk), s2, np.hypot(d2, src.walk)
    s1, d1 = src.nearest(open_sites)
    s1 = np.asarray(s1, dtype=np.int64)
    pos = np.full(cm.n_sites, -1, dtype=np.int64)
    pos[open_sites] = np.arange(open_sites.size)
    own = np.where(s1 >= 0, pos[np.maximum(s1, 0)], -1)
    bits = max(1, int(np.ceil(np.log2(max(open_sites.size, 2)))))
    idx = np.arange(open_sites.size)
    for b in range(bits):
        for side in (0, 1):
            group = open_sites[((idx >> b) & 1) == side]
            if group.size == 0:
                continue
            rows = np.flatnonzero((own >= 0) & (((own >> b) & 1) != side))
            if rows.size == 0:
                continue
            site, dist = src.nearest(group)
            better = rows[dist[rows] < d2[rows]]
            d2[better] = dist[better]
            s2[better] = site[better]
    return s1, d1, s2, d2


def _point_two(
    src: PointSource, open_sites: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = src.n_demand
    k = 2 if open_sites.size > 1 else 1
    _, idx = cKDTree(src.site_xy[open_sites]).query(src.demand_xy, k=k)
    idx = idx.reshape(n, k)
    sites = open_sites[idx]
    dxy = src.demand_xy
    cost = np.empty((n, k))
    for c in range(k):
        sxy = src.site_xy[sites[:, c]]
        # Same expression as the source's own metric, so costs agree with listed pairs.
        cost[:, c] = src.circuity * np.hypot(dxy[:, 0] - sxy[:, 0], dxy[:, 1] - sxy[:, 1])
    # The tree orders by Euclidean distance; equal costs may come in either order.
    if k == 2:
        flip = cost[:, 1] < cost[:, 0]
        sites[flip] = sites[flip][:, ::-1]
        cost[flip] = cost[flip][:, ::-1]
    if k == 1:
        return sites[:, 0], cost[:, 0], np.full(n, -1, dtype=np.int64), np.full(n, np.inf)
    return sites[:, 0], cost[:, 0], sites[:, 1], cost[:, 1]


def _listed_two(
    cm: CostMatrix, open_sites: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = cm.n_demand
    is_open = np.zeros(cm.n_sites, dtype=bool)
    is_open[open_sites] = True
    hit = np.flatnonzero(is_open[cm.indices])
    rows = cm.rows[hit]
    # Rank of each open hit within its row (rows are sorted by cost).
    first = np.ones(rows.size, dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    start = np.maximum.accumulate(np.where(first, np.arange(rows.size), 0))
    rank = np.arange(rows.size) - start
    out = []
    for r in (0, 1):
        sel = hit[rank == r]
        site = np.full(n, -1, dtype=np.int64)
        dist = np.full(n, np.inf)
        site[cm.rows[sel]] = cm.indices[sel]
        dist[cm.rows[sel]] = cm.data[sel]
        out += [site, dist]
    return out[0], out[1], out[2], out[3]
