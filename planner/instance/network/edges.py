"""A mode's usable road edges as arrays: weights, geometry, components, CSR adjacency."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from planner.i18n import PlannerError
from planner.instance.network.modes import _NO_DRIVE, _NO_WALK, _edge_speed_kph, _road_class

if TYPE_CHECKING:
    from planner.instance.network.graph import RoadNetwork

__all__: list[str] = []


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
