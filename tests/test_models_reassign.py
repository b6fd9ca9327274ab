"""Whatever stops a capacitated solve, the plan returned is the best for its open sites.

Issue 20, item 1. The solver is stopped early (a fake solve that hands back a poor but
feasible incumbent with status ``time_limit_feasible``, or a real solve under a tiny
time limit), and every answer is checked independently: the transportation LP on the
returned open sites (``scipy.optimize.linprog`` on a dense formulation) for split
assignment, every single-source assignment tried for single sourcing; the reported
objective is the recomputed cost of the returned plan; the bound stays below the
brute-force optimum.
"""

from __future__ import annotations

import itertools
import math
import threading

import numpy as np
import pulp
import pytest
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

import planner.models.centres as centres_module
import planner.models.p_median as p_median_module
from planner.models import (
    Deadline,
    PMedian,
    PolicyRules,
    SolverOptions,
    SortingCentreModel,
    _highs,
)
from planner.models._highs import RawSolve
from planner.models.assignment import single_source_assignment, split_assignment
from planner.models.reference import euclidean, single_source_cost

# --------------------------------------------------------------------------- references


def dense_transport(cost: np.ndarray, tonnage: np.ndarray, capacity: np.ndarray) -> float:
    """Transportation LP on a dense ``(n, k)`` block (every pair allowed); ``inf`` if
    infeasible. Written out independently of the planner's sparse version."""
    n, k = cost.shape
    a_eq = np.kron(np.eye(n), np.ones(k))
    a_ub = np.hstack([np.kron(tonnage[i], np.eye(k)) for i in range(n)])
    res = linprog(cost.ravel(), A_ub=a_ub, b_ub=capacity, A_eq=a_eq, b_eq=np.ones(n),
                  bounds=(0, 1), method="highs")  # fmt: skip
    return float(res.fun) if res.status == 0 else math.inf


def dense_gap(cost: np.ndarray, tonnage: np.ndarray, capacity: np.ndarray) -> float:
    """Generalized assignment on a dense block, solved exactly by ``scipy.optimize.milp``."""
    n, k = cost.shape
    a_eq = np.kron(np.eye(n), np.ones(k))
    a_ub = np.hstack([np.kron(tonnage[i], np.eye(k)) for i in range(n)])
    rows = [LinearConstraint(a_eq, 1, 1), LinearConstraint(a_ub, -np.inf, capacity)]
    res = milp(cost.ravel(), integrality=np.ones(n * k), bounds=Bounds(0, 1),
               constraints=rows, options={"mip_rel_gap": 0.0})  # fmt: skip
    assert res.status == 0
    return float(res.fun)


def brute_assignment(cost: np.ndarray, tonnage: np.ndarray, capacity: np.ndarray) -> float:
    """Cheapest single-source assignment of a tiny block, every assignment tried."""
    n, k = cost.shape
    best = math.inf
    for a in itertools.product(range(k), repeat=n):
        if np.all(np.bincount(a, weights=tonnage, minlength=k) <= capacity + 1e-9):
            best = min(best, float(cost[np.arange(n), a].sum()))
    return best


def _block(seed: int, n: int, k: int, slack: float):
    rng = np.random.default_rng(seed)
    tonnage = rng.integers(1, 10, n).astype(float)
    cost = tonnage[:, None] * rng.uniform(1, 100, (n, k))
    capacity = np.full(k, tonnage.sum() / k * slack).round()
    return cost, tonnage, capacity


def _allocation_cost(sol, unit: np.ndarray, dist: np.ndarray) -> float:
    st, ce, share = sol.allocation
    return float(np.sum(unit[st] * dist[st, ce] * share))


# --------------------------------------------------------------------------- the module


