"""Sparse road distances: a bounded multi-source Dijkstra on a CSR graph.

The road graph is turned once into a :mod:`scipy.sparse` CSR adjacency and
*augmented* with one virtual node per demand point (out-edges only, to the two ends
of its edge, weight = snap + part of the edge) and one per site (in-edges only), plus
a direct demand -> site edge when both sit on the same road edge. Virtual demand
nodes have no in-edges and site nodes no out-edges, so no path runs *through* them,
and the distance between two virtual nodes is exactly "snap + along the road +
snap". :func:`scipy.sparse.csgraph.dijkstra` with ``indices`` = the demand nodes
and ``limit`` = the cutoff then gives every pair within the cutoff and nothing else.

Why scipy and not ``networkx.single_source_dijkstra_path_length(cutoff=...)``:
both are bounded, but the networkx search is a Python heap loop with dict lookups
per settled node, while scipy's runs in compiled code; at city scale (thousands of
sources, each settling thousands of nodes within 2 km) the per-node cost decides.
The price of scipy is a dense ``(chunk, n_nodes)`` output per batch of sources;
sources are processed in batches capped at ~64 MB, and only the site columns are
kept. Exact nearest-open-site queries (:meth:`NetworkSource.nearest`) are a *single*
multi-source Dijkstra on the reversed graph from the open sites (``min_only=True``),
never a matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from planner.instance.distance import CostMatrix
from planner.instance.network.edges import _csr
from planner.instance.network.modes import (
    _DEFAULT_MAX_SNAP_M,
    ACCESS_SPEED_KPH,
    DIRECT_MAX_M,
    _check_mode,
    _points,
)
from planner.instance.network.snap import Snap, _direct_pairs

if TYPE_CHECKING:
    from planner.instance.network.graph import RoadNetwork

__all__ = ["NetworkSource", "network_cost_matrix", "network_source"]

_BATCH_BYTES = 64e6  # dense Dijkstra output per batch of sources


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
    :meth:`~planner.instance.network.RoadNetwork.source`; restricted views share the
    graph and search cache.

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
        (see :mod:`planner.instance.network.snap`; 0 = none).
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
