"""Siting-engine timings for the default city scenarios: ``python benchmarks/engine.py``.

For each city (default Jinjiang and Wenzhou, each with its built-in default scenario)
and each repeat, two fresh interpreters run one after the other:

* a *worker* (this file with ``--worker``) runs :func:`planner.run.run_plan` and
  writes the plan like the CLI does, reporting the instance build time (progress
  callback time stamps), each tier's solve time, status and gap (the plan's
  :class:`~planner.plan.TierResult`), and its own peak RSS;
* the CLI itself, ``python -m planner plan --region CITY --out DIR``, timed from here
  (wall clock from start to exit, interpreter start-up and imports included) with its
  peak RSS from ``os.wait4`` (``ru_maxrss`` of that process alone).

Fresh processes keep the peaks apart and the HiGHS/PuLP import cost inside every figure.
Prints a table of medians and writes ``engine.csv`` (every run plus a median row per
city) and ``engine.md`` (date, machine, medians, runs) to ``--out`` (default
``benchmarks/results``). Benchmarks print figures; they are not tests.

Options: ``--repeats N`` (default 3), ``--cities a,b``, ``--out DIR``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

# Worker end-to-end time counts from here: the standard library is loaded, the
# planner and its solver stack are not yet.
_STARTED = time.perf_counter()

ROOT = Path(__file__).resolve().parents[1]
RESULT = "RESULT "
FIELDS = (
    "city", "run", "build_s", "stations_s", "centres_s", "run_plan_s", "worker_e2e_s",
    "worker_peak_mib", "cli_e2e_s", "cli_peak_mib", "stations_status", "stations_gap",
    "centres_status", "centres_gap", "centres_objective", "centres_bound", "stations", "centres",
)  # fmt: skip
TARGETS = {"wenzhou": (60.0, 2048.0), "jinjiang": (5.0, None)}


# --------------------------------------------------------------------------- worker


def worker(region: str, out: str) -> None:
    """One measured run in this (fresh) process; prints ``RESULT {json}``."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from planner.run import run_plan
    from planner.scenario import default_scenario

    stamps: dict[str, float] = {}

    def progress(stage: str, fraction: float) -> None:
        stamps.setdefault(stage, time.perf_counter())

    scenario = default_scenario(region)
    t0 = time.perf_counter()
    plan = run_plan(region, scenario, progress=progress)
    t1 = time.perf_counter()
    plan.write(Path(out))
    t2 = time.perf_counter()
    tiers = {r.tier: r for r in plan.results}
    st, ce = tiers.get("station"), tiers.get("sorting_centre")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    result = {
        "build_s": stamps["run.stage.stations"] - stamps["run.stage.instance"],
        "stations_s": st.seconds if st else None,
        "centres_s": ce.seconds if ce else None,
        "run_plan_s": t1 - t0,
        "worker_e2e_s": t2 - _STARTED,
        "worker_peak_mib": peak,
        "stations_status": st.status if st else None,
        "stations_gap": st.gap if st else None,
        "centres_status": ce.status if ce else None,
        "centres_gap": ce.gap if ce else None,
        "centres_objective": ce.objective if ce else None,
        "centres_bound": ce.bound if ce else None,
        "stations": len(plan.stations),
        "centres": len(plan.centres),
    }
    print(RESULT + json.dumps(result), flush=True)


# --------------------------------------------------------------------------- parent


def _timed(cmd: list[str], cwd: Path) -> tuple[float, float, int, str]:
    """Run ``cmd``; wall seconds, its own peak RSS (MiB), exit status, stdout."""
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return wall, usage.ru_maxrss / 1024, proc.returncode, out.read()


def _machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    except OSError:
        pass
    try:
        load = " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = ""
    versions = {}
    for name in ("highspy", "pulp", "numpy", "scipy", "geopandas"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram": ram,
        "python": platform.python_version(),
        "packages": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "load": load,
    }


def _median(rows: list[dict], key: str):
    values = [r[key] for r in rows if isinstance(r.get(key), int | float)]
    return statistics.median(values) if values else None