@pytest.mark.parametrize("seed", range(5))
def test_split_assignment_is_the_transportation_lp(seed):
    cost, t, cap = _block(seed, 12, 4, 1.05)
    found = split_assignment(cost, t, cap)
    assert found is not None and found.proven
    assert found.cost == pytest.approx(dense_transport(cost, t, cap), rel=1e-9)
    # The shares are a plan: every point served once, no site over capacity, and the
    # cost is that of exactly these shares.
    served = np.bincount(found.rows, weights=found.shares, minlength=12)
    load = np.bincount(found.cols, weights=t[found.rows] * found.shares, minlength=4)
    assert np.allclose(served, 1.0) and np.all(load <= cap + 1e-6)
    assert found.cost == pytest.approx(float(np.sum(cost[found.rows, found.cols] * found.shares)))


def test_split_assignment_says_none_when_capacity_is_short():
    cost, t, cap = _block(0, 6, 2, 0.9)
    assert split_assignment(cost, t, cap) is None


@pytest.mark.parametrize("seed", range(6))
def test_single_source_assignment_is_the_brute_force_optimum(seed):
    cost, t, cap = _block(seed, 8, 3, 1.1)
    best = brute_assignment(cost, t, cap)
    assert math.isfinite(best)
    worst = _worst_feasible(cost, t, cap)
    found = single_source_assignment(cost, t, cap, start=worst)
    assert found is not None and found.proven
    assert found.cost == pytest.approx(best, rel=1e-9)
    a = found.cols
    assert found.cost == pytest.approx(float(cost[np.arange(8), a].sum()))
    assert np.all(np.bincount(a, weights=t, minlength=3) <= cap + 1e-9)
    assert found.bound is not None and found.bound <= best + 1e-6


@pytest.mark.parametrize("seed", range(4))
def test_local_search_alone_improves_a_poor_start_and_stays_feasible(seed):
    cost, t, cap = _block(seed, 9, 3, 1.15)
    worst = _worst_feasible(cost, t, cap)
    start_cost = float(cost[np.arange(9), worst].sum())
    found = single_source_assignment(cost, t, cap, start=worst, exact=False)
    assert found is not None and not found.proven
    assert found.cost < start_cost
    assert np.all(np.bincount(found.cols, weights=t, minlength=3) <= cap + 1e-9)
    # Shift moves are exhausted: no point can move alone to a cheaper site with room.
    load = np.bincount(found.cols, weights=t, minlength=3)
    for i in range(9):
        for q in range(3):
            if cost[i, q] < cost[i, found.cols[i]] - 1e-9:
                assert load[q] + t[i] > cap[q] + 1e-9


def _worst_feasible(cost: np.ndarray, t: np.ndarray, cap: np.ndarray) -> np.ndarray:
    n, k = cost.shape
    worst, worst_cost = None, -math.inf
    for a in itertools.product(range(k), repeat=n):
        if np.all(np.bincount(a, weights=t, minlength=k) <= cap + 1e-9):
            c = float(cost[np.arange(n), a].sum())
            if c > worst_cost:
                worst, worst_cost = np.array(a), c
    assert worst is not None
    return worst


# --------------------------------------------------------------------------- stopped solves


def _install(monkeypatch, module, open_sites, chosen_pairs, bound):
    """Replace ``module.solve_problem`` by a fake solve that sets ``y`` on
    ``open_sites`` and ``x`` on ``chosen_pairs`` (cost-matrix positions) and reports
    ``time_limit_feasible`` with ``bound``."""

    def fake(prob: pulp.LpProblem, options, deadline, warm_start=False, tuning=None) -> RawSolve:
        for var in prob.variables():
            if var.name.startswith("y"):
                var.varValue = 1.0 if int(var.name[1:]) in open_sites else 0.0
            elif var.name.startswith("x"):
                var.varValue = 1.0 if int(var.name[1:]) in chosen_pairs else 0.0
            else:
                var.varValue = 0.0
        objective = float(pulp.value(prob.objective))
        return RawSolve("time_limit_feasible", objective, bound, True, "interrupted")

    monkeypatch.setattr(module, "solve_problem", fake)


