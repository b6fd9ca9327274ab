"""Scenario-sweep timings: ``python benchmarks/sweep.py``.

A Wenzhou sweep of 10 station counts (500 … 2,500, the default scenario otherwise) is
solved twice, with the same parallelism (``--workers``, default 2, the cores of this
machine):

* **sweep** — :func:`planner.sweep.run_sweep` on a fresh ``LocalCluster`` and a fresh
  database: total wall time (cluster start included) and each point's time on its
  worker, cold (first point of a worker process) or warm (the worker has the planner
  imported and the region loaded, see "Warm starts" in :mod:`planner.sweep`);
* **independent** — every point as its own ``python -m planner plan --scenario FILE
  --out DIR``, ``--workers`` at a time: total wall time and each run's wall time
  (interpreter start-up, imports, region loading and writing the plan included).

Both keep every plan (the sweep zips it into the database, the CLI writes its folder).
Each point's time is split into *solve* (the tiers' own solver times, the same work in
both modes) and *overhead* (everything else: interpreter, imports, region, instance,
indicators, writing the plan). On a shared machine the load moves between the two
phases and the solver times move with it, so the saving of warm starts is reported
twice: as the difference of the totals, and — steadier — as the difference of the
summed overheads less the local cluster's start-up (timed on its own). Writes
``sweep.csv`` (every point of both) and ``sweep.md`` to ``--out`` (default
``benchmarks/results``). Benchmarks print figures; they are not tests.

Options: ``--region`` (default wenzhou), ``--start/--stop/--points`` (500, 2500, 10),
``--workers N``, ``--skip-independent``, ``--out DIR``.
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
    "mode", "stations", "seconds", "solve_s", "overhead_s", "warm", "status",
    "coverage_share", "mean_distance_m",
)  # fmt: skip


def station_counts(start: int, stop: int, points: int) -> list[int]:
    """``points`` counts from ``start`` to ``stop``, evenly spaced, rounded to tens."""
    step = (stop - start) / max(points - 1, 1)
    return [int(round((start + i * step) / 10.0) * 10) for i in range(points)]


def run_sweep_once(region: str, counts: list[int], workers: int, tmp: Path) -> tuple[float, list]:
    """The sweep on a fresh local cluster and database; total seconds and rows."""
    from planner.store import Store
    from planner.sweep import SweepDefinition, run_sweep

    definition = SweepDefinition.from_dict(
        {"name": f"{region} benchmark", "parameters": {"stations.count": counts}}, region=region
    )
    store = Store(tmp / "bench.sqlite")

    def progress(event) -> None:
        if event.point is not None:
            p = event.point
            print(
                f"  sweep [{event.finished}/{event.total}] {p.params['stations.count']:>5} "
                f"stations: {p.status}, {p.seconds or 0:.1f} s on its worker",
                flush=True,
            )

    started = time.perf_counter()
    run = run_sweep(definition, store, workers=workers, progress=progress)
    total = time.perf_counter() - started
    rows = []
    for p in store.sweep_points(definition.id):
        result = p.result or {}
        kpis = result.get("kpis", {})
        solve = sum(r.get("seconds") or 0.0 for r in result.get("results", []))
        rows.append(
            {
                "mode": "sweep",
                "stations": p.params["stations.count"],
                "seconds": p.seconds,
                "solve_s": solve,
                "overhead_s": (p.seconds or 0.0) - solve,
                "warm": result.get("warm"),
                "status": result.get("status", p.status),
                "coverage_share": kpis.get("coverage_share"),
                "mean_distance_m": kpis.get("mean_distance_m"),
            }
        )
    if not run.complete:
        print(f"  warning: {run.sweep.failed} points failed")
    return total, rows


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
        "status": "optimal" if all(s == "optimal" for s in statuses) else ",".join(statuses),
        "coverage_share": kpis["kpis"].get("coverage_share"),
        "mean_distance_m": kpis["kpis"].get("mean_distance_m"),
    }


def cluster_start_seconds(workers: int) -> float:
    """Start and stop a local cluster like :func:`planner.sweep.run_sweep` does, with
    the planner imported on each worker (what a sweep's first point pays)."""
    import logging

    from distributed import Client, LocalCluster

    started = time.perf_counter()
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
            silence_logs=logging.CRITICAL,
        ) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        client.run(__import__, "planner.pipeline")
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


def _sum(rows: list[dict], key: str) -> float:
    return sum(r[key] or 0.0 for r in rows)


