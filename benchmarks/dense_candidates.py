"""K-means versus grid candidates in dense areas: ``python benchmarks/dense_candidates.py``.

Issue 19, item 5: the extra station candidates of dense urban communities as a regular
grid (``dense_candidates = "grid"``, the default) or as as many population-weighted
k-means centres (``"kmeans"``, :mod:`planner.instance.dense_kmeans`), compared on the
Wenzhou default scenario at each spacing (default 300 and 500 m), with no extra
candidates as the baseline. Each case runs in a fresh interpreter (this file with
``--worker``) through :func:`planner.run.run_plan` and reports the number of station
candidates, the seconds spent building them, the station tier's status, objective,
bound and gap, the stations opened and the plan's total seconds.

Prints a table and writes ``dense_candidates.csv`` and ``dense_candidates.md`` (date,
machine, versions) to ``--out`` (default ``benchmarks/results``). Benchmarks print
figures; they are not tests.

Options: ``--spacings 300,500``, ``--region wenzhou``, ``--out DIR``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import _machine  # noqa: E402  (benchmark helpers, not a package)
from timelimit import _fmt  # noqa: E402

RESULT = "RESULT "
FIELDS = (
    "region", "method", "spacing_m", "candidates", "extra", "candidates_s", "status",
    "objective", "bound", "gap", "stations", "seconds",
)  # fmt: skip


def worker(region_id: str, method: str, spacing: float) -> None:
    """One case in this fresh process; prints ``RESULT {json}``."""
    from planner.data.regions import load_region
    from planner.instance.candidates import station_candidates
    from planner.run import run_plan
    from planner.scenario import default_scenario

    region = load_region(region_id)
    scenario = default_scenario(region_id).with_changes(
        dense_grid_m=spacing if method != "none" else 0.0,
        dense_candidates="kmeans" if method == "kmeans" else "grid",
    )
    start = time.perf_counter()
    candidates = station_candidates(region, scenario)
    built = time.perf_counter() - start
    start = time.perf_counter()
    plan = run_plan(region, scenario)
    seconds = time.perf_counter() - start
    station = next(r for r in plan.results if r.tier == "station")
    row = {
        "region": region_id,
        "method": method,
        "spacing_m": spacing if method != "none" else 0.0,
        "candidates": len(candidates),
        "extra": int((candidates["source"] == "grid").sum()),
        "candidates_s": built,
        "status": station.status,
        "objective": station.objective,
        "bound": station.bound,
        "gap": station.gap,
        "stations": len(plan.stations),
        "seconds": seconds,
    }
    print(RESULT + json.dumps(row), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spacings", default="300,500")
    parser.add_argument("--region", default="wenzhou")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--method", help=argparse.SUPPRESS)
    parser.add_argument("--spacing", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.method, args.spacing)
        return 0

    machine = _machine()
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    print(f"{started}  {machine['nproc']} CPUs, {machine['cpu']}, {machine['ram']} RAM")
    print(f"load average at start: {machine['load']}")
    spacings = [float(x) for x in args.spacings.split(",") if x.strip()]
    cases = [("none", 0.0)] + [(m, s) for s in spacings for m in ("grid", "kmeans")]
    rows: list[dict] = []
    for method, spacing in cases:
        cmd = [sys.executable, __file__, "--worker", args.region, "--method", method,
               "--spacing", str(spacing)]  # fmt: skip
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
        found = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT)]
        if proc.returncode != 0 or not found:
            print(proc.stdout, proc.stderr)
            raise SystemExit(f"worker failed for {method} {spacing:g} m (exit {proc.returncode})")
        row = json.loads(found[-1][len(RESULT) :])
        rows.append(row)
        print(
            f"  {method} {spacing:g} m: {row['candidates']} candidates "
            f"({row['candidates_s']:.1f} s), {row['status']}, objective "
            f"{_fmt(row['objective'])}, gap {_fmt(row['gap'], pct=True)}, "
            f"{row['stations']} stations, {row['seconds']:.1f} s",
            flush=True,
        )

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "dense_candidates.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k) for k in FIELDS})
    table = [
        "| method | spacing m | candidates | extra | build s | status | objective | bound | "
        "gap | stations | plan s |",
        "|" + "---|" * 11,
    ]
    for r in rows:
        table.append(
            f"| {r['method']} | {r['spacing_m']:g} | {r['candidates']:,} | {r['extra']:,} | "
            f"{r['candidates_s']:.1f} | {r['status']} | {_fmt(r['objective'])} | "
            f"{_fmt(r['bound'])} | {_fmt(r['gap'], pct=True)} | {r['stations']:,} | "
            f"{r['seconds']:.1f} |"
        )
    md = [
        f"# Dense-area candidates, grid or k-means: {args.region} default scenario",
        "",
        f"Run {started} with `python benchmarks/dense_candidates.py --spacings "
        f"{args.spacings} --region {args.region}`.",
        "",
        f"- Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['ram']} RAM; "
        f"load average at start {machine['load']} (shared box: other jobs may run)",
        f"- Python {machine['python']}; {machine['packages']}",
        "",
        "Every case in a fresh interpreter. *Extra* are the dense-area candidates (grid "
        "points or k-means centres, as many per township as the grid would make); "
        "*build s* the time to build the station candidates alone; *objective*, *bound* "
        "and *gap* are the station tier's (lower objective is better: the same model "
        "over a different candidate set); *plan s* the whole run_plan.",
        "",
        *table,
    ]
    (out / "dense_candidates.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print()
    print("\n".join(table))
    print(f"wrote {out / 'dense_candidates.csv'} and {out / 'dense_candidates.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
