"""One benchmark measurement per process: ``python benchmarks/tasks.py KIND ARGS...``.

:mod:`benchmarks.run` starts each measurement in a fresh interpreter so that peak
memory (``ru_maxrss``) belongs to that measurement alone and a runaway solve can be
killed. The last stdout line is ``RESULT {json}``. Kinds:

``pmed NAME``              our PMedian on the OR-Library all-pairs matrix
``spopt NAME CAP_S``       spopt's PMedian with pulp.HiGHS on the same matrix
``cap NAME TIME_LIMIT_S``  SortingCentreModel, multi- and single-sourcing
``synthetic N P SEED TIME_LIMIT_S``   clustered city-like p-median
``city REGION GRID_M TIME_LIMIT_S``   planner.run.run_plan end to end
"""

from __future__ import annotations

import dataclasses
import json
import math
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from planner.models import reference  # noqa: E402


def _peak_mib() -> float:
    # VmHWM is this address space's peak RSS. ru_maxrss would do on its own, but Linux
    # carries the forking parent's high-water mark across exec, which puts a floor of
    # the runner's own RSS under every small measurement.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _emit(**fields) -> None:
    fields["peak_rss_mib"] = round(_peak_mib(), 1)
    print("RESULT " + json.dumps(fields), flush=True)


def pmed(name: str) -> None:
    from planner.instance.distance import CostMatrix
    from planner.models import PMedian

    dist, p = reference.orlib_pmed(name)
    n = dist.shape[0]
    t0 = time.perf_counter()
    # Truncated start lists, as in tests/test_orlib.py: the exact grow loop does the rest.
    cm = CostMatrix.from_dense(dist, k=max(4, math.ceil(2 * n / p)))
    sol = PMedian.from_cost_matrix(cm, p).solve()
    seconds = time.perf_counter() - t0
    check = float(dist[:, sol.sites].min(axis=1).sum())
    _emit(
        n=n, p=p, objective=sol.objective, check=check, status=sol.status, gap=sol.gap,
        seconds=seconds, rounds=sol.result.rounds,
    )  # fmt: skip


def spopt(name: str, cap_s: str) -> None:
    import pulp
    from spopt.locate import PMedian

    cap = float(cap_s)
    dist, p = reference.orlib_pmed(name)
    n = dist.shape[0]
    t0 = time.perf_counter()
    model = PMedian.from_cost_matrix(dist, np.ones(n), p)
    build = time.perf_counter() - t0
    solver = pulp.HiGHS(msg=False, timeLimit=max(1.0, cap - build))
    model.solve(solver, results=False)
    seconds = time.perf_counter() - t0
    status = pulp.LpStatus[model.problem.status]
    _emit(
        n=n, p=p, objective=pulp.value(model.problem.objective), status=status,
        seconds=seconds, build_seconds=build, over_cap=seconds >= cap or status != "Optimal",
    )  # fmt: skip


def cap(name: str, time_limit_s: str) -> None:
    from planner.models import SolverOptions, SortingCentreModel

    capacity, fixed, demand, cost = reference.orlib_cap(name)
    opts = SolverOptions(time_limit_s=float(time_limit_s))
    out = {}
    for label, multi in (("multi", True), ("single", False)):
        t0 = time.perf_counter()
        model = SortingCentreModel.from_cost_matrix(
            cost, demand, capacity, None, fixed_cost=fixed, multi_source=multi, total_cost=True
        )
        sol = model.solve(opts)
        out[label] = {
            "objective": sol.objective,
            "status": sol.status,
            "gap": sol.gap,
            "seconds": time.perf_counter() - t0,
            "centres": len(sol.centres),
        }
    _emit(n=len(demand), m=len(capacity), **out)


def clustered_points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """City-like demand: Gaussian clusters of uneven size and spread over ~60 x 60 km.

    Returns coordinates (metres) and population weights. Seeded, so reproducible.
    """
    rng = np.random.default_rng(seed)
    k = max(8, n // 250)
    centres = rng.uniform(0, 60_000, size=(k, 2))
    share = rng.dirichlet(np.full(k, 0.8))
    sizes = rng.multinomial(n, share)
    spread = rng.uniform(400, 3_000, size=k)
    xy = np.concatenate(
        [c + rng.normal(0, s, size=(m, 2)) for c, s, m in zip(centres, spread, sizes, strict=True)]
    )
    weights = np.round(rng.lognormal(mean=7.0, sigma=0.8, size=n))
    return xy, weights


def synthetic(n_s: str, p_s: str, seed_s: str, time_limit_s: str) -> None:
    from planner.models import PMedian, SolverOptions

    n, p, seed = int(n_s), int(p_s), int(seed_s)
    xy, weights = clustered_points(n, seed)
    t0 = time.perf_counter()
    model = PMedian.from_points(xy, xy, p, weights)  # candidates = demand points
    build = time.perf_counter() - t0
    sol = model.solve(SolverOptions(time_limit_s=float(time_limit_s)))
    solve = time.perf_counter() - t0 - build
    _emit(
        n=n, p=p, objective=sol.objective, status=sol.status, gap=sol.gap,
        bound=sol.bound, build_seconds=build, solve_seconds=solve, seconds=build + solve,
        rounds=sol.result.rounds, initial_pairs=model.cost.nnz,
        diagnoses=[d.key for d in sol.diagnoses],
    )  # fmt: skip


def city(region_id: str, grid_m: str, time_limit_s: str) -> None:
    from planner.data.regions import load_region
    from planner.instance import build_instance
    from planner.run import run_plan
    from planner.scenario import default_scenario

    sc = default_scenario(region_id)
    if float(grid_m) > 0:
        sc = dataclasses.replace(sc, dense_grid_m=float(grid_m))
    if float(time_limit_s) > 0:
        sc = dataclasses.replace(
            sc, solver=dataclasses.replace(sc.solver, time_limit_s=float(time_limit_s))
        )
    t0 = time.perf_counter()
    region = load_region(region_id)
    inst = build_instance(region, sc)
    counts = {"demand": len(inst.demand), "candidates": len(inst.stations)}
    del inst
    t1 = time.perf_counter()
    plan = run_plan(region, sc)
    seconds = time.perf_counter() - t1
    tiers = {
        r.tier: {
            "status": r.status, "objective": r.objective, "gap": r.gap,
            "seconds": r.seconds, "bound": r.bound,
        }
        for r in plan.results
    }  # fmt: skip
    _emit(
        region=region_id, grid_m=float(grid_m), stations=int(sc.stations.count or 0),
        centres=int(sc.centres.count or 0), seconds=seconds, load_seconds=t1 - t0,
        gap_target=sc.solver.gap, time_limit_s=sc.solver.time_limit_s, tiers=tiers, **counts,
    )  # fmt: skip


KINDS = {"pmed": pmed, "spopt": spopt, "cap": cap, "synthetic": synthetic, "city": city}

if __name__ == "__main__":
    KINDS[sys.argv[1]](*sys.argv[2:])