def _f(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def report(args, machine, started, counts, timing, sweep_rows, ind_rows) -> list:
    """The Markdown report."""
    n = len(counts)
    sweep_total, ind_total = timing["sweep_s"], timing["independent_s"]
    lines = [
        "# Scenario sweep: warm workers against independent runs",
        "",
        f"Run {started} with `python benchmarks/sweep.py --region {args.region} "
        f"--workers {args.workers}`.",
        "",
        f"- Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['ram']} RAM; "
        f"load average at start {machine['load']} (shared box: other jobs may run)",
        f"- Python {machine['python']}; {machine['packages']}",
        f"- Sweep: {args.region}, default scenario with `stations.count` = "
        + ", ".join(f"{c:,}" for c in counts),
        f"- Load average (1 min) at the start / end of each phase: sweep "
        f"{timing['sweep_load']}, independent runs {timing['independent_load']}",
        f"- Local cluster start-up with the planner imported on {args.workers} workers: "
        f"{_f(timing['cluster_s'])} s",
        "",
        "| | total wall s | per point s (total / points) | mean point s | mean solve s | "
        "mean overhead s | cold overhead s | warm overhead s |",
        "|---|---|---|---|---|---|---|---|",
        f"| sweep on {args.workers} Dask workers | {_f(sweep_total)} | {_f(sweep_total / n)} | "
        f"{_f(_mean(sweep_rows))} | {_f(_mean(sweep_rows, 'solve_s'))} | "
        f"{_f(_mean(sweep_rows, 'overhead_s'), 2)} | "
        f"{_f(_mean(sweep_rows, 'overhead_s', warm=False), 2)} | "
        f"{_f(_mean(sweep_rows, 'overhead_s', warm=True), 2)} |",
    ]
    if ind_rows:
        saving = ind_total - sweep_total
        overhead = _sum(ind_rows, "overhead_s") - _sum(sweep_rows, "overhead_s")
        overhead -= timing["cluster_s"]
        lines += [
            f"| independent CLI runs, {args.workers} at a time | {_f(ind_total)} | "
            f"{_f(ind_total / n)} | {_f(_mean(ind_rows))} | {_f(_mean(ind_rows, 'solve_s'))} | "
            f"{_f(_mean(ind_rows, 'overhead_s'), 2)} | "
            f"{_f(_mean(ind_rows, 'overhead_s'), 2)} | — |",
            "",
            f"- Difference of the totals (independent − sweep): {_f(saving)} s "
            f"({saving / ind_total:.0%} of {_f(ind_total)} s); it includes any change of "
            "the solver times between the phases.",
            f"- Saving of warm starts on overheads: {_f(overhead)} s of CPU-side work "
            f"(Σ independent overhead {_f(_sum(ind_rows, 'overhead_s'))} s − Σ sweep "
            f"overhead {_f(_sum(sweep_rows, 'overhead_s'))} s − cluster start-up "
            f"{_f(timing['cluster_s'])} s), i.e. {_f(overhead / n)} s per point.",
        ]
    lines += [
        "",
        "A point's time on its worker excludes the Dask overhead; *cold* points are the "
        "first of each worker process (imports and region loading), *warm* ones reuse "
        "them. Independent runs pay interpreter start-up, imports, region loading and "
        "writing the plan folder every time.",
        "",
        "## Points",
        "",
        "| stations | mode | seconds | solve s | overhead s | warm | status | coverage | "
        "mean distance m |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(sweep_rows + ind_rows, key=lambda r: (r["stations"], r["mode"])):
        cov = r["coverage_share"]
        lines.append(
            f"| {r['stations']:,} | {r['mode']} | {_f(r['seconds'])} | {_f(r['solve_s'])} | "
            f"{_f(r['overhead_s'], 2)} | {r['warm']} | "
            f"{r['status']} | {'—' if cov is None else f'{cov:.1%}'} | "
            f"{_f(r['mean_distance_m'], 0)} |"
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
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)

    machine = _machine()
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    print(f"{started}  {machine['nproc']} CPUs, {machine['cpu']}, {machine['ram']} RAM")
    print(f"load average at start: {machine['load']}")
    counts = station_counts(args.start, args.stop, args.points)
    timing: dict = {"independent_s": 0.0, "independent_load": "—"}
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        timing["cluster_s"] = cluster_start_seconds(args.workers)
        print(f"cluster start-up: {timing['cluster_s']:.1f} s", flush=True)
        load = _load()
        timing["sweep_s"], sweep_rows = run_sweep_once(args.region, counts, args.workers, Path(tmp))
        timing["sweep_load"] = f"{load} / {_load()}"
        print(f"sweep: {timing['sweep_s']:.1f} s for {len(counts)} points", flush=True)
        ind_rows = []
        if not args.skip_independent:
            load = _load()
            timing["independent_s"], ind_rows = run_independent(
                args.region, counts, args.workers, Path(tmp)
            )
            timing["independent_load"] = f"{load} / {_load()}"
            print(f"independent runs: {timing['independent_s']:.1f} s", flush=True)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "sweep.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(sweep_rows + ind_rows)
    lines = report(args, machine, started, counts, timing, sweep_rows, ind_rows)
    (out / "sweep.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    first = next(i for i, line in enumerate(lines) if line.startswith("| |"))
    print("\n".join(lines[first : lines.index("## Points") - 1]))
    print(f"written {out / 'sweep.csv'} and {out / 'sweep.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