def _centre_instance(seed: int, n: int = 8, m: int = 4):
    rng = np.random.default_rng(seed)
    stations = rng.uniform(0, 10_000, (n, 2))
    sites = rng.uniform(0, 10_000, (m, 2))
    tonnage = rng.integers(1, 7, n).astype(float)
    return stations, sites, tonnage, euclidean(stations, sites)


def _dearest_pairs(model, open_sites, cap_open):
    """Per station the dearest open site that still fits (a poor, feasible plan)."""
    cm = model.cost
    load = dict.fromkeys(open_sites, 0.0)
    chosen = set()
    t = model.tonnage
    for i in np.argsort(-t).tolist():
        options = []
        for pos in range(int(cm.indptr[i]), int(cm.indptr[i + 1])):
            j = int(cm.indices[pos])
            if j in load and load[j] + t[i] <= cap_open + 1e-9:
                options.append((cm.data[pos], pos, j))
        _, pos, j = max(options)
        load[j] += t[i]
        chosen.add(pos)
    return chosen


@pytest.mark.parametrize("multi_source", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_centre_plan_stopped_at_the_limit_is_re_assigned_before_reporting(
    monkeypatch, seed, multi_source
):
    _, _, t, dist = _centre_instance(seed)
    cap = float(np.ceil(t.sum() / 2 * 1.2))
    open_sites = (0, 1)
    model = SortingCentreModel(
        dist, t, cap, p=2, heuristic=False, multi_source=multi_source, total_cost=False
    )
    chosen = _dearest_pairs(model, set(open_sites), cap)
    _install(monkeypatch, centres_module, set(open_sites), chosen, bound=None)
    sol = model.solve(SolverOptions(gap=0.0))
    poor = float(sum(t[model.cost.rows[p]] * model.cost.data[p] for p in chosen))

    assert sorted(sol.centres.tolist()) == list(open_sites)
    block = t[:, None] * dist[:, list(open_sites)]
    caps = np.full(2, cap)
    if multi_source:
        best_here = dense_transport(block, t, caps)
        best_anywhere = min(
            dense_transport(t[:, None] * dist[:, list(c)], t, np.full(2, cap))
            for c in itertools.combinations(range(4), 2)
        )
    else:
        best_here = single_source_cost(dist, t, np.full(4, cap), open_sites)
        best_anywhere = min(
            single_source_cost(dist, t, np.full(4, cap), c)
            for c in itertools.combinations(range(4), 2)
        )
    # The plan returned is the best for its open sites, and its objective is its cost.
    assert sol.objective == pytest.approx(best_here, rel=1e-7)
    assert sol.objective == pytest.approx(_allocation_cost(sol, t, dist), rel=1e-9)
    assert sol.transport_cost == pytest.approx(sol.objective)
    st, ce, share = sol.allocation
    assert np.allclose(np.bincount(st, weights=share, minlength=8), 1.0)
    assert np.all(np.bincount(ce, weights=t[st] * share, minlength=4) <= cap + 1e-6)
    if not multi_source:
        assert np.allclose(share, 1.0)
    if best_here < poor - 1e-6:
        assert "solve.reassigned" in [d.key for d in sol.diagnoses]
    # The bound (here: every station at its nearest candidate) stays a valid bound.
    assert sol.bound is None or sol.bound <= best_anywhere + 1e-6
    if sol.bound is not None:
        assert sol.gap == pytest.approx((sol.objective - sol.bound) / sol.objective, abs=1e-9)
    assert sol.status in ("optimal", "time_limit_feasible")
    if sol.status == "optimal":
        assert sol.gap is not None and sol.gap <= 1e-9


def test_station_plan_stopped_at_the_limit_gets_its_transportation_lp(monkeypatch):
    rng = np.random.default_rng(7)
    demand = rng.uniform(0, 5_000, (10, 2))
    sites = rng.uniform(0, 5_000, (4, 2))
    hh = rng.integers(1, 20, 10).astype(float)
    cap = float(np.ceil(hh.sum() / 2 * 1.1))
    dist = euclidean(demand, sites)
    model = PMedian(dist, 2, hh, rules=PolicyRules(capacity=cap))
    # No uncapacitated start: the MIP alone decides (and is stopped).
    monkeypatch.setattr(model, "_uncapacitated_start", lambda *a: (None, None))
    open_sites = {1, 3}
    chosen = _dearest_pairs_stations(model, open_sites, cap)
    _install(monkeypatch, p_median_module, open_sites, chosen, bound=0.0)
    sol = model.solve(SolverOptions(gap=0.0))
    assert sorted(sol.sites.tolist()) == sorted(open_sites)
    block = hh[:, None] * dist[:, sorted(open_sites)]
    best_here = dense_transport(block, hh, np.full(2, cap))
    assert sol.objective == pytest.approx(best_here, rel=1e-7)
    d_rows, d_sites, share = sol.allocation
    assert sol.objective == pytest.approx(
        float(np.sum(hh[d_rows] * dist[d_rows, d_sites] * share)), rel=1e-9
    )
    assert "solve.reassigned" in [d.key for d in sol.diagnoses]
    assert "solve.capacity_transport" not in [d.key for d in sol.diagnoses]
    assert sol.status == "time_limit_feasible"
    assert sol.bound is not None and sol.bound <= best_here + 1e-6
    assert sol.gap == pytest.approx((sol.objective - sol.bound) / sol.objective, abs=1e-9)


def _dearest_pairs_stations(model, open_sites, cap):
    cm = model.cost
    load = dict.fromkeys(open_sites, 0.0)
    chosen = set()
    h = model.households
    for i in np.argsort(-h).tolist():
        options = []
        for pos in range(int(cm.indptr[i]), int(cm.indptr[i + 1])):
            j = int(cm.indices[pos])
            if j in load and load[j] + h[i] <= cap + 1e-9:
                options.append((cm.data[pos], pos, j))
        _, pos, j = max(options)
        load[j] += h[i]
        chosen.add(pos)
    return chosen


@pytest.mark.parametrize("multi_source", [False, True])
def test_real_solve_under_a_tiny_limit_reports_the_best_assignment_for_its_sites(multi_source):
    # A medium CFLP stopped by a 0.3 s limit (or not: the check holds either way).
    rng = np.random.default_rng(3)
    n, m = 60, 12
    stations = rng.uniform(0, 10_000, (n, 2))
    sites = rng.uniform(0, 10_000, (m, 2))
    t = rng.integers(1, 20, n).astype(float)
    cap = rng.integers(80, 160, m).astype(float)
    fixed = rng.uniform(5e5, 1e6, m)
    dist = euclidean(stations, sites)
    model = SortingCentreModel(
        dist, t, cap, p=None, fixed_cost=fixed, multi_source=multi_source, heuristic=False
    )
    # a loaded machine may find no plan in 0.3 s: then a longer limit (still a stop)
    for limit in (0.3, 1.0, 5.0, 30.0):
        sol = model.solve(SolverOptions(time_limit_s=limit, gap=0.0))
        if sol.result.has_plan:
            break
    assert sol.result.has_plan
    open_sites = sol.centres.tolist()
    block = t[:, None] * dist[:, open_sites]
    if multi_source:
        best_here = dense_transport(block, t, cap[open_sites])
    else:
        best_here = dense_gap(block, t, cap[open_sites])
    assert sol.transport_cost == pytest.approx(best_here, rel=1e-7)
    assert sol.objective == pytest.approx(
        _allocation_cost(sol, t, dist) + fixed[open_sites].sum(), rel=1e-9
    )
    if sol.bound is not None:
        assert sol.bound <= sol.objective + 1e-6
        assert sol.gap == pytest.approx((sol.objective - sol.bound) / sol.objective, abs=1e-9)


# --------------------------------------------------------------------------- hard limit


@pytest.fixture
def stuck_highs(monkeypatch):
    """HiGHS hangs like a phase that never checks its limit: ``clock`` passes the
    deadline while it is stuck; with ``solve_first`` it first solves (and reports its
    incumbents through the callbacks), otherwise it hangs before finding anything."""
    release = threading.Event()
    state = {"clock": None, "solve_first": True}

    def run_then_hang(h):
        if state["solve_first"]:
            h.run()
        state["clock"].now += 1_000.0
        release.wait(60)

    monkeypatch.setattr(_highs, "_run_highs", run_then_hang)
    yield state
    release.set()
    for thread in list(_highs._LEFT_BEHIND):
        thread.join(10)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("multi_source", [False, True])
def test_a_centre_mip_cut_off_at_the_deadline_returns_its_incumbent_re_assigned(
    stuck_highs, multi_source
):
    _, _, t, dist = _centre_instance(5, n=14, m=6)
    cap = float(np.ceil(t.sum() / 3 * 1.15))
    nearest = float(np.sum(t * dist.min(axis=1)))
    clock = _Clock()
    stuck_highs["clock"] = clock
    model = SortingCentreModel(dist, t, cap, p=3, heuristic=False, multi_source=multi_source)
    sol = model.solve(SolverOptions(time_limit_s=0.5), deadline=Deadline(0.5, clock=clock))
    keys = [d.key for d in sol.diagnoses]
    assert "solve.solver_cut_off" in keys
    assert sol.result.has_plan and len(sol.centres) == 3
    open_sites = sol.centres.tolist()
    block = t[:, None] * dist[:, open_sites]
    caps = np.full(3, cap)
    best_here = dense_transport(block, t, caps) if multi_source else dense_gap(block, t, caps)
    assert sol.objective == pytest.approx(best_here, rel=1e-7)
    assert sol.objective == pytest.approx(_allocation_cost(sol, t, dist), rel=1e-9)
    # The bound (HiGHS's before it hung, at least every station at its nearest
    # candidate) is a bound; the gap is the returned plan's.
    assert sol.bound is not None and nearest - 1e-6 <= sol.bound <= sol.objective + 1e-6
    assert sol.gap == pytest.approx((sol.objective - sol.bound) / sol.objective, abs=1e-9)
    assert sol.status == ("optimal" if sol.gap <= 1e-9 else "time_limit_feasible")


def test_a_centre_mip_stuck_before_any_plan_falls_back_to_the_search_plan(stuck_highs):
    _, _, t, dist = _centre_instance(6, n=9, m=5)
    cap = float(np.ceil(t.sum() / 3 * 1.1))
    clock = _Clock()
    stuck_highs.update(clock=clock, solve_first=False)
    model = SortingCentreModel(dist, t, cap, p=3)
    # A gap target the relaxation cannot meet, so the MIP is started (and gets stuck).
    sol = model.solve(SolverOptions(time_limit_s=0.5, gap=0.0), deadline=Deadline(0.5, clock=clock))
    keys = [d.key for d in sol.diagnoses]
    if "solve.centre_bound" in keys or "solve.centre_lagrangian_bound" in keys:
        pytest.skip("the relaxation closed the gap: no MIP was started")
    assert "solve.solver_cut_off" in keys
    assert sol.status == "time_limit_feasible" and len(sol.centres) == 3
    open_sites = sol.centres.tolist()
    best_here = dense_gap(t[:, None] * dist[:, open_sites], t, np.full(3, cap))
    assert sol.objective == pytest.approx(best_here, rel=1e-7)
    best = min(
        single_source_cost(dist, t, np.full(5, cap), c) for c in itertools.combinations(range(5), 3)
    )
    assert sol.bound is not None and sol.bound <= best + 1e-6
    assert sol.gap == pytest.approx((sol.objective - sol.bound) / sol.objective, abs=1e-9)


# ------------------------------------------------- the plan improved before the gap check


@pytest.mark.parametrize("multi_source", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_reassigned_plan_is_the_best_assignment_for_its_sites(seed, multi_source):
    from planner.models.assignment import reassigned_plan
    from planner.models.capacitated_search import CapacitatedPlan

    cost, tonnage, capacity = _block(seed, 7, 3, 1.25)
    rng = np.random.default_rng(seed)
    sites = np.array([2, 5, 9])  # the block's columns are these sites, in order
    while True:  # a poor but feasible single-source start
        start = rng.integers(0, 3, 7)
        if np.all(np.bincount(start, weights=tonnage, minlength=3) <= capacity):
            break
    fixed = 11.0
    poor = CapacitatedPlan(sites, sites[start], float(cost[np.arange(7), start].sum()) + fixed)
    better = reassigned_plan(poor, cost, tonnage, capacity, fixed, multi_source, None)
    want = dense_transport(cost, tonnage, capacity) if multi_source else None
    if want is None:
        want = brute_assignment(cost, tonnage, capacity)
    assert better.cost == pytest.approx(want + fixed, rel=1e-9)
    assert better.cost <= poor.cost + 1e-9
    # the plan's own figures agree with its cost
    if multi_source and better.split is not None:
        st, site, share = better.split
        col = np.searchsorted(sites, site)
        assert float(np.dot(cost[st, col], share)) + fixed == pytest.approx(better.cost)
    else:
        col = np.searchsorted(sites, better.assignment)
        assert float(cost[np.arange(7), col].sum()) + fixed == pytest.approx(better.cost)
        assert np.all(np.bincount(col, weights=tonnage, minlength=3) <= capacity + 1e-9)
    # an already best plan comes back as it is
    assert reassigned_plan(better, cost, tonnage, capacity, fixed, multi_source, None) is better


@pytest.mark.parametrize("seed", range(3))
def test_a_search_plan_with_a_poor_assignment_is_proven_without_a_mip(monkeypatch, seed):
    """The search finds the right centres but a poor assignment: re-assigning before
    the gap check lets the bound prove the plan, so no MIP runs (before, the MIP ran
    to close a gap that was only the assignment's)."""
    from planner.models.capacitated_search import CapacitatedPlan

    _, _, t, dist = _centre_instance(seed)
    cap = float(t.sum())  # capacity never binds: the uncapacitated bound is the optimum
    best_sites = min(
        itertools.combinations(range(4), 2),
        key=lambda c: single_source_cost(dist, t, np.full(4, cap), c),
    )
    optimum = single_source_cost(dist, t, np.full(4, cap), best_sites)
    sites = np.array(sorted(best_sites))
    far = sites[np.argmax(dist[:, sites], axis=1)]  # every station at the farther one

    def poor_search(*args, **kwargs):
        return CapacitatedPlan(sites, far, float(t @ dist[np.arange(len(t)), far]))

    mips = []
    monkeypatch.setattr(centres_module, "capacitated_search", poor_search)
    # no Lagrangian plan to fall back on: only the re-assignment can close the gap
    monkeypatch.setattr(centres_module, "centre_lagrangian_bound", lambda *a, **k: None)
    monkeypatch.setattr(
        centres_module, "solve_problem", lambda *a, **k: mips.append(1) or pytest.fail("MIP ran")
    )
    model = SortingCentreModel(dist, t, cap, p=2, total_cost=False)
    sol = model.solve(SolverOptions(gap=1e-6))
    assert not mips
    assert sol.status == "optimal"
    assert sorted(sol.centres.tolist()) == sites.tolist()
    assert sol.objective == pytest.approx(optimum, rel=1e-9)
    assert sol.objective == pytest.approx(_allocation_cost(sol, t, dist), rel=1e-9)
