"""Scenario-sweep timings: ``python benchmarks/sweep.py``.

A Wenzhou sweep of 10 station counts (500 … 2,500, the default scenario otherwise) is
solved three times, with the same parallelism (``--workers``, default 2, the cores of
this machine):

* **sweep** — :func:`planner.sweep.run_sweep` as the command line runs it, on a fresh
  ``LocalCluster`` and a fresh database: each worker keeps the planner imported and
  the region loaded and reuses the instance of its earlier points (see "Warm starts"
  in :mod:`planner.sweep`);
* **sweep + starts** — the same with ``start_from_neighbours=True``: each point's
  solvers also start from the worker's solved plan with the nearest station count;
* **independent** — every point as its own ``python -m planner plan --scenario FILE
  --out DIR``, ``--workers`` at a time: interpreter start-up, imports, region loading
  and writing the plan folder included.

All keep every plan (the sweep zips it into the database, the CLI writes its folder).
Each point's time is split into *solve* (the tiers' own solver times) and *overhead*
(everything else). On a shared machine the load moves between the phases and the
solver times move with it, so the load average is printed for each phase. Writes
``sweep.csv`` (every point of every phase) and ``sweep.md`` to ``--out`` (default
``benchmarks/results``). Benchmarks print figures; they are not tests.

Options: ``--region`` (default wenzhou), ``--start/--stop/--points`` (500, 2500, 10),
``--workers N``, ``--skip-independent``, ``--skip-starts``, ``--out DIR``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import _machine  # noqa: E402 - benchmarks/ is not a package

FIELDS = (
    "mode", "stations", "seconds", "solve_s", "overhead_s", "warm", "instance_reused",
    "warm_start_from", "status", "objective", "gap", "coverage_share", "mean_distance_m",
)  # fmt: skip


def station_counts(start: int, stop: int, points: int) -> list[int]:
    """``points`` counts from ``start`` to ``stop``, evenly spaced, rounded to tens."""
    step = (stop - start) / max(points - 1, 1)
    return [int(round((start + i * step) / 10.0) * 10) for i in range(points)]


def run_sweep_once(
    region: str, counts: list[int], workers: int, tmp: Path, starts: bool = False
) -> tuple[float, list]:
    """The sweep on a fresh local cluster and database; total seconds and rows."""
    from planner.store import Store
    from planner.sweep import SweepDefinition, run_sweep

    definition = SweepDefinition.from_dict(
        {"name": f"{region} benchmark", "parameters": {"stations.count": counts}}, region=region
    )
    mode = "sweep+starts" if starts else "sweep"
    store = Store(tmp / f"{mode}.sqlite")

    def progress(event) -> None:
        if event.point is not None:
            p = event.point
            print(
                f"  {mode} [{event.finished}/{event.total}] {p.params['stations.count']:>5} "
                f"stations: {p.status}, {p.seconds or 0:.1f} s on its worker",
                flush=True,
            )

    started = time.perf_counter()
    run = run_sweep(
        definition, store, workers=workers, progress=progress, start_from_neighbours=starts
    )
    total = time.perf_counter() - started
    rows = []
    for p in store.sweep_points(definition.id):
        result = p.result or {}
        kpis = result.get("kpis", {})
        solve = sum(r.get("seconds") or 0.0 for r in result.get("results", []))
        rows.append(
            {
                "mode": mode,
                "stations": p.params["stations.count"],
                "seconds": p.seconds,
                "solve_s": solve,
                "overhead_s": (p.seconds or 0.0) - solve,
                "warm": result.get("warm"),
                "instance_reused": result.get("instance_reused"),
                "warm_start_from": result.get("warm_start_from"),
                "status": result.get("status", p.status),
                "objective": _objective(result),
                "gap": _gap(result),
                "coverage_share": kpis.get("coverage_share"),
                "mean_distance_m": kpis.get("mean_distance_m"),
            }
        )
    if not run.complete:
        print(f"  warning: {run.sweep.failed} points failed")
    return total, rows


def _objective(result: dict) -> float | None:
    """The station tier's objective (the part a warm start can change)."""
    tiers = [r for r in result.get("results", []) if r.get("tier") == "station"]
    return tiers[0].get("objective") if tiers else None