def _fmt(value, digits: int = 1, pct: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if pct:
        return f"{100 * value:.2f} %"
    return f"{value:,.{digits}f}"


def _status(rows: list[dict], key: str) -> str:
    seen = sorted({str(r.get(key)) for r in rows})
    return "/".join(seen)


def _table(medians: list[dict]) -> list[str]:
    head = (
        "| city | build s | stations s | centres s | run_plan s | CLI end-to-end s | "
        "CLI peak RSS MiB | stations: status, gap | centres: status, gap |"
    )
    lines = [head, "|" + "---|" * 9]
    for m in medians:
        lines.append(
            f"| {m['city']} | {_fmt(m['build_s'], 2)} | {_fmt(m['stations_s'])} | "
            f"{_fmt(m['centres_s'])} | {_fmt(m['run_plan_s'])} | {_fmt(m['cli_e2e_s'])} | "
            f"{_fmt(m['cli_peak_mib'], 0)} | {m['stations_status']}, "
            f"{_fmt(m['stations_gap'], pct=True)} | {m['centres_status']}, "
            f"{_fmt(m['centres_gap'], pct=True)} |"
        )
    return lines


def _verdicts(medians: list[dict]) -> list[str]:
    out = []
    for m in medians:
        target = TARGETS.get(m["city"])
        if target is None:
            continue
        seconds, mib = target
        parts = [f"end-to-end {_fmt(m['cli_e2e_s'])} s (target ≤ {seconds:g} s)"]
        ok = m["cli_e2e_s"] is not None and m["cli_e2e_s"] <= seconds
        if mib is not None:
            parts.append(f"peak {_fmt(m['cli_peak_mib'], 0)} MiB (target ≤ {mib:g} MiB)")
            ok = ok and m["cli_peak_mib"] is not None and m["cli_peak_mib"] <= mib
        gaps_ok = all(
            m[f"{tier}_status"] == "optimal"
            or (m[f"{tier}_gap"] is not None and m[f"{tier}_gap"] <= 0.005)
            for tier in ("stations", "centres")
        )
        parts.append("both tiers optimal or gap ≤ 0.5 %" if gaps_ok else "a tier missed 0.5 %")
        verdict = "met" if ok and gaps_ok else "MISSED"
        out.append(f"- **{m['city']}**: {'; '.join(parts)} — {verdict}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cities", default="jinjiang,wenzhou")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--plan-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.plan_out)
        return 0

    machine = _machine()
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    print(f"{started}  {machine['nproc']} CPUs, {machine['cpu']}, {machine['ram']} RAM")
    print(f"load average at start: {machine['load']}")
    rows: list[dict] = []
    cities = [c.strip() for c in args.cities.split(",") if c.strip()]
    with tempfile.TemporaryDirectory(prefix="engine-bench-") as tmp:
        for city in cities:
            for run in range(1, args.repeats + 1):
                plan_dir = Path(tmp) / f"{city}-{run}"
                wall, peak, code, text = _timed(
                    [sys.executable, __file__, "--worker", city, "--plan-out", str(plan_dir)],
                    ROOT,
                )
                found = [ln for ln in text.splitlines() if ln.startswith(RESULT)]
                if code != 0 or not found:
                    print(text)
                    raise SystemExit(f"worker for {city} failed (exit {code})")
                row = {"city": city, "run": run, **json.loads(found[-1][len(RESULT) :])}
                cli_dir = Path(tmp) / f"{city}-{run}-cli"
                cmd = [sys.executable, "-m", "planner", "plan", "--region", city]
                wall, peak, code, text = _timed([*cmd, "--out", str(cli_dir)], ROOT)
                if code not in (0, 1):
                    print(text)
                    raise SystemExit(f"CLI for {city} failed (exit {code})")
                row["cli_e2e_s"], row["cli_peak_mib"] = wall, peak
                rows.append(row)
                print(
                    f"  {city} run {run}: build {row['build_s']:.2f} s, stations "
                    f"{row['stations_s']:.1f} s, centres {row['centres_s']:.1f} s, CLI "
                    f"{wall:.1f} s, {peak:.0f} MiB",
                    flush=True,
                )
    medians = []
    for city in cities:
        mine = [r for r in rows if r["city"] == city]
        med = {k: _median(mine, k) for k in FIELDS if k not in ("city", "run")}
        for key in ("stations_status", "centres_status"):
            med[key] = _status(mine, key)
        med.update(city=city, run="median")
        medians.append(med)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "engine.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        for row in [*rows, *medians]:
            writer.writerow({k: row.get(k) for k in FIELDS})
    table = _table(medians)
    verdicts = _verdicts(medians)
    md = [
        "# Siting engine: default city scenarios",
        "",
        f"Run {started} with `python benchmarks/engine.py --repeats {args.repeats}`.",
        "",
        f"- Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['ram']} RAM; "
        f"load average at start {machine['load']} (shared box: other jobs may run)",
        f"- Python {machine['python']}; {machine['packages']}",
        "",
        f"Medians of {args.repeats} runs; every run in fresh processes. *Build* is demand "
        "and candidates; tier times are the solver calls inside `run_plan`; *CLI "
        "end-to-end* is `python -m planner plan --region CITY --out DIR` from start to "
        "exit (interpreter start-up, imports and writing the plan included) and *peak "
        "RSS* is that process's `ru_maxrss`.",
        "",
        *table,
        "",
        *verdicts,
        "",
        "## Runs",
        "",
        "| city | run | build s | stations s | centres s | CLI s | CLI MiB | stations gap | "
        "centres gap | centres objective / bound |",
        "|" + "---|" * 10,
    ]
    for r in rows:
        md.append(
            f"| {r['city']} | {r['run']} | {_fmt(r['build_s'], 2)} | {_fmt(r['stations_s'])} | "
            f"{_fmt(r['centres_s'])} | {_fmt(r['cli_e2e_s'])} | {_fmt(r['cli_peak_mib'], 0)} | "
            f"{r['stations_status']} {_fmt(r['stations_gap'], pct=True)} | "
            f"{r['centres_status']} {_fmt(r['centres_gap'], pct=True)} | "
            f"{_fmt(r['centres_objective'], 2)} / {_fmt(r['centres_bound'], 2)} |"
        )
    (out / "engine.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print()
    print("\n".join(table))
    print()
    print("\n".join(verdicts))
    print(f"\nwrote {out / 'engine.csv'} and {out / 'engine.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
