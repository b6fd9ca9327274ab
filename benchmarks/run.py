"""All benchmarks side by side: ``python benchmarks/run.py [--quick] [--out DIR]``.

Writes ``benchmarks.csv``, ``benchmarks.md`` and ``benchmarks.png`` (time and peak
memory against size) to ``--out`` (default ``benchmarks/results``). Every measurement
runs in a fresh interpreter (:mod:`benchmarks.tasks`) so ``ru_maxrss`` is its own and a
runaway solve can be killed. Benchmarks print figures; they are not tests.

Parts (``--parts``, default all):

``pmed``     OR-Library pmed1-20: our PMedian vs the published optimum and vs PySAL
             spopt's PMedian with pulp.HiGHS on the same matrix, capped per instance.
``cap``      OR-Library cap41-74: SortingCentreModel multi-sourcing vs the published
             optimum, plus the single-sourcing objective.
``scaling``  clustered synthetic p-median, n = 1k..20k, p = n/3 and p = 30.
``cities``   run_plan on the Jinjiang and Wenzhou default scenarios and a Wenzhou
             stress case with ~20k candidate stations.

``--quick`` keeps n <= 5k and runs spopt only on pmed1-10 (n <= 200).
Needs ``requirements-bench.txt`` for spopt; without it the spopt column is empty.

Parts not run keep their rows from the existing ``benchmarks.csv`` (each row carries
the time it was measured; ``--only-this-run`` drops them), so the parts can be run
separately and still end in one table. ``--note`` adds a line to the Markdown header
(e.g. what else was running on the machine).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from planner.models import initial_k, reference  # noqa: E402

TASKS = Path(__file__).resolve().parent / "tasks.py"
PARTS = ("pmed", "cap", "scaling", "cities")
SIZES = (1_000, 2_000, 5_000, 10_000, 20_000)
# Initial lists hold n * initial_k(n, p) pairs (~2m/p per row, at most 64). Before the
# p-median presolve the first model held all of them (2n^2/p for p = 30) and beyond
# this many the run was skipped; with capped lists every size runs now.
MAX_PAIRS = 2_000_000
STRESS_GRID_M = 130.0  # Wenzhou dense-community grid spacing giving ~20k candidates
TARGET = {
    "wenzhou_default_s": 60.0,
    "wenzhou_default_gib": 2.0,
    "stress_s": 300.0,
    "stress_gap": 0.005,
    "speedup": 10.0,
}

COLUMNS = [
    "suite", "instance", "n", "p", "published_optimum", "objective", "objective_ratio",
    "status", "gap", "seconds", "build_seconds", "peak_rss_mib", "spopt_objective",
    "spopt_seconds", "spopt_status", "spopt_over_cap", "speedup", "single_source_objective",
    "single_source_status", "single_source_seconds", "candidates", "note", "measured",
]  # fmt: skip


def task(kind: str, *args: object, timeout: float) -> dict:
    """Run one measurement in a fresh interpreter; ``{"error": ...}`` on failure."""
    cmd = [sys.executable, str(TASKS), kind, *map(str, args)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": "killed", "wall": time.perf_counter() - t0}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    return {"error": f"exit {proc.returncode}: {tail[0][:200]}"}


def say(msg: str) -> None:
    print(msg, flush=True)


# --------------------------------------------------------------------------- parts


def _orlib_rows(suite: str, names: tuple[str, ...]) -> list[dict]:
    """A row per OR-Library instance with its published optimum; none without the data."""
    if not reference.orlib_available():
        say(f"SKIP {suite}: OR-Library data not found at {reference.ORLIB}")
        return []
    optimum = reference.orlib_optima()
    return [{"suite": suite, "instance": n, "published_optimum": optimum[n]} for n in names]


def _record(row: dict, result: dict, fields) -> None:
    """Fill an OR-Library ``row`` from a measurement: ``fields(result, optimum)``, or
    its error."""
    if "error" in result:
        row.update(status="error", note=result["error"])
    else:
        row.update(fields(result, row["published_optimum"]))


def _pmed_fields(r: dict, optimum: float) -> dict:
    return dict(
        n=r["n"], p=r["p"], objective=r["objective"], status=r["status"], gap=r["gap"],
        seconds=r["seconds"], peak_rss_mib=r["peak_rss_mib"],
        objective_ratio=r["objective"] / optimum,
    )  # fmt: skip


def _cap_fields(r: dict, optimum: float) -> dict:
    mu, si = r["multi"], r["single"]
    return dict(
        n=r["n"], p=mu["centres"], objective=mu["objective"], status=mu["status"],
        gap=mu["gap"], seconds=mu["seconds"], peak_rss_mib=r["peak_rss_mib"],
        objective_ratio=(mu["objective"] or math.nan) / optimum,
        single_source_objective=si["objective"], single_source_status=si["status"],
        single_source_seconds=si["seconds"],
    )  # fmt: skip


def run_pmed(args) -> list[dict]:
    rows = _orlib_rows("pmed", reference.ORLIB_PMED)
    if not rows:
        return []
    try:
        import spopt  # noqa: F401

        have_spopt = True
    except ImportError:
        have_spopt = False
        say("spopt not installed (pip install -r requirements-bench.txt): spopt column empty")
    for row in rows:
        name, optimum = row["instance"], row["published_optimum"]
        _record(row, task("pmed", name, timeout=600), _pmed_fields)
        k = int(name[4:])
        if have_spopt and (not args.quick or k <= 10):
            s = task("spopt", name, args.spopt_cap, timeout=args.spopt_cap + 60)
            if "error" in s:
                row.update(
                    spopt_status="killed" if s["error"] == "killed" else "error",
                    spopt_seconds=s.get("wall", args.spopt_cap),
                    spopt_over_cap=True,
                )
            else:
                row.update(
                    spopt_objective=s["objective"], spopt_seconds=s["seconds"],
                    spopt_status=s["status"], spopt_over_cap=bool(s["over_cap"]),
                )  # fmt: skip
            if row.get("seconds"):
                # Over the cap the ratio is a lower bound: spopt took at least the cap.
                row["speedup"] = row["spopt_seconds"] / row["seconds"]
        elif have_spopt:
            row["note"] = "spopt not run (--quick)"
        say(
            f"  {name}: ours {_f(row.get('objective'))} in {_f(row.get('seconds'), 2)} s"
            f" (optimum {optimum:g}); spopt {_spopt_cell(row, args.spopt_cap)}"
        )
    return rows


def run_cap(args) -> list[dict]:
    rows = _orlib_rows("cap", reference.ORLIB_CAP)
    for row in rows:
        name, optimum = row["instance"], row["published_optimum"]
        result = task("cap", name, args.cap_time_limit, timeout=4 * args.cap_time_limit + 60)
        _record(row, result, _cap_fields)
        say(
            f"  {name}: multi {_f(row.get('objective'), 3)} (optimum {optimum:.3f}) in "
            f"{_f(row.get('seconds'), 2)} s; single {row.get('single_source_status')} "
            f"{_f(row.get('single_source_objective'), 3)}"
        )
    return rows


def run_scaling(args) -> list[dict]:
    sizes = [n for n in SIZES if not args.quick or n <= 5_000]
    limit = args.scaling_time_limit
    rows = []
    for label in ("n/3", "30"):
        for n in sizes:
            p = n // 3 if label == "n/3" else 30
            name = f"synthetic-{n // 1000}k-p{'n3' if label == 'n/3' else p}"
            row = {"suite": "scaling", "instance": name, "n": n, "p": p, "candidates": n}
            pairs = n * initial_k(n, p)
            if pairs > MAX_PAIRS:
                row.update(
                    status="not_run",
                    note=f"initial lists would hold ~{pairs / 1e6:.0f}M pairs",
                )
                rows.append(row)
                say(f"  {name}: not run ({row['note']})")
                continue
            r = task("synthetic", n, p, args.seed, limit, timeout=3 * limit + 120)
            if "error" in r:
                row.update(status="error", note=r["error"])
            else:
                diags = [d.removeprefix("solve.") for d in r.get("diagnoses", [])]
                row.update(
                    objective=r["objective"], status=r["status"], gap=r["gap"],
                    seconds=r["seconds"], build_seconds=r["build_seconds"],
                    peak_rss_mib=r["peak_rss_mib"],
                    note=f"MIP rounds={r['rounds']}"
                    + (f"; {', '.join(diags)}" if diags else ""),
                )  # fmt: skip
            rows.append(row)
            say(
                f"  {name}: {row.get('status')} gap {_pct(row.get('gap'))} build "
                f"{_f(row.get('build_seconds'), 2)} s total {_f(row.get('seconds'), 2)} s "
                f"peak {_f(row.get('peak_rss_mib'))} MiB"
            )
    return rows


def run_cities(args) -> list[dict]:
    cases = [
        ("jinjiang-default", "jinjiang", 0, 0),
        ("wenzhou-default", "wenzhou", 0, 0),
        ("wenzhou-stress-20k", "wenzhou", STRESS_GRID_M, args.stress_time_limit),
    ]
    rows = []
    for name, region, grid, limit in cases:
        r = task("city", region, grid, limit, timeout=1800)
        row = {"suite": "cities", "instance": name}
        if "error" in r:
            row.update(status="error", note=r["error"])
        else:
            st = r["tiers"].get("station", {})
            ce = r["tiers"].get("sorting_centre", {})
            row.update(
                n=r["demand"], p=r["stations"], candidates=r["candidates"],
                objective=st.get("objective"), status=st.get("status"), gap=st.get("gap"),
                seconds=r["seconds"], build_seconds=r["load_seconds"],
                peak_rss_mib=r["peak_rss_mib"],
                note=(
                    f"stations {st.get('status')} gap {_pct(st.get('gap'))} "
                    f"{_f(st.get('seconds'), 1)} s; centres {ce.get('status')} gap "
                    f"{_pct(ce.get('gap'))} {_f(ce.get('seconds'), 1)} s; "
                    f"time limit {r['time_limit_s']:g} s/tier, gap target {_pct(r['gap_target'])}"
                    + (f"; dense_grid_m={grid:g}" if grid else "")
                ),
            )  # fmt: skip
        rows.append(row)
        say(
            f"  {name}: {_f(row.get('seconds'), 1)} s, peak {_f(row.get('peak_rss_mib'))} MiB, "
            f"{row.get('candidates')} candidates; {row.get('note')}"
        )
    return rows


# --------------------------------------------------------------------------- output


def _f(v, nd: int = 0) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:,.{nd}f}"


def _pct(v) -> str:
    return "–" if v is None else f"{100 * v:.2f}%"


def _spopt_cell(row: dict, cap: float) -> str:
    if row.get("spopt_seconds") is None:
        return "–"
    if row.get("spopt_over_cap"):
        return f"> {cap:g} s (cap)"
    return f"{row['spopt_seconds']:.2f} s"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kib / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"nproc {os.cpu_count()}, {cpu}, RAM {ram}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for pkg in ("PuLP", "highspy", "numpy", "scipy", "spopt"):
        try:
            out.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:
            out.append(f"{pkg} absent")
    return ", ".join(out)


def fit_exponent(
    rows: list[dict], p_label: str, key: str = "seconds", optimal_only: bool = False
) -> float | None:
    """Slope of log(time) on log(n) over the scaling runs that returned a plan."""
    ok = ("optimal",) if optimal_only else ("optimal", "time_limit_feasible")
    pts = [
        (r["n"], r[key])
        for r in rows
        if r["suite"] == "scaling"
        and r["instance"].endswith(p_label)
        and r.get(key)
        and r.get("status") in ok
    ]
    if len(pts) < 2:
        return None
    n, t = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    return float(np.polyfit(n, t, 1)[0])


def summary(rows: list[dict], args) -> dict:
    pm = [r for r in rows if r["suite"] == "pmed"]
    cap = [r for r in rows if r["suite"] == "cap"]
    out: dict = {}

    def hit(r):
        return r.get("objective") is not None and abs(
            r["objective"] - r["published_optimum"]
        ) <= 1e-6 * max(1.0, r["published_optimum"])

    if pm:
        out["pmed_hit"] = (sum(hit(r) for r in pm), len(pm))
        sp = [r["speedup"] for r in pm if r.get("speedup")]
        if sp:
            out["speedup_median"] = statistics.median(sp)
            out["speedup_n"] = len(sp)
            out["speedup_lower_bound"] = any(r.get("spopt_over_cap") for r in pm)
            out["spopt_hit"] = sum(
                1
                for r in pm
                if r.get("spopt_objective") is not None
                and not r.get("spopt_over_cap")
                and abs(r["spopt_objective"] - r["published_optimum"])
                < 1e-6 * r["published_optimum"]
            )
            out["spopt_over_cap"] = sum(1 for r in pm if r.get("spopt_over_cap"))
    if cap:
        out["cap_hit"] = (sum(hit(r) for r in cap), len(cap))
    for label, key in (("pn3", "n3"), ("p30", "p30")):
        e = fit_exponent(rows, key)
        if e is not None:
            out[f"exponent_{label}"] = e
            out[f"exponent_solve_{label}"] = fit_exponent_solve(rows, key)
            out[f"exponent_optimal_{label}"] = fit_exponent(rows, key, optimal_only=True)
    return out


def fit_exponent_solve(rows: list[dict], p_label: str) -> float | None:
    derived = [
        dict(r, solve_seconds=r["seconds"] - (r.get("build_seconds") or 0.0))
        for r in rows
        if r["suite"] == "scaling" and r.get("seconds")
    ]
    return fit_exponent(derived, p_label, "solve_seconds")


_INT_COLS = {"n", "p", "candidates"}
_BOOL_COLS = {"spopt_over_cap"}
_STR_COLS = {"suite", "instance", "status", "spopt_status", "single_source_status", "note",
             "measured"}  # fmt: skip


def load_rows(path: Path) -> list[dict]:
    """Rows of an earlier ``benchmarks.csv``, typed back (empty cells left out)."""
    if not path.exists():
        return []
    out = []
    with path.open(newline="") as fh:
        for raw in csv.DictReader(fh):
            row: dict = {}
            for k, v in raw.items():
                if v in ("", None):
                    continue
                if k in _STR_COLS:
                    row[k] = v
                elif k in _BOOL_COLS:
                    row[k] = v == "True"
                elif k in _INT_COLS:
                    row[k] = int(float(v))
                else:
                    try:
                        row[k] = float(v)
                    except ValueError:
                        row[k] = v
            out.append(row)
    return out


def _old_run_date(path: Path) -> str | None:
    """Start time of the run an earlier ``benchmarks.md`` reports (its rows' date)."""
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        if line.startswith("Run "):
            return line.split()[1]
    return None


def merge_kept(rows: list[dict], parts: list[str], out: Path) -> list[dict]:
    """This run's rows plus the earlier rows of every part not re-run, in part order."""
    kept = [r for r in load_rows(out / "benchmarks.csv") if r.get("suite") not in parts]
    when = _old_run_date(out / "benchmarks.md")
    for r in kept:
        if "measured" not in r and when:
            r["measured"] = when
    return [r for part in PARTS for r in (rows if part in parts else kept) if r["suite"] == part]


def write_csv(rows: list[dict], path: Path) -> None:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: _csv(r.get(k)) for k in COLUMNS})


