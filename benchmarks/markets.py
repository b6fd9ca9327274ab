"""The market tier at city scale: ``python benchmarks/markets.py``.

Wenzhou's default scenario (1,550 stations, 30 sorting centres) is solved in fresh
interpreters as it is today, and with a third tier on top: one distribution and
trading market (集散交易市场) per county (``markets.count`` = the number of counties,
``markets.one_per_county``, the default 1,000 t/day capacity). Each run calls
:func:`planner.run.run_plan` and writes the plan as the CLI does; it reports the
instance build time, each tier's solve time, status and gap, the run's and the whole
process's time (imports included) and the process's peak RSS.

Writes ``markets.csv`` (every run) and ``markets.md`` (date, machine, medians) to
``--out`` (default ``benchmarks/results``). Options: ``--repeats N`` (default 3),
``--region`` (default ``wenzhou``). Benchmarks print figures; they are not tests.
"""

from __future__ import annotations

import time

# The process's end-to-end time counts from here (the planner is not imported yet).
_STARTED = time.perf_counter()

import argparse  # noqa: E402
import csv  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULT = "RESULT "
VARIANTS = ("default", "markets")
FIELDS = (
    "variant", "run", "markets", "build_s", "stations_s", "centres_s", "markets_s",
    "run_plan_s", "process_s", "peak_mib", "stations_status", "stations_gap",
    "centres_status", "centres_gap", "markets_status", "markets_gap", "counties_short",
)  # fmt: skip


def worker(region_id: str, variant: str) -> None:
    """One measured run in this (fresh) process; prints ``RESULT {json}``."""
    sys.path.insert(0, str(ROOT))
    from planner.data.regions import load_region
    from planner.run import run_plan
    from planner.scenario import default_scenario

    scenario = default_scenario(region_id)
    if variant == "markets":
        n = len(load_region(region_id).counties)
        scenario = scenario.with_changes(**{"markets.count": n, "markets.one_per_county": True})
    stamps: dict[str, float] = {}

    def progress(stage: str, _fraction: float) -> None:
        stamps.setdefault(stage, time.perf_counter())

    t0 = time.perf_counter()
    plan = run_plan(region_id, scenario, progress)
    total = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        plan.write(Path(tmp) / "plan")
    res = {r.tier: r for r in plan.results}

    def of(tier: str, field: str):
        return getattr(res[tier], field) if tier in res else None

    row = {
        "variant": variant,
        "markets": scenario.markets.count,
        "build_s": round(stamps["run.stage.stations"] - stamps["run.stage.instance"], 2),
        "stations_s": of("station", "seconds"),
        "centres_s": of("sorting_centre", "seconds"),
        "markets_s": of("market", "seconds"),
        "run_plan_s": round(total, 2),
        "process_s": round(time.perf_counter() - _STARTED, 2),
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "stations_status": of("station", "status"),
        "stations_gap": of("station", "gap"),
        "centres_status": of("sorting_centre", "status"),
        "centres_gap": of("sorting_centre", "gap"),
        "markets_status": of("market", "status") or "",
        "markets_gap": of("market", "gap"),
        "counties_short": (plan.kpis.get("county_coverage") or {}).get("short"),
    }
    print(RESULT + json.dumps(row), flush=True)


def _run(region: str, variant: str) -> dict:
    cmd = [sys.executable, __file__, "--worker", variant, "--region", region]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith(RESULT))
    return json.loads(line[len(RESULT) :])


def _median(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if isinstance(r.get(key), int | float)]
    return round(statistics.median(values), 2) if values else None


def _gap(value) -> str:
    return "" if value is None else f"{100 * value:.2f} %"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--region", default="wenzhou")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--worker", choices=VARIANTS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.region, args.worker)
        return 0
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from engine import _machine  # the engine benchmark's machine description

    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    machine = _machine()
    rows = []
    for k in range(args.repeats):
        for variant in VARIANTS:  # alternated, so load on the box hits both alike
            row = {**_run(args.region, variant), "run": k + 1}
            rows.append(row)
            print(
                f"{variant:8s} run {k + 1}: stations {row['stations_s']} s, centres "
                f"{row['centres_s']} s, markets {row['markets_s']} s, run_plan "
                f"{row['run_plan_s']} s, process {row['process_s']} s, {row['peak_mib']} MiB;"
                f" {row['stations_status']} / {row['centres_status']} / "
                f"{row['markets_status'] or '-'}",
                flush=True,
            )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "markets.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        "# The market tier at city scale",
        "",
        f"Run {started} UTC: `python benchmarks/markets.py --region {args.region} "
        f"--repeats {args.repeats}` (a fresh interpreter per run, the variants alternated).",
        f"Machine: {machine.get('cpu', '')}, {machine.get('nproc', '')} CPUs, "
        f"{machine.get('ram', '')}, load average at the start {machine.get('load', '')}.",
        "",
        "| variant | markets | build s | station tier s | centre tier s | market tier s "
        "| run_plan s | process s | peak RSS MiB | gaps (stations / centres / markets) "
        "| statuses | counties short |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for variant in VARIANTS:
        mine = [r for r in rows if r["variant"] == variant]
        last = mine[-1]
        gaps = " / ".join(
            _gap(last[k]) or "-" for k in ("stations_gap", "centres_gap", "markets_gap")
        )
        statuses = " / ".join(
            last[k] or "-" for k in ("stations_status", "centres_status", "markets_status")
        )
        short = "" if last["counties_short"] is None else last["counties_short"]
        lines.append(
            f"| {variant} | {last['markets']} | {_median(mine, 'build_s')} "
            f"| {_median(mine, 'stations_s')} | {_median(mine, 'centres_s')} "
            f"| {_median(mine, 'markets_s') or '-'} | {_median(mine, 'run_plan_s')} "
            f"| {_median(mine, 'process_s')} | {_median(mine, 'peak_mib')} | {gaps} "
            f"| {statuses} | {short} |"
        )
    lines += ["", "Medians over the repeats; gaps and statuses of the last run.", ""]
    (out / "markets.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
