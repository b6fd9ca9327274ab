"""Road-network distances for the Wenzhou default scenario: ``python benchmarks/network.py``.

Uses the team's Wenzhou road lines (``../shared/reference-data/roads``, 53,744 lines,
WGS84, no road class; benchmark and test use only) and reports:

* graph build time (reading the lines, noding them into a routable graph, the walk
  and drive edge tables) and the network's size and connectivity;
* snapping statistics of the demand points, station candidates and sorting-centre
  candidates of the default scenario (EPSG:32651), as the pipeline snaps them (onto
  the main parts of the network), with the off-network fallback counts;
* the time to build the sparse network cost matrices: the walking oracle
  (:func:`planner.instance.network.road_distances`), the station tier's initial p-median lists
  as :mod:`planner.run` builds them, and all pairs within the 2 km rural coverage
  radius (what MCLP / set cover list);
* the station-tier time in network mode (distances + matrix + solve, as in
  ``run_plan``) against the straight-line station tier, run here and as committed in
  ``benchmarks/results/engine.csv`` (target: within 2x);
* the sorting-centre tier on driving distances (complete station x candidate rows by
  reverse Dijkstra, then the solve), for information;
* the CLI end to end in network mode (``python -m planner plan``, the road file stored
  with the region in a temporary ``PLANNER_HOME``): wall time and peak RSS.

Prints the figures as they come and writes ``network.md`` and ``network.csv`` (date,
machine, figures) to ``--out`` (default ``benchmarks/results``). Skips with a message
when the road file is absent. Not a test. Options: ``--out DIR``, ``--no-centres``,
``--no-cli``, ``--repeats N`` (station-tier runs, default 3; the median is reported).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ROADS = ROOT.parent / "shared" / "reference-data" / "roads" / "wenzhou_roads_wangshanbo.geojson"
ENGINE_CSV = ROOT / "benchmarks" / "results" / "engine.csv"


class Figures:
    """(section, figure, value, note) rows, printed as they come."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []
        self.section = ""

    def start(self, section: str) -> None:
        self.section = section
        print(f"\n{section}", flush=True)

    def add(self, figure: str, value: str, note: str = "") -> None:
        self.rows.append((self.section, figure, value, note))
        print(f"  {figure}: {value}" + (f"  ({note})" if note else ""), flush=True)


def _engine_station_seconds() -> float | None:
    """Median straight-line station-tier time for Wenzhou in the committed engine run."""
    try:
        with ENGINE_CSV.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["city"] == "wenzhou" and row["run"] == "median":
                    return float(row["stations_s"])
    except (OSError, KeyError, ValueError):
        return None
    return None


def _snap_line(summary: dict, what: str) -> str:
    s = summary["snap"] if what == "points" else summary["site_snap"]
    return f"median {s['median_m']:,.0f} m, p95 {s['p95_m']:,.0f} m, max {s['max_m']:,.0f} m"


