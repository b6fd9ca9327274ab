"""Phasing to 2027 on Wenzhou: ``python benchmarks/phasing.py [--modes fixed_final,joint@600]``.

For each mode the example ``examples/wenzhou_phasing.yaml`` (2025: 700 stations / 12
centres, 2026: 1,100 / 20, 2027: 1,550 / 30) is planned by the CLI in a fresh
interpreter, timed from here (wall clock, imports included) with its peak RSS from
``os.wait4``; the plan's ``kpis.json`` gives the phasing model's status, gap, seconds
and the price of phasing. Prints a table and writes ``phasing.md`` to ``--out``
(default ``benchmarks/results``). Benchmarks print figures; they are not tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "wenzhou_phasing.yaml"


def run(mode: str, folder: Path, time_limit: float | None = None) -> dict:
    """One CLI run of the example in ``mode`` (``time_limit``: per model, else the
    example's); its figures."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["phasing"]["mode"] = mode
    if time_limit is not None:
        data["solver"]["time_limit_s"] = time_limit
    scenario = folder / f"{mode}-{time_limit}.yaml"
    scenario.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = folder / f"{mode}-{time_limit}"
    cmd = [sys.executable, "-m", "planner", "plan", "--region", "wenzhou",
           "--scenario", str(scenario), "--out", str(out)]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        return {"mode": mode, "error": status}
    meta = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    ph = meta["kpis"]["phasing"]
    years = meta["kpis"]["years"]
    return {
        "mode": mode,
        "limit_s": data["solver"]["time_limit_s"],
        "wall_s": round(wall, 1),
        "peak_mib": round(usage.ru_maxrss / 1024),
        "status": ph["status"],
        "gap_pct": None if ph["gap"] is None else round(100 * ph["gap"], 3),
        "phasing_s": ph["seconds"],
        "rounds": ph["rounds"],
        "price_pct": ph["price_of_phasing_pct"],
        "coverage": [round(100 * y["coverage_share"], 1) for y in years],
        "stations": [y["stations"] for y in years],
        "centres": [y["sorting_centres"] for y in years],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--modes", default="fixed_final,joint")
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args()
    # the machine is shared: the load says how much of its 2 cores the runs had
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for item in args.modes.split(","):
            # "joint@600": a mode with its own time limit per model
            mode, _, limit = item.partition("@")
            rows.append(run(mode, Path(tmp), float(limit) if limit else args.time_limit))
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("pulp", "highspy", "numpy", "scipy")
    )
    lines = [
        "# Phasing to 2027: Wenzhou example (`examples/wenzhou_phasing.yaml`)",
        "",
        f"Date: {dt.date.today().isoformat()} · machine: {platform.machine()}, "
        f"{os.cpu_count()} cores, {platform.platform()} · Python {platform.python_version()}"
        f" · {versions} · load average at start {load}",
        "",
        "`python benchmarks/phasing.py`: the CLI end to end (single-period plan, phasing "
        "model, and in `joint` mode the plan rebuilt on the last year's network), one run "
        "per mode, solver gap 0.5 %; the time limit is per model (single-period tiers, "
        "the fixed-final phasing model, and in `joint` mode the joint one).",
        "",
        "| mode | limit (s) | wall (s) | peak (MiB) | phasing model (s) | status | gap (%) "
        "| rounds | price of phasing (%) | stations by year | centres by year "
        "| coverage by year (%) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['mode']} | failed ({r['error']}) ||||||||||")
            continue
        lines.append(
            f"| {r['mode']} | {r['limit_s']} | {r['wall_s']} | {r['peak_mib']} | "
            f"{r['phasing_s']} | {r['status']} | {r['gap_pct']} | {r['rounds']} | "
            f"{r['price_pct']} | "
            f"{r['stations']} | {r['centres']} | {r['coverage']} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "phasing.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