def _gap(result: dict) -> float | None:
    gaps = [r.get("gap") for r in result.get("results", []) if r.get("gap") is not None]
    return max(gaps) if gaps else None


def _independent_run(region: str, count: int, tmp: Path) -> dict:
    """One point as its own CLI process, timed from start to exit."""
    import json

    from planner.scenario import default_scenario

    scenario = default_scenario(region).with_changes(**{"stations.count": count})
    path = scenario.save(tmp / f"scenario-{count}.yaml")
    out = tmp / f"plan-{count}"
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "planner", "plan", "--region", region, "--scenario", str(path),
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"independent run for {count} stations failed:\n{proc.stderr}")
    kpis = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    print(f"  independent {count:>5} stations: {wall:.1f} s end to end", flush=True)
    statuses = [r.get("status") for r in kpis.get("results", [])]
    solve = sum(r.get("seconds") or 0.0 for r in kpis.get("results", []))
    return {
        "mode": "independent",
        "stations": count,
        "seconds": wall,
        "solve_s": solve,
        "overhead_s": wall - solve,
        "warm": False,
        "instance_reused": False,
        "warm_start_from": None,
        "status": "optimal" if all(s == "optimal" for s in statuses) else ",".join(statuses),
        "objective": _objective(kpis),
        "gap": _gap(kpis),
        "coverage_share": kpis["kpis"].get("coverage_share"),
        "mean_distance_m": kpis["kpis"].get("mean_distance_m"),
    }