def _tier(sol) -> str:
    r = sol.result
    gap = "n/a" if r.gap is None else f"{100 * r.gap:.2f} %"
    return f"{r.status}, gap {gap}, {getattr(r, 'rounds', '-')} rounds"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--no-centres", action="store_true", help="skip the centre tier")
    ap.add_argument("--no-cli", action="store_true", help="skip the end-to-end CLI run")
    ap.add_argument("--repeats", type=int, default=3, help="station-tier runs (median)")
    args = ap.parse_args()
    if not ROADS.exists():
        print(f"SKIP: Wenzhou road lines not available at {ROADS}")
        return 0

    import geopandas as gpd
    from engine import _machine

    from planner.instance import build_instance
    from planner.instance.distance import source_within
    from planner.instance.network import (
        FAR_FROM_ROAD_M,
        MIN_COMPONENT_SHARE,
        OFF_NETWORK_M,
        RoadNetwork,
        road_distances,
    )
    from planner.run import (
        _station_matrix,
        centre_distances,
        solve_centres,
        solve_stations,
    )
    from planner.scenario import default_scenario

    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    machine = _machine()
    f = Figures()

    # ------------------------------------------------------------------ graph
    f.start("Graph build")
    t = time.perf_counter()
    lines = gpd.read_file(ROADS)
    f.add("read road lines", f"{time.perf_counter() - t:.1f} s", f"{len(lines):,} lines")
    t = time.perf_counter()
    net = RoadNetwork.from_lines(lines, crs="wgs84", metric_crs="EPSG:32651")
    build_s = time.perf_counter() - t
    f.add("node lines into a graph", f"{build_s:.1f} s", "shapely union on a 1 cm grid")
    t = time.perf_counter()
    net._table("walk")
    net._table("drive")
    f.add("walk + drive edge tables", f"{time.perf_counter() - t:.1f} s")
    s = net.summary("walk")
    f.add("nodes / edges", f"{s['nodes']:,} / {s['edges']:,}")
    f.add("road length (walk)", f"{s['road_km']:,.0f} km")
    f.add(
        "connected parts",
        f"{s['components']:,}",
        f"largest holds {100 * s['largest_component_share']:.1f} % of road length",
    )
    f.add("drivable length with known speeds", f"{100 * net.known_speed_share():.0f} %")

    # ------------------------------------------------------------------ snapping
    straight_sc = default_scenario("wenzhou")
    network_sc = straight_sc.with_changes(distance_mode="network")
    inst = build_instance("wenzhou", straight_sc)
    inst_net = dataclasses.replace(
        inst, scenario=network_sc, network=net, network_info={"name": ROADS.name}
    )
    dxy = inst.demand[["x", "y"]].to_numpy(dtype=float)
    sxy = inst.stations[["x", "y"]].to_numpy(dtype=float)
    cxy = inst.centres[["x", "y"]].to_numpy(dtype=float)
    f.start(
        f"Snapping (onto parts with >= {100 * MIN_COMPONENT_SHARE:g} % of the road length; "
        f"far > {FAR_FROM_ROAD_M:.0f} m, off-network > {OFF_NETWORK_M:.0f} m)"
    )
    f.add("demand points / station candidates / centre candidates",
          f"{len(dxy):,} / {len(sxy):,} / {len(cxy):,}")  # fmt: skip
    t = time.perf_counter()
    sdist = road_distances(
        net, dxy, sxy, "walk", circuity=straight_sc.circuity,
        base_radius=float(inst.demand["radius_m"].max()),
    )  # fmt: skip
    walk_oracle_s = time.perf_counter() - t
    ws = sdist.summary()
    f.add("demand snap distance", _snap_line(ws, "points"))
    f.add(
        "demand points off the network (straight x circuity)",
        f"{ws['fallback']:,}",
        f"{ws['unreachable']:,} of them near a road but reaching no candidate",
    )
    f.add("demand points far from a road (on the network)", f"{ws['far_from_road']:,}")
    f.add("station candidate snap distance", _snap_line(ws, "sites"))
    f.add(
        "station candidates far from a road / off the network",
        f"{ws['sites_far_from_road']:,} / {ws['sites_off_network']:,}",
    )
    cs = net.snap(cxy, "drive", FAR_FROM_ROAD_M, MIN_COMPONENT_SHARE)
    st = cs.stats()
    f.add(
        "centre candidate snap distance (drive)",
        f"median {st['median_m']:,.0f} m, p95 {st['p95_m']:,.0f} m, max {st['max_m']:,.0f} m",
        f"{st['too_far']:,} more than {FAR_FROM_ROAD_M:.0f} m",
    )

    # ------------------------------------------------------------------ matrices
    f.start("Sparse network cost matrices (walk, demand x station candidates)")
    f.add(
        "walking oracle: snap, augmented CSR graph, reachability",
        f"{walk_oracle_s:.1f} s",
    )
    p = straight_sc.stations.count
    t = time.perf_counter()
    cm = _station_matrix(inst_net, sdist, p)
    f.add(
        "station tier initial lists (k nearest, as run_plan)",
        f"{time.perf_counter() - t:.1f} s",
        f"{cm.nnz:,} pairs, median {np.median(cm.row_counts):.0f} per point",
    )
    radius = inst.demand["radius_m"].to_numpy(dtype=float)
    t = time.perf_counter()
    cover_dist = road_distances(
        net, dxy, sxy, "walk", circuity=straight_sc.circuity, base_radius=200.0
    )
    cover = source_within(cover_dist.source, np.full(len(dxy), float(radius.max())))
    cover_s = time.perf_counter() - t
    network_rows = ~cover_dist.fallback
    straight = np.hypot(*(dxy[cover.rows] - sxy[cover.indices]).T)
    on_net = network_rows[cover.rows] & (straight >= 200.0)
    ratio = cover.data[on_net] / straight[on_net]
    f.add(
        "oracle + all pairs within 2 km (bounded multi-source Dijkstra)",
        f"{cover_s:.1f} s",
        f"{cover.nnz:,} pairs; network / straight median {np.median(ratio):.2f}, "
        f"p90 {np.percentile(ratio, 90):.2f} (pairs >= 200 m apart)",
    )
    del cover, cover_dist

    # ------------------------------------------------------------------ station tier
    f.start(
        f"Station tier ({straight_sc.stations.objective}, p = {p:,}; {args.repeats} runs "
        "each, network and straight line alternating)"
    )
    net_times, line_times = [], []
    for run in range(1, args.repeats + 1):
        t = time.perf_counter()
        sdist2 = road_distances(
            net, dxy, sxy, "walk", circuity=straight_sc.circuity,
            base_radius=float(inst.demand["radius_m"].max()),
        )  # fmt: skip
        d_s = time.perf_counter() - t
        t = time.perf_counter()
        net_sol, _ = solve_stations(inst_net, sdist2)
        solve_s = time.perf_counter() - t
        net_times.append(d_s + solve_s)
        f.add(
            f"run {run}: network (distances + matrix + solve)",
            f"{d_s + solve_s:.1f} s",
            f"distances {d_s:.1f} s; {_tier(net_sol)}",
        )
        t = time.perf_counter()
        line_sol, _ = solve_stations(inst)
        line_times.append(time.perf_counter() - t)
        f.add(f"run {run}: straight line x 1.3", f"{line_times[-1]:.1f} s", _tier(line_sol))
    network_tier, line_s = float(np.median(net_times)), float(np.median(line_times))
    f.add("median: network station tier", f"{network_tier:.1f} s")
    f.add("median: straight-line station tier, this run", f"{line_s:.1f} s")
    f.add("median ratio network / straight line, this run", f"{network_tier / line_s:.2f}")
    engine = _engine_station_seconds()
    if engine:
        verdict = "met" if network_tier <= 2 * engine else "NOT met"
        f.add(
            "target: network tier <= 2 x engine straight-line tier",
            f"{network_tier:.1f} s vs 2 x {engine:.1f} s = {2 * engine:.1f} s: {verdict}",
            "engine.csv median (measured at another time; the box is shared)",
        )
    same = np.intersect1d(net_sol.sites, line_sol.sites).size
    f.add("sites in common with the straight-line plan", f"{same:,} of {p:,}")
    w = inst.demand["population"].to_numpy(dtype=float)
    on = ~sdist2.fallback
    f.add(
        "population-weighted walk to the station (network rows)",
        f"{np.average(net_sol.distance[on], weights=w[on]):,.0f} m",
        f"straight-line plan on the same rows: "
        f"{np.average(line_sol.distance[on], weights=w[on]):,.0f} m (x 1.3)",
    )

    # ------------------------------------------------------------------ centre tier
    if not args.no_centres:
        f.start("Sorting-centre tier (drive, complete station x candidate rows)")
        chosen = np.asarray(net_sol.sites, dtype=np.int64)
        tonnage = np.bincount(
            np.asarray(net_sol.assignment),
            weights=inst.demand["tonnage_t_per_day"].to_numpy(dtype=float),
            minlength=len(sxy),
        )[chosen]
        t = time.perf_counter()
        cdist = centre_distances(inst_net, chosen)
        c_d = time.perf_counter() - t
        c = cdist.summary()
        f.add(
            "driving distances (reverse Dijkstra per candidate)",
            f"{c_d:.1f} s",
            f"{len(chosen):,} x {len(cxy):,}; {c['fallback']:,} stations off the network",
        )
        t = time.perf_counter()
        csol = solve_centres(inst_net, chosen, tonnage, cdist)
        f.add("network: solve", f"{time.perf_counter() - t:.1f} s", _tier(csol))
        t = time.perf_counter()
        lsol = solve_centres(inst, chosen, tonnage)
        f.add("straight line x 1.3: solve", f"{time.perf_counter() - t:.1f} s", _tier(lsol))

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    f.start("This benchmark process")
    f.add("peak RSS", f"{peak:,.0f} MiB", "graph, several oracles and both plans held at once")
    if not args.no_cli:
        _cli(f, network_sc)
    _write(Path(args.out), started, machine, f.rows)
    return 0


