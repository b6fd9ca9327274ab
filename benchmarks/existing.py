"""Planning on top of an existing network, at city scale: ``python benchmarks/existing.py``.

Wenzhou's default scenario (1,550 stations, 30 sorting centres) is solved twice per
repeat, each in a fresh interpreter: on a green field (as today) and on top of a
generated inventory of about 1,000 existing stations and 12 sorting-centre yards. The
inventory is made here from a seeded generator — near populous communities, with a
mix of licences, fire-safety results, floor areas and sites out of use — and never
written to ``data/``: it is a load test, not data.

Prints, per variant, the instance build time, each tier's solve time, status and gap,
the action counts and the one-off cost, and writes ``existing.csv`` and ``existing.md``
to ``--out`` (default ``benchmarks/results``). Options: ``--repeats N`` (default 2),
``--region`` (default ``wenzhou``), ``--stations`` (default 1000).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULT = "RESULT "
FIELDS = (
    "variant", "run", "existing_sites", "build_s", "stations_s", "centres_s", "run_plan_s",
    "stations_status", "stations_gap", "centres_status", "centres_gap", "stations", "centres",
    "new", "upgrade", "keep", "close", "one_off_yuan",
)  # fmt: skip


def inventory(region, n_stations: int, n_yards: int = 12, seed: int = 2027):
    """A made-up inventory: stations near communities drawn by population, yards near
    township seats; attributes drawn with a realistic mix (see the example's README)."""
    import geopandas as gpd
    import numpy as np

    rng = np.random.default_rng(seed)
    comms = region.communities
    weight = comms["population"].to_numpy(dtype=float)
    picked = rng.choice(len(comms), size=n_stations, p=weight / weight.sum())
    metric = gpd.GeoSeries(
        gpd.points_from_xy(comms["point_lon"], comms["point_lat"]), crs=4326
    ).to_crs(region.metric_crs)
    angle = rng.uniform(0, 2 * np.pi, n_stations)
    dist = rng.uniform(30, 250, n_stations)
    x = metric.x.to_numpy()[picked] + dist * np.cos(angle)
    y = metric.y.to_numpy()[picked] + dist * np.sin(angle)
    towns = region.townships.sample(n_yards, random_state=seed)
    seats = gpd.GeoSeries(
        gpd.points_from_xy(towns["seat_lon"], towns["seat_lat"]), crs=4326
    ).to_crs(region.metric_crs)
    xs = np.concatenate([x, seats.x.to_numpy() + 300])
    ys = np.concatenate([y, seats.y.to_numpy() + 300])
    n = n_stations + n_yards

    def draw(values, shares):
        return rng.choice(values, size=n, p=shares)

    area = np.round(rng.lognormal(np.log(25), 0.6, n), 1)
    area[n_stations:] = np.round(rng.uniform(600, 3000, n_yards))
    points = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=region.metric_crs).to_crs(4326)
    return gpd.GeoDataFrame(
        {
            "site_id": [f"x{i:04d}" for i in range(n)],
            "tier": ["station"] * n_stations + ["sorting_centre"] * n_yards,
            "status": "existing_keep",
            "name": [f"benchmark site {i}" for i in range(n)],
            "floor_area_m2": area,
            "licence": draw(["yes", "no", "unknown"], [0.7, 0.1, 0.2]),
            "fire_safety": draw(["pass", "fail", "unknown"], [0.8, 0.08, 0.12]),
            "in_use": draw(["yes", "no"], [0.92, 0.08]),
            "standardised": draw(["yes", "no", "unknown"], [0.45, 0.45, 0.1]),
        },
        geometry=points.to_numpy(),
        crs=4326,
    )


def worker(region_id: str, variant: str, n_stations: int) -> None:
    """One measured run in this (fresh) process; prints ``RESULT {json}``."""
    sys.path.insert(0, str(ROOT))
    from planner.data.regions import load_region
    from planner.run import run_plan
    from planner.scenario import default_scenario

    region = load_region(region_id)
    if variant == "existing":
        region = region.with_layer("sites", inventory(region, n_stations))
    stamps: dict[str, float] = {}

    def progress(stage: str, _fraction: float) -> None:
        stamps.setdefault(stage, time.perf_counter())

    t0 = time.perf_counter()
    plan = run_plan(region, default_scenario(region_id), progress)
    total = time.perf_counter() - t0
    res = {r.tier: r for r in plan.results}
    acts = plan.kpis["actions"]["station"]
    row = {
        "variant": variant,
        "existing_sites": 0 if region.sites is None else len(region.sites),
        "build_s": round(stamps.get("run.stage.stations", t0) - t0, 2),
        "stations_s": res["station"].seconds,
        "centres_s": res["sorting_centre"].seconds if "sorting_centre" in res else None,
        "run_plan_s": round(total, 2),
        "stations_status": res["station"].status,
        "stations_gap": res["station"].gap,
        "centres_status": res["sorting_centre"].status if "sorting_centre" in res else "",
        "centres_gap": res["sorting_centre"].gap if "sorting_centre" in res else None,
        "stations": len(plan.stations),
        "centres": len(plan.centres),
        **{a: acts[a] for a in ("new", "upgrade", "keep", "close")},
        "one_off_yuan": plan.kpis["costs"]["one_off_yuan"],
    }
    print(RESULT + json.dumps(row), flush=True)


def _run(region: str, variant: str, n: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", variant, "--region", region, "--stations", str(n)]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith(RESULT))
    return json.loads(line[len(RESULT) :])


def _median(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if isinstance(r.get(key), int | float)]
    return round(statistics.median(values), 2) if values else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--region", default="wenzhou")
    ap.add_argument("--stations", type=int, default=1000)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--worker", choices=["green_field", "existing"])
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.region, args.worker, args.stations)
        return 0
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    rows = []
    for k in range(args.repeats):
        for variant in ("green_field", "existing"):
            row = {**_run(args.region, variant, args.stations), "run": k + 1}
            rows.append(row)
            r = row
            print(
                f"{variant:12s} run {k + 1}: build {r['build_s']} s, stations {r['stations_s']} s"
                f" ({r['stations_status']}, gap {r['stations_gap']}), centres {r['centres_s']} s"
                f" ({r['centres_status']}), total {r['run_plan_s']} s; actions new {r['new']}"
                f" / upgrade {r['upgrade']} / keep {r['keep']} / close {r['close']};"
                f" one-off {r['one_off_yuan']:,.0f} yuan",
                flush=True,
            )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "existing.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        "# Existing network at city scale",
        "",
        f"Run {started} UTC: `python benchmarks/existing.py --region {args.region} "
        f"--stations {args.stations} --repeats {args.repeats}` (fresh interpreter per run;",
        "the inventory is generated by the benchmark, not data).",
        "",
        "| variant | existing sites | build s | station tier s | centre tier s | run_plan s "
        "| stations (new / upgrade / keep / close) | statuses |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for variant in ("green_field", "existing"):
        mine = [r for r in rows if r["variant"] == variant]
        last = mine[-1]
        lines.append(
            f"| {variant} | {last['existing_sites']:,} | {_median(mine, 'build_s')} "
            f"| {_median(mine, 'stations_s')} | {_median(mine, 'centres_s')} "
            f"| {_median(mine, 'run_plan_s')} | {last['stations']:,} ({last['new']:,} / "
            f"{last['upgrade']:,} / {last['keep']:,} / {last['close']:,}) "
            f"| {last['stations_status']} / {last['centres_status']} |"
        )
    lines += ["", "Medians over the repeats; statuses of the last run.", ""]
    (out / "existing.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