def _csv(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.6g}" if abs(v) < 1e6 else f"{v:.3f}"
    return v


def write_md(rows: list[dict], s: dict, path: Path, args, meta: dict) -> None:
    cap = args.spopt_cap
    L = [
        "# Benchmarks",
        "",
        f"Latest run {meta['started']} ({meta['wall'] / 60:.1f} min), command "
        f"`python benchmarks/run.py {meta['command']}`; it measured: "
        f"{', '.join(meta['parts'])}. Sections it did not run keep their rows from "
        "earlier runs; each section says when it was measured.",
        "",
        f"Machine: {machine()}.  ",
    ]
    if meta.get("load"):
        L.append(f"Load average (1/5/15 min) at the start: {meta['load']}.  ")
    L += [f"Packages: {versions()}.", ""]
    if args.note:
        L += [args.note, ""]
    if "pmed_hit" in s:
        a, b = s["pmed_hit"]
        L.append(f"- pmed1–20 at the published optimum: **{a}/{b}** (target {b}/{b}).")
    if "speedup_median" in s:
        lb = "≥ " if s["speedup_lower_bound"] else ""
        L.append(
            f"- Median speed-up over spopt+HiGHS ({s['speedup_n']} instances, spopt capped at "
            f"{cap:g} s; {s['spopt_over_cap']} over the cap, counted at the cap so the median "
            f"is a lower bound): **{lb}{s['speedup_median']:.1f}×** (target ≥ 10×)."
        )
    if "cap_hit" in s:
        a, b = s["cap_hit"]
        L.append(
            f"- cap41–74 multi-sourcing at the published optimum: **{a}/{b}** (target {b}/{b})."
        )
    for label, text in (("pn3", "p = n/3"), ("p30", "p = 30")):
        if f"exponent_{label}" in s:
            opt = s.get(f"exponent_optimal_{label}")
            L.append(
                f"- Scaling exponent ({text}, runs with a plan, log-log fit of total time on "
                f"n): **{s[f'exponent_{label}']:.2f}** (solve only "
                f"{s[f'exponent_solve_{label}']:.2f}"
                + (f"; optimal runs only {opt:.2f}" if opt is not None else "")
                + ")."
            )
    L.append("")
    L += _section(
        "OR-Library p-median (pmed1–20)",
        [r for r in rows if r["suite"] == "pmed"],
        [],
        "| instance | n | p | published | ours | status | ours s | peak MiB "
        "| spopt obj | spopt s | speed-up |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
        lambda r: (
            f"| {r['instance']} | {r.get('n', '')} | {r.get('p', '')} | "
            f"{r['published_optimum']:g} | {_f(r.get('objective'))} | {r.get('status')} | "
            f"{_f(r.get('seconds'), 2)} | {_f(r.get('peak_rss_mib'))} | "
            f"{'–' if r.get('spopt_over_cap') else _f(r.get('spopt_objective'))} | "
            f"{_spopt_cell(r, cap)} | {_speedup(r)} |"
        ),
    )
    L += _section(
        "OR-Library capacitated facility location (cap41–74)",
        [r for r in rows if r["suite"] == "cap"],
        [
            "Multi-sourcing (`total_cost=True`, the OR-Library convention) against the "
            "published optimum; single-sourcing objective alongside (infeasible where a "
            "customer's demand exceeds every single warehouse capacity).",
            "",
        ],
        "| instance | published | multi-sourcing | status | s | single-sourcing | status | s |",
        "|---|---:|---:|---|---:|---:|---|---:|",
        lambda r: (
            f"| {r['instance']} | {r['published_optimum']:,.3f} | "
            f"{_f(r.get('objective'), 3)} | "
            f"{r.get('status')} | {_f(r.get('seconds'), 2)} | "
            f"{_f(r.get('single_source_objective'), 3)} | {r.get('single_source_status')} | "
            f"{_f(r.get('single_source_seconds'), 2)} |"
        ),
    )
    L += _section(
        "Scaling (clustered synthetic p-median, candidates = demand points)",
        [r for r in rows if r["suite"] == "scaling"],
        [
            f"Gaussian clusters, seed {args.seed}, time limit "
            f"{args.scaling_time_limit:g} s per solve.",
            "",
        ],
        "| instance | n | p | status | gap | build s | solve s | total s | peak MiB | note |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---|",
        lambda r: (
            f"| {r['instance']} | {r['n']:,} | {r['p']:,} | {r.get('status')} | "
            f"{_pct(r.get('gap'))} | "
            f"{_f(r.get('build_seconds'), 2)} | {_f(_solve_seconds(r), 2)} | "
            f"{_f(r.get('seconds'), 2)} | {_f(r.get('peak_rss_mib'))} | {r.get('note', '')} |"
        ),
    )
    ct = [r for r in rows if r["suite"] == "cities"]
    L += _section(
        "Cities end to end (`planner.run.run_plan`)",
        ct,
        [],
        "| case | demand | candidates | stations | total s | peak MiB | tiers |",
        "|---|---:|---:|---:|---:|---:|---|",
        lambda r: (
            f"| {r['instance']} | {_f(r.get('n'))} | {_f(r.get('candidates'))} | "
            f"{_f(r.get('p'))} | {_f(r.get('seconds'), 1)} | {_f(r.get('peak_rss_mib'))} | "
            f"{r.get('note', '')} |"
        ),
    )
    if ct:
        L += [_city_targets(ct), ""]
    path.write_text("\n".join(L))


