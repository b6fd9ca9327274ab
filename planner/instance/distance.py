"""Sparse demand-to-site distances for the siting models.

Nothing here builds a dense ``n_demand x n_sites`` array: a city has ~3,700 demand
points and thousands of candidate sites, and each demand point only ever cares about
the sites near it. A :class:`CostMatrix` lists, per demand point, the sites within a
*completeness radius*; the models grow that radius for the few rows that need it.

Storage choice
--------------
A zero distance (a station candidate on top of a community centroid) is a real,
common value. ``scipy.sparse`` treats stored zeros as droppable (``eliminate_zeros``,
arithmetic, ``cKDTree.sparse_distance_matrix`` all lose them), so :class:`CostMatrix`
keeps its own explicit CSR arrays ``(indptr, indices, data)`` where a stored 0.0 is a
pair like any other. :meth:`CostMatrix.to_csr` hands out a scipy view for convenience;
do not do arithmetic on it if zeros matter.

Each row is sorted by ``(distance, site index)``, so the nearest listed site is first
and the distinct distances of a row (the "levels" of the radius formulation) come out
of one pass.

Completeness radius
-------------------
``radius[i]`` promises: *every allowed site with cost <= radius[i] from demand point i
is listed in row i*. ``radius[i] = inf`` means the row lists every usable site; for a
matrix without a coordinate :attr:`CostMatrix.source` (e.g. built from a road-network
table) unlisted pairs are simply unusable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from planner.i18n import PlannerError

__all__ = [
    "CostMatrix",
    "FallbackSource",
    "Levels",
    "MatrixSource",
    "PointSource",
    "SiteDistanceSource",
    "source_knn",
    "source_within",
    "sparse_distances",
    "sparse_knn",
]

# Ball queries use a slightly larger radius, then filter with our own metric, so the
# completeness promise holds in the metric the models use even at the last ulp.
_BALL_SLACK = 1e-9


class SiteDistanceSource(Protocol):
    """Exact distance oracle behind a :class:`CostMatrix`; lets models grow rows.

    :class:`PointSource` implements it with a k-d tree; a road-network oracle can too.
    All distances are costs in metres (circuity already applied).
    """

    n_demand: int
    n_sites: int

    def within(
        self, rows: np.ndarray, radius: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All allowed (row, site, cost) pairs with cost <= radius[k] for rows[k]."""
        ...

    def kth_distance(self, rows: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Cost from each of ``rows`` to its k-th nearest allowed site (1-based; inf if none)."""
        ...

    def nearest(self, open_sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest site of ``open_sites`` and its cost for every demand point."""
        ...

    def restrict_sites(self, allowed: np.ndarray) -> SiteDistanceSource:
        """The same oracle with only ``allowed`` (bool mask over sites) usable."""
        ...

    def columns(self, sites: np.ndarray) -> np.ndarray:
        """Dense ``(n_demand, len(sites))`` costs to ``sites``; ``inf`` for disallowed ones.

        Meant for a few sites at a time (heuristics pricing candidate plans).
        """
        ...


def _as_xy(xy: np.ndarray | Sequence, what: str) -> np.ndarray:
    arr = np.asarray(xy, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise PlannerError("model.shape_mismatch", what=what, expected="(n, 2)", got=arr.shape)
    if not np.all(np.isfinite(arr)):
        raise PlannerError("model.bad_value", what=what, value="NaN/inf")
    return arr


def _metric(dxy: np.ndarray, sxy: np.ndarray, circuity: float) -> np.ndarray:
    # The single place costs are computed, so list entries and nearest-site answers
    # agree to the last bit (the exact p-median check compares them for equality).
    return circuity * np.hypot(dxy[:, 0] - sxy[:, 0], dxy[:, 1] - sxy[:, 1])


@dataclass(frozen=True, eq=False)
class PointSource:
    """Straight-line distances times a circuity factor, in a metric CRS.

    Parameters
    ----------
    demand_xy, site_xy
        Coordinates in metres, shape ``(n, 2)``.
    circuity
        Road-distance / straight-line ratio applied to every pair (1.0 = Euclidean).
    allowed
        Bool mask of usable sites (``None``: all). Excluded sites are left out of the
        tree so "next nearest" answers ignore them.
    """

    demand_xy: np.ndarray
    site_xy: np.ndarray
    circuity: float = 1.0
    allowed: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "demand_xy", _as_xy(self.demand_xy, "demand_xy"))
        object.__setattr__(self, "site_xy", _as_xy(self.site_xy, "site_xy"))
        if not self.circuity > 0:
            raise PlannerError("model.bad_value", what="circuity", value=self.circuity)

    @property
    def n_demand(self) -> int:
        return int(self.demand_xy.shape[0])

    @property
    def n_sites(self) -> int:
        return int(self.site_xy.shape[0])

    @cached_property
    def _active(self) -> np.ndarray:
        if self.allowed is None:
            return np.arange(self.n_sites)
        return np.flatnonzero(self.allowed)

    @cached_property
    def _tree(self) -> cKDTree:
        return cKDTree(self.site_xy[self._active])

    def within(
        self, rows: np.ndarray, radius: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = np.asarray(rows, dtype=np.int64)
        radius = np.broadcast_to(np.asarray(radius, dtype=np.float64), rows.shape)
        empty = np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
        if rows.size == 0 or self._active.size == 0:
            return empty
        # cKDTree wants finite radii; "everything" is any radius beyond the extent.
        span = float(np.ptp(np.vstack([self.site_xy, self.demand_xy]), axis=0).sum()) + 1.0
        euclid = np.minimum(radius / self.circuity, span) * (1 + _BALL_SLACK)
        hits = self._tree.query_ball_point(self.demand_xy[rows], r=euclid)
        counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
        if counts.sum() == 0:
            return empty
        local = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits if len(h)])
        out_rows = np.repeat(rows, counts)
        cols = self._active[local]
        dist = _metric(self.demand_xy[out_rows], self.site_xy[cols], self.circuity)
        keep = dist <= np.repeat(radius, counts)
        return out_rows[keep], cols[keep], dist[keep]

    def kth_distance(self, rows: np.ndarray, k: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        k = np.broadcast_to(np.asarray(k, dtype=np.int64), rows.shape)
        out = np.full(rows.shape, np.inf)
        n_active = self._active.size
        # One vectorised query per distinct k; rows of a city share few distinct list
        # lengths, and no n x k_max block is ever allocated.
        for kk in np.unique(k):
            if kk < 1 or kk > n_active:
                continue
            sel = np.flatnonzero(k == kk)
            _, idx = self._tree.query(self.demand_xy[rows[sel]], k=int(kk))
            last = idx if kk == 1 else idx[:, -1]
            sites = self._active[last]
            out[sel] = _metric(self.demand_xy[rows[sel]], self.site_xy[sites], self.circuity)
        return out

    def nearest(self, open_sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        open_sites = np.asarray(open_sites, dtype=np.int64)
        if open_sites.size == 0:
            return np.full(self.n_demand, -1), np.full(self.n_demand, np.inf)
        tree = cKDTree(self.site_xy[open_sites])
        _, idx = tree.query(self.demand_xy, k=1)
        site = open_sites[idx]
        return site, _metric(self.demand_xy, self.site_xy[site], self.circuity)

    def restrict_sites(self, allowed: np.ndarray) -> PointSource:
        allowed = np.asarray(allowed, dtype=bool)
        if self.allowed is not None:
            allowed = allowed & self.allowed
        return PointSource(self.demand_xy, self.site_xy, self.circuity, allowed)

    def columns(self, sites: np.ndarray) -> np.ndarray:
        sites = np.asarray(sites, dtype=np.int64)
        d = self.demand_xy
        out = np.empty((self.n_demand, sites.size))
        for k, j in enumerate(sites.tolist()):
            # The same expression as _metric, so columns agree with listed pairs bit for bit.
            out[:, k] = _metric(d, self.site_xy[j : j + 1], self.circuity)
        if self.allowed is not None:
            out[:, ~self.allowed[sites]] = np.inf
        return out


@dataclass(frozen=True, eq=False)
class MatrixSource:
    """Distance oracle over a full matrix, for small instances only.

    OR-Library graphs and unit tests come as complete matrices; wrapping one lets the
    models run their exact grow loops on it. Never used on the city-scale path.

    Parameters
    ----------
    matrix
        ``(n_demand, n_sites)`` costs; ``inf`` = no pair.
    allowed
        Bool mask of usable sites (``None``: all).
    """

    matrix: np.ndarray
    allowed: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_demand(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_sites(self) -> int:
        return int(self.matrix.shape[1])

    @cached_property
    def _masked(self) -> np.ndarray:
        if self.allowed is None:
            return self.matrix
        out = self.matrix.copy()
        out[:, ~self.allowed] = np.inf
        return out

    def within(
        self, rows: np.ndarray, radius: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = np.asarray(rows, dtype=np.int64)
        radius = np.broadcast_to(np.asarray(radius, dtype=np.float64), rows.shape)
        sub = self._masked[rows]
        hit_r, cols = np.nonzero(np.isfinite(sub) & (sub <= radius[:, None]))
        return rows[hit_r], cols, sub[hit_r, cols]

    def kth_distance(self, rows: np.ndarray, k: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        k = np.broadcast_to(np.asarray(k, dtype=np.int64), rows.shape)
        sub = np.sort(self._masked[rows], axis=1)
        out = np.full(rows.shape, np.inf)
        ok = (k >= 1) & (k <= self.n_sites)
        out[ok] = sub[np.flatnonzero(ok), k[ok] - 1]
        return out

    def nearest(self, open_sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        open_sites = np.asarray(open_sites, dtype=np.int64)
        if open_sites.size == 0:
            return np.full(self.n_demand, -1), np.full(self.n_demand, np.inf)
        sub = self.matrix[:, open_sites]
        arg = np.argmin(sub, axis=1)
        dist = sub[np.arange(self.n_demand), arg]
        site = np.where(np.isfinite(dist), open_sites[arg], -1)
        return site, dist

    def restrict_sites(self, allowed: np.ndarray) -> MatrixSource:
        allowed = np.asarray(allowed, dtype=bool)
        if self.allowed is not None:
            allowed = allowed & self.allowed
        return MatrixSource(self.matrix, allowed)

    def columns(self, sites: np.ndarray) -> np.ndarray:
        return self._masked[:, np.asarray(sites, dtype=np.int64)]


@dataclass(frozen=True, eq=False)
class FallbackSource:
    """Two distance oracles over the same sites, split by demand row.

    Rows flagged in ``use_fallback`` get every cost from ``fallback`` (e.g. straight
    line × circuity for a village far from any mapped road); the other rows from
    ``primary`` (e.g. a :class:`planner.instance.network.NetworkSource`). Within a row the
    metric is one and the same, so a row's sorted list, its next-nearest bound and its
    nearest open site stay consistent, which is all the siting models rely on.

    Parameters
    ----------
    primary, fallback
        Sources with the same ``n_demand`` and ``n_sites``.
    use_fallback
        Bool mask over demand rows.
    """

    primary: SiteDistanceSource
    fallback: SiteDistanceSource
    use_fallback: np.ndarray

    def __post_init__(self) -> None:
        mask = np.asarray(self.use_fallback, dtype=bool)
        object.__setattr__(self, "use_fallback", mask)
        shapes = {
            (self.primary.n_demand, self.primary.n_sites),
            (self.fallback.n_demand, self.fallback.n_sites),
        }
        if len(shapes) != 1 or mask.shape != (self.primary.n_demand,):
            raise PlannerError(
                "model.shape_mismatch",
                what="fallback source",
                expected=(self.primary.n_demand, self.primary.n_sites),
                got=sorted(shapes),
            )

    @property
    def n_demand(self) -> int:
        return int(self.primary.n_demand)

    @property
    def n_sites(self) -> int:
        return int(self.primary.n_sites)

    def _split(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        back = self.use_fallback[rows]
        return np.flatnonzero(~back), np.flatnonzero(back)

    def within(
        self, rows: np.ndarray, radius: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = np.asarray(rows, dtype=np.int64)
        radius = np.broadcast_to(np.asarray(radius, dtype=np.float64), rows.shape)
        a, b = self._split(rows)
        ra, ca, da = self.primary.within(rows[a], radius[a])
        rb, cb, db = self.fallback.within(rows[b], radius[b])
        return np.concatenate([ra, rb]), np.concatenate([ca, cb]), np.concatenate([da, db])

    def kth_distance(self, rows: np.ndarray, k: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        k = np.broadcast_to(np.asarray(k, dtype=np.int64), rows.shape)
        out = np.full(rows.shape, np.inf)
        a, b = self._split(rows)
        if a.size:
            out[a] = self.primary.kth_distance(rows[a], k[a])
        if b.size:
            out[b] = self.fallback.kth_distance(rows[b], k[b])
        return out

    def nearest(self, open_sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        site_a, dist_a = self.primary.nearest(open_sites)
        site_b, dist_b = self.fallback.nearest(open_sites)
        back = self.use_fallback
        return np.where(back, site_b, site_a), np.where(back, dist_b, dist_a)

    def restrict_sites(self, allowed: np.ndarray) -> FallbackSource:
        return FallbackSource(
            self.primary.restrict_sites(allowed),
            self.fallback.restrict_sites(allowed),
            self.use_fallback,
        )

    def columns(self, sites: np.ndarray) -> np.ndarray:
        sites = np.asarray(sites, dtype=np.int64)
        out = np.asarray(self.primary.columns(sites), dtype=np.float64).copy()
        if self.use_fallback.any():
            out[self.use_fallback] = np.asarray(self.fallback.columns(sites))[self.use_fallback]
        return out


@dataclass(frozen=True)
class Levels:
    """Per-row sorted distinct distances of a :class:`CostMatrix`.

    Attributes
    ----------
    ptr
        Row ``i``'s levels are ``values[ptr[i]:ptr[i+1]]``, strictly increasing.
    values
        Distinct distances ``D_i^1 < D_i^2 < ...`` for all rows, concatenated.
    pair_level
        For each stored pair (in CSR order), the global index into ``values`` of its
        distance.
    """

    ptr: np.ndarray
    values: np.ndarray
    pair_level: np.ndarray


@dataclass(frozen=True, eq=False)
class CostMatrix:
    """Sparse demand x site cost matrix in explicit CSR form (zeros are kept).

    Attributes
    ----------
    indptr, indices, data
        CSR arrays. Row ``i`` lists sites ``indices[indptr[i]:indptr[i+1]]`` with costs
        ``data[...]`` in metres, sorted by ``(cost, site)``. A 0.0 cost is stored like
        any other (see module docstring).
    n_demand, n_sites
        Matrix shape.
    radius
        Per-row completeness radius (see module docstring); ``inf`` = complete row.
    source
        Optional exact distance oracle used to grow rows and to find the true nearest
        open site. Without it, unlisted pairs are unusable.
    """

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_demand: int
    n_sites: int
    radius: np.ndarray
    source: SiteDistanceSource | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.indptr.shape != (self.n_demand + 1,) or self.indices.shape != self.data.shape:
            raise PlannerError(
                "model.shape_mismatch",
                what="CSR arrays",
                expected=self.n_demand + 1,
                got=self.indptr.shape,
            )
        if self.radius.shape != (self.n_demand,):
            raise PlannerError(
                "model.shape_mismatch", what="radius", expected=self.n_demand, got=self.radius.shape
            )

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_coo(
        cls,
        rows: np.ndarray,
        cols: np.ndarray,
        dist: np.ndarray,
        n_demand: int,
        n_sites: int,
        radius: float | np.ndarray = np.inf,
        source: SiteDistanceSource | None = None,
    ) -> CostMatrix:
        """Build from coordinate triplets (any order).

        A ``(row, site)`` pair given twice keeps its smaller cost.
        """
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        dist = np.asarray(dist, dtype=np.float64)
        if not (rows.shape == cols.shape == dist.shape):
            raise PlannerError(
                "model.shape_mismatch", what="pairs", expected=rows.shape, got=cols.shape
            )
        if rows.size and (rows.min() < 0 or rows.max() >= n_demand):
            raise PlannerError(
                "model.shape_mismatch", what="row index", expected=n_demand, got=int(rows.max())
            )
        if cols.size and (cols.min() < 0 or cols.max() >= n_sites):
            raise PlannerError(
                "model.site_index_out_of_range", index=int(cols.max()), n_sites=n_sites
            )
        if np.any(dist < 0) or np.any(np.isnan(dist)):
            raise PlannerError("model.negative_values", what="distances")
        finite = np.isfinite(dist)
        rows, cols, dist = rows[finite], cols[finite], dist[finite]
        # Dedupe on (row, site) keeping the smaller cost, then order rows by cost.
        order = np.lexsort((dist, cols, rows))
        rows, cols, dist = rows[order], cols[order], dist[order]
        first = np.ones(rows.size, dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        rows, cols, dist = rows[first], cols[first], dist[first]
        order = np.lexsort((cols, dist, rows))
        rows, cols, dist = rows[order], cols[order], dist[order]
        indptr = np.zeros(n_demand + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_demand), out=indptr[1:])
        rad = np.broadcast_to(np.asarray(radius, dtype=np.float64), (n_demand,)).copy()
        return cls(indptr, cols, dist, int(n_demand), int(n_sites), rad, source)

    @classmethod
    def from_dense(
        cls,
        matrix: np.ndarray,
        radius: float | np.ndarray | None = None,
        k: int | None = None,
    ) -> CostMatrix:
        """Build from a small dense array (tests, OR-Library); ``inf``/NaN = no pair.

        Without ``radius``/``k`` every finite pair is listed (complete rows). With
        ``radius`` (or the ``k`` nearest, ties included) rows are truncated and a
        :class:`MatrixSource` is attached so models can grow them back exactly.
        """
        matrix = np.asarray(matrix, dtype=np.float64)
        matrix = np.where(np.isnan(matrix), np.inf, matrix)
        if np.any(matrix < 0):
            raise PlannerError("model.negative_values", what="distances")
        n, m = matrix.shape
        source = MatrixSource(matrix)
        if radius is None and k is None:
            rad = np.full(n, np.inf)
        elif radius is not None:
            rad = np.broadcast_to(np.asarray(radius, dtype=np.float64), (n,)).copy()
        else:
            kk = int(min(max(k, 1), m))
            rad = source.kth_distance(np.arange(n), np.full(n, kk))
        rows, cols, dist = source.within(np.arange(n), rad)
        return cls.from_coo(rows, cols, dist, n, m, radius=rad, source=source)

    @classmethod
    def from_scipy(
        cls, matrix: sparse.sparray | sparse.spmatrix, radius: float | np.ndarray = np.inf
    ) -> CostMatrix:
        """Build from a scipy sparse matrix; every *stored* entry is a pair.

        Stored explicit zeros are kept. Entries that scipy already dropped are lost,
        so build from triplets (:meth:`from_coo`) when zero costs occur.
        """
        coo = sparse.coo_array(matrix)
        n, m = coo.shape
        return cls.from_coo(coo.row, coo.col, coo.data, n, m, radius=radius)

    # ------------------------------------------------------------------ views

    @property
    def nnz(self) -> int:
        return int(self.data.size)

    @property
    def shape(self) -> tuple[int, int]:
        return self.n_demand, self.n_sites

    @cached_property
    def rows(self) -> np.ndarray:
        """Row index of every stored pair (the COO view)."""
        return np.repeat(np.arange(self.n_demand), np.diff(self.indptr))

    @property
    def row_counts(self) -> np.ndarray:
        return np.diff(self.indptr)

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Sites and costs of row ``i``, nearest first."""
        sl = slice(self.indptr[i], self.indptr[i + 1])
        return self.indices[sl], self.data[sl]

    def to_csr(self) -> sparse.csr_array:
        """A scipy CSR view; stored zeros are present until scipy drops them."""
        return sparse.csr_array(
            (self.data, self.indices, self.indptr), shape=(self.n_demand, self.n_sites)
        )

    def levels(self) -> Levels:
        """Per-row sorted distinct distances (the radius formulation's levels)."""
        new = np.ones(self.nnz, dtype=bool)
        rows = self.rows
        new[1:] = (rows[1:] != rows[:-1]) | (self.data[1:] != self.data[:-1])
        pair_level = np.cumsum(new) - 1
        ptr = np.zeros(self.n_demand + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows[new], minlength=self.n_demand), out=ptr[1:])
        return Levels(ptr, self.data[new], pair_level)

    # ------------------------------------------------------------------ derived matrices

    def within(self, radius: float | np.ndarray) -> CostMatrix:
        """Only pairs with cost <= ``radius`` (scalar or per row).

        Raises :class:`PlannerError` if a row is not complete up to its new radius.
        """
        rad = np.broadcast_to(np.asarray(radius, dtype=np.float64), (self.n_demand,))
        short = np.flatnonzero(self.radius < rad)
        if short.size:
            i = int(short[0])
            raise PlannerError(
                "model.matrix_too_short", have=float(self.radius[i]), need=float(rad[i]), example=i
            )
        keep = self.data <= rad[self.rows]
        return CostMatrix.from_coo(
            self.rows[keep],
            self.indices[keep],
            self.data[keep],
            self.n_demand,
            self.n_sites,
            radius=np.minimum(self.radius, rad),
            source=self.source,
        )

    def drop_sites(self, sites: np.ndarray | Sequence[int]) -> CostMatrix:
        """Remove columns (excluded sites); they also vanish from the source's answers."""
        sites = np.asarray(sites, dtype=np.int64)
        if sites.size == 0:
            return self
        allowed = np.ones(self.n_sites, dtype=bool)
        allowed[sites] = False
        keep = allowed[self.indices]
        source = self.source.restrict_sites(allowed) if self.source is not None else None
        return CostMatrix.from_coo(
            self.rows[keep],
            self.indices[keep],
            self.data[keep],
            self.n_demand,
            self.n_sites,
            radius=self.radius,
            source=source,
        )

    def grow(self, rows: np.ndarray | Sequence[int], radius: float | np.ndarray) -> CostMatrix:
        """Re-list ``rows`` complete up to ``radius`` (never shrinks a row).

        Raises :class:`PlannerError` (``model.no_source``) without a distance source.
        """
        if self.source is None:
            raise PlannerError("model.no_source")
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        new_rad = np.maximum(
            self.radius[rows], np.broadcast_to(np.asarray(radius, dtype=np.float64), rows.shape)
        )
        grow_mask = np.zeros(self.n_demand, dtype=bool)
        grow_mask[rows] = True
        keep = ~grow_mask[self.rows]
        r_new, c_new, d_new = self.source.within(rows, new_rad)
        radius_all = self.radius.copy()
        radius_all[rows] = new_rad
        return CostMatrix.from_coo(
            np.concatenate([self.rows[keep], r_new]),
            np.concatenate([self.indices[keep], c_new]),
            np.concatenate([self.data[keep], d_new]),
            self.n_demand,
            self.n_sites,
            radius=radius_all,
            source=self.source,
        )

    # ------------------------------------------------------------------ exact answers

    def next_distance(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Lower bound on the cost from each row to any allowed site it does not list.

        With a source this is exact-or-lower: the ``(count+1)``-th nearest allowed
        site. Whatever set of ``count`` sites a row lists, the nearest site outside it
        is at least that far (at most ``count`` sites can be strictly nearer), so the
        bound holds even if float rounding made the list differ from the true
        ``count`` nearest. Without a source, unlisted pairs are unusable: ``inf``.
        """
        rows = np.arange(self.n_demand) if rows is None else np.asarray(rows, dtype=np.int64)
        if self.source is None:
            return np.full(rows.shape, np.inf)
        counts = self.row_counts[rows]
        out = np.full(rows.shape, np.inf)
        todo = counts < self.n_sites
        out[todo] = self.source.kth_distance(rows[todo], counts[todo] + 1)
        return out

    def columns(self, sites: np.ndarray | Sequence[int]) -> np.ndarray:
        """Dense ``(n_demand, len(sites))`` costs to a few ``sites``.

        Exact (also beyond the listed pairs) with a source that offers
        :meth:`SiteDistanceSource.columns`; otherwise listed pairs only and ``inf``
        for the rest, matching what the models may use.
        """
        sites = np.asarray(sites, dtype=np.int64)
        columns = getattr(self.source, "columns", None)
        if columns is not None:
            return np.asarray(columns(sites), dtype=np.float64)
        out = np.full((self.n_demand, sites.size), np.inf)
        where = np.full(self.n_sites, -1, dtype=np.int64)
        where[sites] = np.arange(sites.size)
        k = where[self.indices]
        hit = k >= 0
        out[self.rows[hit], k[hit]] = self.data[hit]
        return out

    def nearest_open(self, open_sites: np.ndarray | Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """True nearest open site and its cost for every demand point.

        Uses the source when there is one (exact, also beyond the listed pairs);
        otherwise the nearest *listed* open site. ``-1`` / ``inf`` when none.
        """
        open_sites = np.asarray(open_sites, dtype=np.int64)
        if self.source is not None:
            return self.source.nearest(open_sites)
        return self.nearest_listed(open_sites)

    def nearest_listed(
        self, open_sites: np.ndarray | Sequence[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest *listed* open site and its cost for every demand point (``-1`` / ``inf``
        when a row lists none), whatever the source knows beyond the lists."""
        is_open = np.zeros(self.n_sites, dtype=bool)
        is_open[open_sites] = True
        hit = is_open[self.indices]
        site = np.full(self.n_demand, -1)
        dist = np.full(self.n_demand, np.inf)
        # Rows are sorted by cost, so the first open hit per row is the nearest.
        rows_hit = self.rows[hit]
        first = np.ones(rows_hit.size, dtype=bool)
        first[1:] = rows_hit[1:] != rows_hit[:-1]
        pos = np.flatnonzero(hit)[first]
        site[rows_hit[first]] = self.indices[pos]
        dist[rows_hit[first]] = self.data[pos]
        return site, dist


def sparse_distances(
    demand_xy: np.ndarray,
    site_xy: np.ndarray,
    radius: float | np.ndarray,
    circuity: float = 1.0,
) -> CostMatrix:
    """All (demand, site) pairs with ``circuity x straight-line distance <= radius``.

    Parameters
    ----------
    demand_xy, site_xy
        Coordinates in a local metric CRS (metres), shape ``(n, 2)`` and ``(m, 2)``.
    radius
        Cost radius in metres, scalar or one per demand point (urban vs rural).
    circuity
        Road/straight-line factor; the radius applies to the *cost*.

    Returns
    -------
    CostMatrix
        Rows complete up to ``radius``, with a :class:`PointSource` so models can grow
        rows and compute exact nearest open sites.
    """
    source = PointSource(demand_xy, site_xy, circuity)
    n = source.n_demand
    rad = np.broadcast_to(np.asarray(radius, dtype=np.float64), (n,)).copy()
    if np.any(rad < 0) or np.any(np.isnan(rad)):
        raise PlannerError("model.negative_values", what="radius")
    rows, cols, dist = source.within(np.arange(n), rad)
    return CostMatrix.from_coo(rows, cols, dist, n, source.n_sites, radius=rad, source=source)


def sparse_knn(
    demand_xy: np.ndarray,
    site_xy: np.ndarray,
    k: int,
    circuity: float = 1.0,
    min_radius: float = 0.0,
) -> CostMatrix:
    """The ``k`` nearest sites of every demand point, plus ties, as complete rows.

    Each row's radius is its k-th nearest cost (at least ``min_radius``), and every
    site within that radius is listed, so rows stay "complete up to radius".
    """
    source = PointSource(demand_xy, site_xy, circuity)
    n = source.n_demand
    k = int(min(max(k, 1), source.n_sites))
    rad = source.kth_distance(np.arange(n), np.full(n, k))
    rad = np.maximum(rad, min_radius)
    rows, cols, dist = source.within(np.arange(n), rad)
    return CostMatrix.from_coo(rows, cols, dist, n, source.n_sites, radius=rad, source=source)


def source_within(source: SiteDistanceSource, radius: float | np.ndarray) -> CostMatrix:
    """Every pair within ``radius`` (scalar or per row) of any distance source.

    The generic form of :func:`sparse_distances`: rows are complete up to ``radius``
    and the source is attached so the models can grow rows.
    """
    n = int(source.n_demand)
    rad = np.broadcast_to(np.asarray(radius, dtype=np.float64), (n,)).copy()
    if np.any(rad < 0) or np.any(np.isnan(rad)):
        raise PlannerError("model.negative_values", what="radius")
    rows, cols, dist = source.within(np.arange(n), rad)
    return CostMatrix.from_coo(rows, cols, dist, n, int(source.n_sites), radius=rad, source=source)


def source_knn(source: SiteDistanceSource, k: int, min_radius: float = 0.0) -> CostMatrix:
    """The ``k`` nearest sites of every row (plus ties) from any distance source.

    The generic form of :func:`sparse_knn`. A row that reaches fewer than ``k`` sites
    lists all it reaches and is complete (radius ``inf``).
    """
    n, m = int(source.n_demand), int(source.n_sites)
    k = int(min(max(k, 1), max(m, 1)))
    rad = source.kth_distance(np.arange(n), np.full(n, k))
    rad = np.maximum(rad, min_radius)
    rows, cols, dist = source.within(np.arange(n), rad)
    return CostMatrix.from_coo(rows, cols, dist, n, m, radius=rad, source=source)
