"""Road-network distances on the full Wenzhou road lines (53,744 lines, WGS84).

Run: ``python benchmarks/network.py [--cutoff 2000] [--p 300] [--no-solve]``

Reports graph build time, snapping statistics for the Wenzhou demand points and
station candidates (``planner.pipeline.build_instance``, EPSG:32651), the time to build
the sparse network cost matrix at the cutoff, and optionally a p-median solve on it
compared with the straight-line plan. Skips with a message when the road file
(``../shared/reference-data/roads``) is absent. Not a test.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ROADS = ROOT.parent / "shared" / "reference-data" / "roads" / "wenzhou_roads_wangshanbo.geojson"


class _Rows(list):
    """Table rows, also printed as they come (a solve can take minutes)."""

    def append(self, row: tuple[str, str]) -> None:
        super().append(row)
        print(f"  .. {row[0]}: {row[1]}", flush=True)


def _table(rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cutoff", type=float, default=2000.0, help="cost cutoff, metres")
    ap.add_argument("--p", type=int, default=None, help="stations (default: scenario's)")
    ap.add_argument("--no-solve", action="store_true", help="skip the p-median solve")
    ap.add_argument("--time-limit", type=float, default=300.0)
    args = ap.parse_args()
    if not ROADS.exists():
        print(f"SKIP: Wenzhou road lines not available at {ROADS}")
        return 0

    import geopandas as gpd

    from planner.network import RoadNetwork
    from planner.pipeline import build_instance
    from planner.scenario import default_scenario

    rows: list[tuple[str, str]] = _Rows()
    t = time.perf_counter()
    lines = gpd.read_file(ROADS)
    rows.append(("read road lines", f"{time.perf_counter() - t:.1f} s ({len(lines):,} lines)"))
    t = time.perf_counter()
    net = RoadNetwork.from_lines(lines, crs="wgs84", metric_crs="EPSG:32651")
    rows.append(("build graph (noding)", f"{time.perf_counter() - t:.1f} s"))
    t = time.perf_counter()
    s = net.summary("walk")
    rows.append(("walk edge table", f"{time.perf_counter() - t:.1f} s"))
    rows.append(("nodes / edges", f"{s['nodes']:,} / {s['edges']:,}"))
    rows.append(("walkable road", f"{s['road_km']:,.0f} km"))
    rows.append(
        (
            "components",
            f"{s['components']:,} (largest holds {100 * s['largest_component_share']:.1f}% "
            "of nodes)",
        )
    )

    scenario = default_scenario("wenzhou")
    inst = build_instance("wenzhou", scenario)
    dxy = inst.demand[["x", "y"]].to_numpy(dtype=float)
    sxy = inst.stations[["x", "y"]].to_numpy(dtype=float)
    rows.append(("demand / candidates", f"{len(dxy):,} / {len(sxy):,}"))
    for label, pts in (("demand snap", dxy), ("candidate snap", sxy)):
        t = time.perf_counter()
        snap = net.snap(pts, "walk")
        st = snap.stats()
        rows.append(
            (
                label,
                f"median {st['median_m']:.0f} m, p95 {st['p95_m']:.0f} m, max "
                f"{st['max_m']:.0f} m, > 500 m: {st['too_far']:,} "
                f"({time.perf_counter() - t:.2f} s)",
            )
        )

    tracemalloc.start()
    t = time.perf_counter()
    cm = net.cost_matrix(dxy, sxy, args.cutoff, "walk")
    build_s = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    counts = cm.row_counts
    rows.append(
        (
            f"cost matrix @ {args.cutoff:.0f} m",
            f"{build_s:.1f} s, {cm.nnz:,} pairs, peak {peak:.0f} MB (Python allocations)",
        )
    )
    rows.append(
        (
            "pairs per demand point",
            f"median {np.median(counts):.0f}, empty rows {int((counts == 0).sum()):,}",
        )
    )
    straight = np.hypot(*(dxy[cm.rows] - sxy[cm.indices]).T)
    apart = straight >= 200.0  # co-located pairs only measure the two snaps
    ratio = cm.data[apart] / straight[apart]
    rows.append(
        (
            "network / straight",
            f"median {np.median(ratio):.2f}, p90 {np.percentile(ratio, 90):.2f} "
            f"(pairs >= 200 m apart: {int(apart.sum()):,})",
        )
    )
    t = time.perf_counter()
    k5 = cm.source.kth_distance(np.arange(len(dxy)), np.full(len(dxy), 5))
    rows.append(
        (
            "5th-nearest (grow path)",
            f"{time.perf_counter() - t:.1f} s, unreachable rows {int(np.isinf(k5).sum()):,}",
        )
    )

    if not args.no_solve:
        from planner.models.stations import PMedian
        from planner.solve import SolverOptions

        w = inst.demand["population"].to_numpy(dtype=float)
        p = args.p or min(len(sxy) // 4, 400)
        reach = np.isfinite(cm.source.kth_distance(np.arange(len(dxy)), np.ones(len(dxy), int)))
        opts = SolverOptions(time_limit_s=args.time_limit)
        t = time.perf_counter()
        sol = PMedian.from_cost_matrix(cm, p, np.where(reach, w, 0.0)).solve(opts)
        net_s = time.perf_counter() - t
        rows.append(
            (
                f"p-median network p={p}",
                f"{sol.status}, {net_s:.1f} s, {sol.result.rounds} rounds, gap "
                f"{'n/a' if sol.gap is None else f'{100 * sol.gap:.3g}%'} "
                f"(rows reaching no site weight 0: "
                f"{int((~reach).sum()):,})",
            )
        )
        t = time.perf_counter()
        line = PMedian.from_points(dxy, sxy, p, np.where(reach, w, 0.0)).solve(opts)
        rows.append(("p-median straight", f"{line.status}, {time.perf_counter() - t:.1f} s"))
        same = np.intersect1d(sol.sites, line.sites).size
        rows.append(("sites in common", f"{same:,} of {p:,}"))
        served = np.isfinite(sol.distance) & reach
        rows.append(
            (
                "mean network distance",
                f"{np.average(sol.distance[served], weights=w[served]):.0f} m "
                "(population-weighted)",
            )
        )

    print("\nWenzhou road network (walk mode)")
    _table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