def cluster_start_seconds(workers: int) -> float:
    """Start and stop a local cluster like :func:`planner.sweep.run_sweep` does, with
    the planner imported on each worker (what a sweep's first point pays)."""
    from planner.sweep import dask_client

    started = time.perf_counter()
    with dask_client(None, workers, 1) as client:
        client.run(__import__, "planner.run")
    return time.perf_counter() - started


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def run_independent(region: str, counts: list[int], workers: int, tmp: Path) -> tuple[float, list]:
    """Every point as an independent CLI run, ``workers`` at a time."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        rows = list(pool.map(lambda n: _independent_run(region, n, tmp), counts))
    return time.perf_counter() - started, rows


def _mean(rows: list[dict], key: str = "seconds", **match) -> float | None:
    values = [
        r[key] for r in rows if all(r.get(k) == v for k, v in match.items()) and r[key] is not None
    ]
    return statistics.fmean(values) if values else None


def _f(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def report(args, machine, started, counts, timing, rows) -> list:
    """The Markdown report."""
    n = len(counts)
    phases = [
        ("sweep", f"sweep on {args.workers} Dask workers (instances reused)"),
        ("sweep+starts", f"sweep on {args.workers} Dask workers, + starts from neighbours"),
        ("independent", f"independent CLI runs, {args.workers} at a time"),
    ]
    phases = [(mode, label) for mode, label in phases if mode in timing]
    lines = [
        "# Scenario sweep: Dask sweep, with starts from neighbours, and independent runs",
        "",
        f"Run {started} with `python benchmarks/sweep.py --region {args.region} "
        f"--workers {args.workers}`.",
        "",
        f"- Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['ram']} RAM; "
        f"load average at start {machine['load']} (shared box: other jobs may run)",
        f"- Python {machine['python']}; {machine['packages']}",
        f"- Sweep: {args.region}, default scenario with `stations.count` = "
        + ", ".join(f"{c:,}" for c in counts),
        "- Load average (1 min) at the start / end of each phase: "
        + "; ".join(f"{mode} {timing[mode]['load']}" for mode, _ in phases),
        f"- Local cluster start-up with the planner imported on {args.workers} workers: "
        f"{_f(timing['cluster_s'])} s (inside each sweep's total)",
        "",
        "| | total wall s | per point s (total / points) | mean point s | mean solve s | "
        "mean overhead s |",
        "|---|---|---|---|---|---|",
    ]
    for mode, label in phases:
        mine = [r for r in rows if r["mode"] == mode]
        total = timing[mode]["seconds"]
        lines.append(
            f"| {label} | {_f(total)} | {_f(total / n)} | {_f(_mean(mine))} | "
            f"{_f(_mean(mine, 'solve_s'))} | {_f(_mean(mine, 'overhead_s'), 2)} |"
        )
    lines.append("")
    base = timing.get("sweep", {}).get("seconds")
    for mode in ("sweep+starts", "independent"):
        if mode in timing and base is not None:
            other = timing[mode]["seconds"]
            verb = "saves" if other >= base else "costs"
            lines.append(
                f"- The sweep against {mode}: {verb} {_f(abs(other - base))} s in total "
                f"({abs(other - base) / other:.0%} of {_f(other)} s)."
            )
    if "independent" in timing:
        ind = [r for r in rows if r["mode"] == "independent"]
        total = sum(r["seconds"] or 0.0 for r in ind)
        lines.append(
            f"- Sum of the independent runs' own times (one after another): {_f(total)} s."
        )
    plain = {r["stations"]: r for r in rows if r["mode"] == "sweep"}
    started = {
        r["stations"]: r
        for r in rows
        if r["mode"] == "sweep+starts" and r.get("warm_start_from") is not None
    }
    both = [c for c in started if c in plain]
    if both:
        lines.append(
            f"- The {len(both)} points that started from a neighbouring plan: "
            f"{_f(sum(started[c]['solve_s'] for c in both))} s of solver time against "
            f"{_f(sum(plain[c]['solve_s'] for c in both))} s for the same points without."
        )
    lines += [
        "",
        "*solve* is the tiers' own solver time, *overhead* everything else a point costs "
        "on its worker (instance, indicators, zipping the plan) or, for independent "
        "runs, end to end (interpreter start-up, imports, region loading, writing the "
        "plan folder). *start from* is the station count whose plan the point started "
        "from. A start may end on another plan within the solver's gap, so objectives "
        "can differ slightly between modes; *gap* is the larger proven gap of the two "
        "tiers.",
        "",
        "## Points",
        "",
        "| stations | mode | seconds | solve s | overhead s | instance reused | start from | "
        "status | station objective | gap | coverage | mean distance m |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: (r["stations"], r["mode"])):
        cov, gap, start = r["coverage_share"], r.get("gap"), r.get("warm_start_from")
        lines.append(
            f"| {r['stations']:,} | {r['mode']} | {_f(r['seconds'])} | {_f(r['solve_s'])} | "
            f"{_f(r['overhead_s'], 2)} | {r.get('instance_reused')} | "
            f"{'—' if start is None else f'{start:,.0f}'} | {r['status']} | "
            f"{_f(r.get('objective'), 0)} | {'—' if gap is None else f'{gap:.2%}'} | "
            f"{'—' if cov is None else f'{cov:.1%}'} | {_f(r['mean_distance_m'], 0)} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="wenzhou")
    parser.add_argument("--start", type=int, default=500)
    parser.add_argument("--stop", type=int, default=2500)
    parser.add_argument("--points", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-independent", action="store_true")
    parser.add_argument("--skip-starts", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)

    machine = _machine()
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    print(f"{started}  {machine['nproc']} CPUs, {machine['cpu']}, {machine['ram']} RAM")
    print(f"load average at start: {machine['load']}")
    counts = station_counts(args.start, args.stop, args.points)
    timing: dict = {}
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        timing["cluster_s"] = cluster_start_seconds(args.workers)
        print(f"cluster start-up: {timing['cluster_s']:.1f} s", flush=True)
        phases = [("sweep", False)] + ([] if args.skip_starts else [("sweep+starts", True)])
        for mode, starts in phases:
            load = _load()
            seconds, mine = run_sweep_once(args.region, counts, args.workers, Path(tmp), starts)
            timing[mode] = {"seconds": seconds, "load": f"{load} / {_load()}"}
            rows += mine
            print(f"{mode}: {seconds:.1f} s for {len(counts)} points", flush=True)
        if not args.skip_independent:
            load = _load()
            seconds, mine = run_independent(args.region, counts, args.workers, Path(tmp))
            timing["independent"] = {"seconds": seconds, "load": f"{load} / {_load()}"}
            rows += mine
            print(f"independent runs: {seconds:.1f} s", flush=True)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "sweep.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    lines = report(args, machine, started, counts, timing, rows)
    (out / "sweep.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    first = next(i for i, line in enumerate(lines) if line.startswith("| |"))
    print("\n".join(lines[first : lines.index("## Points") - 1]))
    print(f"written {out / 'sweep.csv'} and {out / 'sweep.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