def _cli(f: Figures, scenario) -> None:
    """``python -m planner plan`` in network mode, with the road file stored with the
    region in a temporary ``PLANNER_HOME`` (outside the repository)."""
    import os
    import subprocess
    import tempfile

    from planner.data.roads import save_road_file

    f.start("End to end: python -m planner plan --region wenzhou (network mode)")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PLANNER_HOME": tmp}
        old = os.environ.get("PLANNER_HOME")
        os.environ["PLANNER_HOME"] = tmp
        try:
            save_road_file("wenzhou", ROADS)
        finally:
            if old is None:
                os.environ.pop("PLANNER_HOME")
            else:
                os.environ["PLANNER_HOME"] = old
        path = Path(tmp) / "network.yaml"
        scenario.save(path)
        cmd = [sys.executable, "-m", "planner", "--lang", "en", "plan", "--region", "wenzhou",
               "--scenario", str(path), "--out", str(Path(tmp) / "out")]  # fmt: skip
        with tempfile.TemporaryFile("w+") as out:
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            code, mib = os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024
            out.seek(0)
            text = out.read()
    f.add("CLI wall time", f"{wall:.1f} s", "start to exit: imports, graph build, both tiers")
    f.add("CLI peak RSS", f"{mib:,.0f} MiB", f"exit status {code}")
    for line in text.splitlines():
        if line.startswith("  ") and not line.startswith("    "):  # tiers, not notes
            f.add("CLI tier", line.strip())


def _write(out: Path, started: str, machine: dict, rows: list) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "network.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["section", "figure", "value", "note"])
        writer.writerows(rows)
    lines = [
        "# Road-network distances: Wenzhou default scenario",
        "",
        f"Run {started} with `python benchmarks/network.py`.",
        "",
        f"- Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['ram']} RAM; load "
        f"average at start {machine['load']} (shared box: other jobs may run)",
        f"- Python {machine['python']}; {machine['packages']}",
        f"- Roads: `{ROADS.name}` (team reference data, not in the repository): road lines "
        "without class or direction, so walking and driving use the same lines and the "
        "centre tier uses driving distance.",
        "",
    ]
    section = None
    for sec, figure, value, note in rows:
        if sec != section:
            lines += ["", f"## {sec}", "", "| figure | value | note |", "|---|---|---|"]
            section = sec
        lines.append(f"| {figure} | {value} | {note} |")
    (out / "network.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"\nwritten: {out / 'network.md'}, {out / 'network.csv'}")


if __name__ == "__main__":
    raise SystemExit(main())
