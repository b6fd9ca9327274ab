"""Where points meet the road network: snapping and direct connectors.

Snapping
--------
Each point goes to the nearest point of the nearest usable edge (not merely the
nearest node: rural edges are kilometres long). The straight-line snap distance is
added to the cost at both ends and reported; points farther than ``max_snap_m``
(default 500 m) from any road are flagged ``too_far`` (still connected, so a plan
exists, but the planner is told).

Direct connectors
-----------------
The walk to the road is a straight line, so two points closer to each other than
the sum of their distances to the road are joined by a direct straight edge (at most
``direct_max_m``, default 2 km): a community and a station candidate on the same
spot cost 0, not twice the distance to the nearest mapped road. Points near roads are
never joined across a river this way (the bridge case): 110 m apart but 5 m from
their roads, they still go round by the bridge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from planner.i18n import PlannerError
from planner.instance.network.edges import _EdgeTable

__all__ = ["Snap"]


@dataclass(frozen=True, eq=False)
class Snap:
    """Where points meet the road network.

    Attributes
    ----------
    node
        Per point, the graph node (osmnx node id) nearest along its snapped edge.
    edge
        Per point, ``(u, v, key)`` of the snapped edge, shape ``(n, 3)``.
    fraction
        Position of the snap point along the edge from ``u`` (0..1).
    xy
        The snap point on the road, metres.
    distance_m
        Straight-line distance from the point to the road (added to every cost).
    too_far
        ``distance_m > max_snap_m``.
    max_snap_m
        The threshold used.
    """

    node: np.ndarray
    edge: np.ndarray
    fraction: np.ndarray
    xy: np.ndarray
    distance_m: np.ndarray
    too_far: np.ndarray
    max_snap_m: float
    _row: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, np.int64))

    @property
    def n_too_far(self) -> int:
        return int(self.too_far.sum())

    def stats(self) -> dict[str, float]:
        """Summary of snap distances (metres) for reports and benchmarks."""
        d = self.distance_m
        if d.size == 0:
            return {"count": 0}
        return {
            "count": int(d.size),
            "mean_m": float(d.mean()),
            "median_m": float(np.median(d)),
            "p95_m": float(np.percentile(d, 95)),
            "max_m": float(d.max()),
            "too_far": self.n_too_far,
        }

    def warning(self) -> PlannerError | None:
        """A bilingual ``network.too_far`` message when some point is flagged."""
        if not self.too_far.any():
            return None
        far = np.flatnonzero(self.too_far)
        return PlannerError(
            "network.too_far",
            count=int(far.size),
            limit=self.max_snap_m,
            worst=float(self.distance_m[far].max()),
            example=int(far[0]),
        )


def _snap_points(
    table: _EdgeTable,
    node_ids: np.ndarray,
    xy: np.ndarray,
    max_snap_m: float,
    min_component_share: float,
) -> Snap:
    """Snap ``xy`` onto the rows of ``table`` (see :meth:`RoadNetwork.snap`)."""
    pts = shapely.points(xy)
    if xy.shape[0] == 0:
        e = np.empty(0, np.int64)
        return Snap(e, np.empty((0, 3), np.int64), np.empty(0), np.empty((0, 2)),
                    np.empty(0), np.empty(0, bool), float(max_snap_m), e)  # fmt: skip
    # Nearest edge geometry (GEOS STRtree, the same query osmnx.distance.nearest_edges
    # runs, but built once per mode instead of once per call).
    rows, tree = table.snap_tree(float(min_component_share))
    (_, row), dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    if rows is not None:
        row = rows[row]
    geom = table.geom[row]
    along = shapely.line_locate_point(geom, pts)
    glen = shapely.length(geom)
    frac = np.where(glen > 0, along / np.where(glen > 0, glen, 1.0), 0.0)
    frac = np.clip(frac, 0.0, 1.0)
    snapped = shapely.get_coordinates(shapely.line_interpolate_point(geom, along))
    node_pos = np.where(frac <= 0.5, table.u[row], table.v[row])
    return Snap(
        node=node_ids[node_pos],
        edge=table.key[row],
        fraction=frac,
        xy=snapped,
        distance_m=np.asarray(dist, dtype=np.float64),
        too_far=np.asarray(dist) > max_snap_m,
        max_snap_m=float(max_snap_m),
        _row=np.asarray(row, dtype=np.int64),
    )


def _direct_pairs(
    dxy: np.ndarray, sxy: np.ndarray, d_snap: np.ndarray, s_snap: np.ndarray, cap: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs with ``|d - s| <= min(d_snap + s_snap, cap)`` and their straight distance.

    Such a pair is within twice the larger snap of either point, so two ball queries
    (from the demand side and from the site side) find every one.
    """
    from scipy.spatial import cKDTree

    parts_i, parts_j = [], []
    for src, dst, snap, flip in ((dxy, sxy, d_snap, False), (sxy, dxy, s_snap, True)):
        radius = np.minimum(2.0 * snap, cap)
        hits = cKDTree(dst).query_ball_point(src, r=radius)
        counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
        if counts.sum() == 0:
            continue
        a = np.repeat(np.arange(len(src)), counts)
        b = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits if len(h)])
        parts_i.append(b if flip else a)
        parts_j.append(a if flip else b)
    if not parts_i:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    key = np.unique(np.concatenate(parts_i) * len(sxy) + np.concatenate(parts_j))
    i, j = key // len(sxy), key % len(sxy)
    dist = np.hypot(*(dxy[i] - sxy[j]).T)
    ok = (dist <= d_snap[i] + s_snap[j]) & (dist <= cap)
    return i[ok], j[ok], dist[ok]
