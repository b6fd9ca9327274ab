"""The Wenzhou scenario variants of issue 20, each tier against its target:
``python benchmarks/variants.py``.

Variants of the built-in Wenzhou default (1,550 stations, 30 sorting centres):

``default``
    The default scenario as shipped.
``taishun2``
    At least two sorting centres in 泰顺县 (330329).
``cap80`` / ``cap100``
    30 sorting centres of 80 / 100 t/day instead of 150 (capacity binds at many
    centres).
``towns3``
    At least three stations in every township (fewer where it has fewer candidate
    sites): per-township minimums on top of the default's one per township, binding
    in the small rural townships.

Each variant runs :func:`planner.run.run_plan` in a fresh interpreter (a worker: this
file with ``--worker``) with the scenario's solver settings (gap 0.5 %, the time limit
``--limit`` per tier, default 120 s), and reports each tier's seconds, status, objective,
bound and proven gap. Target (issue 20): each tier proven within 0.5 % in at most 30 s.
Prints a table and writes ``variants.csv`` and ``variants.md`` (date, machine,
versions) to ``--out`` (default ``benchmarks/results``). Benchmarks print figures; they
are not tests.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import _machine  # noqa: E402  (benchmark helpers, not a package)
from timelimit import _fmt  # noqa: E402

RESULT = "RESULT "
VARIANTS = ("default", "taishun2", "cap80", "cap100", "towns3")
TARGET_S = 30.0
TARGET_GAP = 0.005
FIELDS = (
    "variant", "tier", "seconds", "status", "objective", "bound", "gap", "met",
    "run_plan_s", "notes",
)  # fmt: skip


def scenario_of(variant: str, limit: float):
    """The Wenzhou default with ``variant``'s change and the time limit ``limit``."""
    from planner.data.regions import load_region
    from planner.instance.candidates import station_candidates
    from planner.scenario import default_scenario

    sc = default_scenario("wenzhou")
    sc = replace(sc, solver=replace(sc.solver, time_limit_s=limit))
    if variant == "taishun2":
        return replace(sc, centres=replace(sc.centres, county_min={"330329": 2}))
    if variant in ("cap80", "cap100"):
        return replace(sc, centres=replace(sc.centres, capacity_t_per_day=float(variant[3:])))
    if variant == "towns3":
        sites = station_candidates(load_region("wenzhou"), sc)
        per_town = sites["township_code"].astype(str).value_counts()
        minimum = {code: int(min(3, n)) for code, n in per_town.items()}
        return replace(sc, stations=replace(sc.stations, township_min=minimum))
    if variant != "default":
        raise ValueError(variant)
    return sc


def worker(variant: str, limit: float) -> None:
    """One run in this fresh process; prints ``RESULT {json}``."""
    import time

    from planner.run import run_plan

    sc = scenario_of(variant, limit)
    start = time.perf_counter()
    plan = run_plan("wenzhou", sc)
    total = time.perf_counter() - start
    rows = []
    for r in plan.results:
        rows.append(
            {
                "tier": r.tier,
                "seconds": r.seconds,
                "status": r.status,
                "objective": r.objective,
                "bound": r.bound,
                "gap": r.gap,
                "run_plan_s": total,
                "notes": " ".join(sorted({d.get("key", "") for d in r.diagnoses})),
            }
        )
    print(RESULT + json.dumps(rows), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--limit", type=float, default=120.0)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.limit)
        return 0

    machine = _machine()
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    print(f"{started}  {machine['nproc']} CPUs, {machine['cpu']}, load {machine['load']}")
    rows: list[dict] = []
    for variant in args.variants.split(","):
        cmd = [sys.executable, __file__, "--worker", variant, "--limit", str(args.limit)]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        lines = [x for x in out.stdout.splitlines() if x.startswith(RESULT)]
        if out.returncode or not lines:
            print(f"{variant}: failed (rc {out.returncode})\n{out.stderr[-2000:]}")
            continue
        for tier in json.loads(lines[-1][len(RESULT) :]):
            gap = tier["gap"]
            met = (
                tier["seconds"] is not None
                and tier["seconds"] <= TARGET_S
                and gap is not None
                and gap <= TARGET_GAP + 1e-12
            )
            row = {"variant": variant, **tier, "met": "yes" if met else "no"}
            rows.append(row)
            print(
                f"{variant:9} {tier['tier']:15} {_fmt(tier['seconds'], 1):>7} s "
                f"{tier['status']:20} gap {_fmt(gap, pct=True):>9}  {row['met']}",
                flush=True,
            )
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "variants.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows({k: r.get(k) for k in FIELDS} for r in rows)
    lines = [
        "# Wenzhou scenario variants of issue 20",
        "",
        f"Run {started} with `python benchmarks/variants.py --limit {args.limit:g}`.",
        "",
        f"- Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['ram']} RAM; "
        f"load average at start {machine['load']} (shared box: other jobs may run)",
        f"- Python {machine['python']}; {machine['packages']}",
        "",
        f"Target: every tier proven within {100 * TARGET_GAP:.1f} % in at most "
        f"{TARGET_S:.0f} s. *seconds*: the tier's own wall time (distances, model, "
        "solver calls); *run_plan s*: the whole plan.",
        "",
        "| variant | tier | seconds | status | objective | bound | gap | met | run_plan s |",
        "|---|---|---:|---|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['variant']} | {r['tier']} | {_fmt(r['seconds'], 1)} | {r['status']} | "
            f"{_fmt(r['objective'])} | {_fmt(r['bound'])} | {_fmt(r['gap'], pct=True)} | "
            f"{r['met']} | {_fmt(r['run_plan_s'], 1)} |"
        )
    (out_dir / "variants.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