def _section(title: str, section: list[dict], intro: list[str], header: str, align: str,
             line) -> list[str]:  # fmt: skip
    """A Markdown section: title, when measured, ``intro`` lines, a table of ``line(row)``."""
    if not section:
        return []
    return [f"## {title}", "", _measured(section), "", *intro, header, align,
            *map(line, section), ""]  # fmt: skip


def _speedup(row: dict) -> str:
    sp = row.get("speedup")
    if sp is None:
        return "–"
    return f"> {sp:.1f}×" if row.get("spopt_over_cap") else f"{sp:.1f}×"


def _solve_seconds(row: dict) -> float | None:
    return (row["seconds"] - row["build_seconds"]) if row.get("seconds") else None


def _measured(section: list[dict]) -> str:
    dates = sorted({r["measured"] for r in section if r.get("measured")})
    return f"Measured {', '.join(dates)}." if dates else "Measurement date unknown."


def _city_targets(ct: list[dict]) -> str:
    out = []
    by = {r["instance"]: r for r in ct}
    wz = by.get("wenzhou-default")
    if wz and wz.get("seconds"):
        ok = (
            wz["seconds"] <= TARGET["wenzhou_default_s"]
            and wz["peak_rss_mib"] / 1024 <= TARGET["wenzhou_default_gib"]
        )
        out.append(
            f"Wenzhou default: {wz['seconds']:.1f} s, {wz['peak_rss_mib'] / 1024:.2f} GiB "
            f"(target ≤ 60 s, ≤ 2 GiB: {'met' if ok else 'MISSED'})."
        )
    st = by.get("wenzhou-stress-20k")
    if st and st.get("seconds"):
        ok = st["seconds"] <= TARGET["stress_s"] and (st.get("gap") or 0) <= TARGET["stress_gap"]
        out.append(
            f"Wenzhou stress ({st['candidates']:,} candidates): {st['seconds']:.1f} s, station "
            f"gap {_pct(st.get('gap'))} (target ≤ 300 s, gap ≤ 0.5%: {'met' if ok else 'MISSED'})."
        )
    return " ".join(out)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_m, ax_p) = plt.subplots(1, 3, figsize=(15, 4.5))
    sc = [r for r in rows if r["suite"] == "scaling" and r.get("seconds")]
    for key, label, mk in (("n3", "p = n/3", "o"), ("p30", "p = 30", "s")):
        pts = sorted((r for r in sc if r["instance"].endswith(key)), key=lambda r: r["n"])
        if not pts:
            continue
        n = [r["n"] for r in pts]
        ax_t.loglog(n, [r["seconds"] for r in pts], marker=mk, label=f"total, {label}")
        ax_t.loglog(
            n, [r["build_seconds"] for r in pts], marker=mk, ls=":", label=f"build, {label}"
        )
        ax_m.loglog(n, [r["peak_rss_mib"] for r in pts], marker=mk, label=label)
    if sc:
        n0 = min(r["n"] for r in sc)
        t0 = min(r["seconds"] for r in sc if r["n"] == n0)
        ns = np.array([n0, max(r["n"] for r in sc)])
        ax_t.loglog(ns, t0 * (ns / n0) ** 1.5, color="grey", ls="--", lw=0.8, label="n^1.5")
    for r in rows:
        if r["suite"] == "cities" and r.get("seconds"):
            ax_t.scatter(r["candidates"], r["seconds"], marker="*", s=80, zorder=3)
            ax_t.annotate(r["instance"], (r["candidates"], r["seconds"]), fontsize=7)
            ax_m.scatter(r["candidates"], r["peak_rss_mib"], marker="*", s=80, zorder=3)
            ax_m.annotate(r["instance"], (r["candidates"], r["peak_rss_mib"]), fontsize=7)
    ax_t.set(xlabel="points / candidates n", ylabel="seconds", title="Time vs size")
    ax_m.set(xlabel="points / candidates n", ylabel="peak RSS (MiB)", title="Peak memory vs size")
    pm = [r for r in rows if r["suite"] == "pmed" and r.get("seconds")]
    if pm:
        x = np.array([r["n"] * 1.0 for r in pm])
        jitter = np.array([r["p"] for r in pm]) / 400
        ax_p.semilogy(x * (1 + 0.05 * jitter), [r["seconds"] for r in pm], "o", label="ours")
        sp = [r for r in pm if r.get("spopt_seconds") is not None]
        if sp:
            xs = np.array([r["n"] * 1.0 for r in sp]) * (
                1 + 0.05 * np.array([r["p"] for r in sp]) / 400
            )
            ys = [r["spopt_seconds"] for r in sp]
            cap = [bool(r.get("spopt_over_cap")) for r in sp]
            ax_p.semilogy(
                xs[~np.array(cap)], np.array(ys)[~np.array(cap)], "s", label="spopt + HiGHS"
            )
            if any(cap):
                ax_p.semilogy(
                    xs[np.array(cap)], np.array(ys)[np.array(cap)], "v", label="spopt over cap"
                )
        ax_p.set(xlabel="n (pmed vertices)", ylabel="seconds", title="OR-Library pmed1–20")
    for ax in (ax_t, ax_m, ax_p):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="n <= 5k, spopt on pmed1-10 only")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--parts", default=",".join(PARTS), help="comma list of " + ", ".join(PARTS))
    ap.add_argument("--spopt-cap", type=float, default=120.0, help="spopt seconds per instance")
    ap.add_argument("--cap-time-limit", type=float, default=120.0)
    ap.add_argument("--scaling-time-limit", type=float, default=None,
                    help="per synthetic solve (default 300 s, 60 s with --quick)")  # fmt: skip
    ap.add_argument("--stress-time-limit", type=float, default=240.0,
                    help="solver limit per tier for the Wenzhou 20k stress case")  # fmt: skip
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--note", default="", help="free text for the results header")
    ap.add_argument("--only-this-run", action="store_true",
                    help="drop the rows of parts not run (default: keep them from the "
                    "existing benchmarks.csv)")  # fmt: skip
    ap.add_argument("--rows", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.scaling_time_limit is None:
        args.scaling_time_limit = 60.0 if args.quick else 300.0
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        ap.error(f"unknown parts: {', '.join(sorted(unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    t0 = time.perf_counter()
    say(f"Machine: {machine()}")
    meta = {
        "started": started,
        "parts": parts,
        "command": " ".join(sys.argv[1:]),
        "load": " / ".join(f"{v:.1f}" for v in os.getloadavg())
        if hasattr(os, "getloadavg")
        else "",
    }
    rows: list[dict] = []
    runners = {"pmed": run_pmed, "cap": run_cap, "scaling": run_scaling, "cities": run_cities}
    if args.rows is not None and args.rows.exists():  # re-render saved measurements
        saved = json.loads(args.rows.read_text())
        rows, meta = saved["rows"], saved["meta"]
        parts = meta["parts"]
    else:
        for part in PARTS:
            if part in parts:
                say(f"== {part}")
                rows += runners[part](args)
        for r in rows:
            r["measured"] = started
        meta["wall"] = time.perf_counter() - t0
        if args.rows is not None:
            args.rows.write_text(json.dumps({"rows": rows, "meta": meta}))
    wall = meta["wall"]
    if not args.only_this_run:
        rows = merge_kept(rows, parts, args.out)
    s = summary(rows, args)
    write_csv(rows, args.out / "benchmarks.csv")
    write_md(rows, s, args.out / "benchmarks.md", args, meta)
    plot(rows, args.out / "benchmarks.png")
    say(f"== summary ({wall / 60:.1f} min): {json.dumps(s)}")
    say(f"wrote {args.out / 'benchmarks.csv'}, .md, .png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
