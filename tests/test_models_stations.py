"""Station models against brute force and dense references; rules; diagnoses; limits.

Dense matrices, brute force and the classic x_ij p-median come from
:mod:`planner.models.reference`.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pulp
import pytest
from scipy.optimize import linprog

from planner.i18n import PlannerError
from planner.instance.distance import CostMatrix
from planner.models import (
    MCLP,
    PMedian,
    PolicyRules,
    SetCover,
    SiteGroup,
    SolveResult,
    SolverOptions,
    groups_from_labels,
    relative_gap,
)
from planner.models.reference import brute_pmedian, classic_pmedian, euclidean

HIGHS = SolverOptions()
CBC = SolverOptions(solver="cbc")


def _instance(seed: int, n: int = 12, m: int = 7):
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 1_000, (n, 2))
    sites = rng.uniform(0, 1_000, (m, 2))
    weights = rng.integers(1, 20, n).astype(float)
    return demand, sites, weights, euclidean(demand, sites)


# --------------------------------------------------------------------------- p-median


@pytest.mark.parametrize("options", [HIGHS, CBC], ids=["highs", "cbc"])
@pytest.mark.parametrize(("seed", "p"), [(0, 1), (1, 2), (2, 3), (3, 4)])
def test_pmedian_matches_brute_force(seed, p, options):
    demand, sites, w, dist = _instance(seed)
    sol = PMedian.from_points(demand, sites, p, w, k=1).solve(options)
    best, _combo = brute_pmedian(dist, w, p)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(best, rel=1e-9)
    assert float(w @ dist[:, sol.sites].min(axis=1)) == pytest.approx(best, rel=1e-9)
    assert sol.gap == 0.0 and sol.bound == pytest.approx(best, rel=1e-7)
    # Assignment is the true nearest open site, also beyond the sparse lists.
    ref = dist[:, sol.sites]
    assert np.array_equal(sol.assignment, sol.sites[np.argmin(ref, axis=1)])
    assert np.allclose(sol.distance, ref.min(axis=1))


@pytest.mark.parametrize("seed", range(10))
def test_sparse_pmedian_equals_dense_classic_optimum(seed):
    rng = np.random.default_rng(100 + seed)
    demand = rng.uniform(0, 10_000, (60, 2))
    sites = np.vstack([demand[rng.choice(60, 30, replace=False)], rng.uniform(0, 10_000, (10, 2))])
    w = rng.integers(1, 50, 60).astype(float)
    p = int(rng.integers(2, 9))
    ref = classic_pmedian(euclidean(demand, sites), w, p)
    # One site per list and no presolve: the grow loop has to do the work.
    model = PMedian.from_points(demand, sites, p, w, k=1, presolve=False)
    sol = model.solve()
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(ref, rel=1e-7)
    assert sol.result.rounds >= 2  # truncated lists were grown at least once
    assert model.cost.row_counts.max() == 1  # the model's own matrix is untouched
    # With the presolve (heuristic, Lagrangian bound, fixing, then the same loop).
    model = PMedian.from_points(demand, sites, p, w, k=1)
    sol = model.solve()
    assert sol.status == "optimal" and sol.gap == 0.0
    assert sol.objective == pytest.approx(ref, rel=1e-7)
    assert model.cost.row_counts.max() == 1


def test_pmedian_zero_weight_rows_still_get_assigned():
    demand, sites, w, dist = _instance(5)
    w[:4] = 0.0
    sol = PMedian.from_points(demand, sites, 2, w).solve()
    best, _ = brute_pmedian(dist, w, 2)
    assert sol.objective == pytest.approx(best)
    assert np.all(sol.assignment >= 0)


def test_pmedian_on_dense_and_sparse_inputs():
    _demand, _sites, w, dist = _instance(6)
    best, _ = brute_pmedian(dist, w, 3)
    assert PMedian.from_cost_matrix(dist, 3, w).solve().objective == pytest.approx(best)
    cut = CostMatrix.from_dense(dist, k=1)
    assert PMedian.from_cost_matrix(cut, 3, w).solve().objective == pytest.approx(best)


# --------------------------------------------------------------------------- rules bind


def test_required_site_binds():
    demand, sites, w, dist = _instance(11)
    free, combo = brute_pmedian(dist, w, 2)
    forced = next(j for j in range(7) if j not in combo)
    best, _ = brute_pmedian(dist, w, 2, lambda c: forced in c)
    sol = PMedian.from_points(demand, sites, 2, w, rules=PolicyRules(required=[forced])).solve()
    assert forced in sol.sites
    assert sol.objective == pytest.approx(best) and best > free + 1e-6


def test_excluded_site_binds():
    demand, sites, w, dist = _instance(12)
    free, combo = brute_pmedian(dist, w, 3)
    banned = combo[0]
    best, _ = brute_pmedian(dist, w, 3, lambda c: banned not in c)
    sol = PMedian.from_points(demand, sites, 3, w, rules=PolicyRules(excluded=[banned])).solve()
    assert banned not in sol.sites
    assert sol.objective == pytest.approx(best) and best > free + 1e-6


def test_group_minimum_binds():
    demand, sites, w, dist = _instance(13)
    free, combo = brute_pmedian(dist, w, 2)
    township = [j for j in range(7) if j not in combo][:2]
    best, _ = brute_pmedian(dist, w, 2, lambda c: len(set(c) & set(township)) >= 1)
    rules = PolicyRules(groups=[SiteGroup("某镇", township, min_open=1, kind="township")])
    sol = PMedian.from_points(demand, sites, 2, w, rules=rules).solve()
    assert set(sol.sites) & set(township)
    assert sol.objective == pytest.approx(best) and best > free + 1e-6


def test_group_maximum_binds():
    demand, sites, w, dist = _instance(14)
    free, combo = brute_pmedian(dist, w, 3)
    county = list(combo[:2]) + [j for j in range(7) if j not in combo][:1]
    best, _ = brute_pmedian(dist, w, 3, lambda c: len(set(c) & set(county)) <= 1)
    rules = PolicyRules(groups=[SiteGroup("某县", county, max_open=1, kind="county")])
    sol = PMedian.from_points(demand, sites, 3, w, rules=rules).solve()
    assert len(set(sol.sites) & set(county)) <= 1
    assert sol.objective == pytest.approx(best) and best > free + 1e-6


def _transport_cost(dist, w, households, capacity, combo) -> float:
    """Optimal split assignment to the open sites ``combo`` (LP), inf if infeasible."""
    n, k = dist.shape[0], len(combo)
    cost = (w[:, None] * dist[:, combo]).ravel()
    a_eq = np.kron(np.eye(n), np.ones(k))
    a_ub = np.hstack([np.kron(households[i], np.eye(k)) for i in range(n)])
    res = linprog(
        cost,
        A_ub=a_ub,
        b_ub=np.full(k, capacity),
        A_eq=a_eq,
        b_eq=np.ones(n),
        bounds=(0, 1),
        method="highs",
    )
    return float(res.fun) if res.status == 0 else math.inf


def test_household_capacity_binds_split_assignment():
    demand, sites, w, dist = _instance(18, n=10, m=5)
    households = w.copy()
    free, combo = brute_pmedian(dist, w, 3)
    nearest = np.asarray(combo)[np.argmin(dist[:, combo], axis=1)]
    free_load = np.bincount(nearest, weights=households, minlength=5).max()
    capacity = 0.9 * free_load  # the unconstrained plan overloads a site
    assert capacity * 3 >= households.sum()
    best = min(
        _transport_cost(dist, w, households, capacity, c)
        for c in itertools.combinations(range(5), 3)
    )
    rules = PolicyRules(capacity=capacity)
    sol = PMedian.from_points(demand, sites, 3, w, rules=rules, radius=1e9).solve()
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(best, rel=1e-7) and best > free + 1e-6
    rows, cols, share = sol.allocation
    load = np.bincount(cols, weights=households[rows] * share, minlength=5)
    assert np.all(load <= capacity + 1e-6)
    # Complete rows: no restriction to report.
    assert "solve.restricted_pairs" not in {d.key for d in sol.diagnoses}


def test_capacity_plan_cut_off_without_a_bound_keeps_the_uncapacitated_one(monkeypatch):
    # The MIP stopped at the deadline before proving a bound of its own: the plan still
    # states a proven gap, from the uncapacitated optimum (dropping capacity relaxes).
    import dataclasses

    import planner.models.p_median as p_median_module

    demand, sites, w, dist = _instance(18, n=10, m=5)
    free, combo = brute_pmedian(dist, w, 3)
    nearest = np.asarray(combo)[np.argmin(dist[:, combo], axis=1)]
    capacity = 0.9 * np.bincount(nearest, weights=w, minlength=5).max()
    best = min(
        _transport_cost(dist, w, w, capacity, c) for c in itertools.combinations(range(5), 3)
    )
    real = p_median_module.solve_problem

    def cut_off(prob, options, deadline, warm_start=False, tuning=None):
        raw = real(prob, options, deadline, warm_start, tuning)
        if prob.name != "cap_p_median":
            return raw
        return dataclasses.replace(raw, status="time_limit_feasible", bound=None)

    monkeypatch.setattr(p_median_module, "solve_problem", cut_off)
    rules = PolicyRules(capacity=capacity)
    sol = PMedian.from_points(demand, sites, 3, w, rules=rules, radius=1e9).solve()
    assert sol.status == "time_limit_feasible"
    assert sol.objective == pytest.approx(best, rel=1e-7)
    assert sol.bound is not None and sol.bound <= best + 1e-6
    assert sol.bound == pytest.approx(free, rel=1e-9)  # the uncapacitated optimum
    assert sol.gap == pytest.approx((sol.objective - sol.bound) / sol.objective, rel=1e-6)


def test_single_source_capacity_binds():
    demand, sites, w, dist = _instance(16, n=8, m=4)
    capacity = w.sum() / 2 * 1.1
    split = min(
        _transport_cost(dist, w, w, capacity, c) for c in itertools.combinations(range(4), 2)
    )
    best = math.inf
    for combo in itertools.combinations(range(4), 2):
        for assign in itertools.product(range(2), repeat=8):
            load = np.bincount(assign, weights=w, minlength=2)
            if np.all(load <= capacity):
                cost = sum(w[i] * dist[i, combo[a]] for i, a in enumerate(assign))
                best = min(best, cost)
    rules = PolicyRules(capacity=capacity, single_source=True)
    sol = PMedian.from_points(demand, sites, 2, w, rules=rules, radius=1e9).solve()
    assert sol.objective == pytest.approx(best, rel=1e-7)
    assert best > split + 1e-6  # single sourcing really costs something here
    rows, _cols, share = sol.allocation
    assert np.allclose(share, 1.0) and len(set(rows.tolist())) == 8


def test_capacity_grows_short_lists_until_feasible():
    # Six communities next to site 0 (room for 3) force assignments beyond one site.
    demand = np.array([[0.0, 0.0]] * 6 + [[1000.0, 0.0]])
    sites = np.array([[0.0, 1.0], [1000.0, 1.0], [500.0, 0.0], [2000.0, 0.0]])
    rules = PolicyRules(capacity=3.0)
    sol = PMedian.from_points(demand, sites, 3, rules=rules, k=1).solve()
    assert sol.status == "optimal"
    diags = {d.key: d for d in sol.diagnoses}
    assert "solve.grew_pairs" in diags
    _rows, cols, share = sol.allocation
    assert np.all(np.bincount(cols, weights=share, minlength=4) <= 3.0 + 1e-9)
    # Rows are still truncated, so the guarantee is stated with the uncapacitated
    # optimum as a global lower bound.
    dist = euclidean(demand, sites)
    free, _ = brute_pmedian(dist, np.ones(7), 3)
    note = diags["solve.restricted_pairs_bound"]
    assert note.params["global_bound"] == pytest.approx(free)
    assert free <= sol.objective


# --------------------------------------------------------------------------- MCLP


def _brute_mclp(dist, w, radius, p):
    best, best_sec = -1.0, math.inf
    for combo in itertools.combinations(range(dist.shape[1]), p):
        d = dist[:, combo].min(axis=1)
        cov = float(w @ (d <= radius))
        sec = float(w @ np.minimum(d, radius))
        if cov > best + 1e-9 or (abs(cov - best) <= 1e-9 and sec < best_sec):
            best, best_sec = cov, sec
    return best, best_sec


@pytest.mark.parametrize("seed", range(4))
def test_mclp_matches_brute_force_including_distance_tie_break(seed):
    demand, sites, w, dist = _instance(20 + seed, n=14, m=8)
    radius = np.where(np.arange(14) % 3 == 0, 450.0, 250.0)  # urban vs rural radii
    sol = MCLP.from_points(demand, sites, 2, radius, w).solve()
    best, best_sec = _brute_mclp(dist, w, radius, 2)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(best)
    assert sol.secondary == pytest.approx(best_sec, rel=1e-9)
    d = dist[:, sol.sites].min(axis=1)
    assert np.array_equal(sol.covered, d <= radius)


def test_mclp_without_tie_break_keeps_coverage():
    demand, sites, w, dist = _instance(24, n=14, m=8)
    sol = MCLP.from_points(demand, sites, 3, 300.0, w, tie_break=False).solve()
    best, _ = _brute_mclp(dist, w, np.full(14, 300.0), 3)
    assert sol.objective == pytest.approx(best) and sol.result.rounds == 1


def test_mclp_capacity_binds():
    # Five households at one spot, one site within reach with room for three.
    demand = np.array([[0.0, 0.0], [10.0, 0.0], [5000.0, 0.0]])
    sites = np.array([[0.0, 5.0], [5000.0, 5.0]])
    w = np.array([3.0, 2.0, 1.0])
    free = MCLP.from_points(demand, sites, 2, 100.0, w).solve()
    assert free.objective == 6.0
    capped = MCLP.from_points(
        demand, sites, 2, 100.0, w, rules=PolicyRules(capacity=3.0, single_source=True)
    ).solve()
    assert capped.objective == 4.0  # 3 at site 0 (one community) + 1 at site 1
    assert capped.covered.tolist() == [True, False, True]


# --------------------------------------------------------------------------- set cover


def _brute_cover(dist, w, radius):
    m = dist.shape[1]
    coverable = (dist <= radius[:, None]).any(axis=1) & (w > 0)
    for k in range(1, m + 1):
        found = []
        for combo in itertools.combinations(range(m), k):
            d = dist[:, combo].min(axis=1)
            if np.all(d[coverable] <= radius[coverable]):
                found.append(float(w @ np.minimum(d, radius)))
        if found:
            return k, min(found), np.flatnonzero(~coverable & (w > 0))
    raise AssertionError("no cover")


@pytest.mark.parametrize("seed", range(4))
def test_set_cover_matches_brute_force_and_reports_uncoverable(seed):
    demand, sites, w, dist = _instance(30 + seed, n=14, m=8)
    radius = np.full(14, 260.0)
    k, sec, uncov = _brute_cover(dist, w, radius)
    sol = SetCover.from_points(demand, sites, radius, w).solve()
    assert sol.status == "optimal"
    assert sol.objective == k and len(sol.sites) == k
    assert sol.secondary == pytest.approx(sec, rel=1e-9)
    assert np.array_equal(sol.uncoverable, uncov)
    if uncov.size:
        diag = next(d for d in sol.diagnoses if d.key == "solve.uncoverable")
        assert diag.params["count"] == uncov.size and diag.severity == "warning"
    assert np.all(sol.covered[np.setdiff1d(np.arange(14), uncov)])


def test_set_cover_reports_points_only_excluded_sites_reach():
    demand = np.array([[0.0, 0.0], [1000.0, 0.0]])
    sites = np.array([[0.0, 10.0], [1000.0, 10.0]])
    sol = SetCover.from_points(demand, sites, 50.0, rules=PolicyRules(excluded=[1])).solve()
    assert sol.uncoverable.tolist() == [1]
    assert sol.sites.tolist() == [0]
    keys = {d.key for d in sol.diagnoses}
    assert {"solve.uncoverable", "solve.uncoverable_excluded"} <= keys


def test_set_cover_community_minimum_binds():
    demand, sites, w, dist = _instance(35, n=14, m=8)
    radius = np.full(14, 400.0)
    k, _, _ = _brute_cover(dist, w, radius)
    coverable = (dist <= radius[:, None]).any(axis=1)

    def min_count_with(forced):
        for size in range(len(forced), 9):
            for combo in itertools.combinations(range(8), size):
                d = dist[:, combo].min(axis=1)
                if set(forced) <= set(combo) and np.all(d[coverable] <= 400.0):
                    return size
        raise AssertionError

    asked = next(pair for pair in itertools.combinations(range(8), 2) if min_count_with(pair) > k)
    groups = [SiteGroup(f"社区{j}", [j], min_open=1, kind="community") for j in asked]
    sol = SetCover.from_points(demand, sites, radius, w, rules=PolicyRules(groups=groups)).solve()
    assert set(asked) <= set(sol.sites.tolist())
    assert sol.objective == min_count_with(asked) > k


def test_set_cover_capacity_binds():
    demand = np.array([[0.0, 0.0]] * 4)
    sites = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, -1.0]])
    assert SetCover.from_points(demand, sites, 5.0).solve().objective == 1
    sol = SetCover.from_points(demand, sites, 5.0, rules=PolicyRules(capacity=2.0)).solve()
    assert sol.objective == 2
    _rows, cols, share = sol.allocation
    assert np.all(np.bincount(cols, weights=share, minlength=3) <= 2.0 + 1e-9)


# --------------------------------------------------------------------------- diagnoses


def _townships(n_towns: int, per_town: int = 2):
    labels = np.repeat(np.arange(n_towns), per_town)
    return labels, groups_from_labels([f"镇{t}" for t in labels], min_open=1, kind="township")


def _grid_model(n_sites: int, p: int, rules: PolicyRules, **kw) -> PMedian:
    rng = np.random.default_rng(0)
    demand = rng.uniform(0, 1_000, (40, 2))
    sites = rng.uniform(0, 1_000, (n_sites, 2))
    return PMedian.from_points(demand, sites, p, rules=rules, **kw)


def _only(sol, key):
    assert sol.status == "infeasible"
    found = [d for d in sol.diagnoses if d.key == key]
    assert found, [d.key for d in sol.diagnoses]
    return found[0]


def test_townships_exceed_county_cap():
    _labels, towns = _townships(13)
    county = SiteGroup("永嘉县", np.arange(26), max_open=10, kind="county")
    sol = _grid_model(30, 12, PolicyRules(groups=[*towns, county])).solve()
    d = _only(sol, "solve.nested_mins_exceed_max")
    assert d.params == {
        "count": 13, "kind": "township", "need": 13, "max": 10, "group": "永嘉县",
        "excess": 3, "unit": "station",
    }  # fmt: skip
    assert d.message("en") == (
        "13 townships need at least 13 stations but only 10 are allowed in 永嘉县 (over by 3)."
    )
    zh = d.message()
    assert "永嘉县" in zh and "13" in zh and "10" in zh and "乡镇" in zh


def test_township_minimums_exceed_p():
    _, towns = _townships(13)
    d = _only(_grid_model(30, 10, PolicyRules(groups=towns)).solve(), "solve.group_mins_exceed_p")
    assert (d.params["count"], d.params["need"], d.params["p"], d.params["excess"]) == (
        13, 13, 10, 3,
    )  # fmt: skip


def test_required_sites_exceed_p_and_conflict_with_excluded():
    rules = PolicyRules(required=[0, 1, 2, 3], excluded=[3, 4])
    sol = _grid_model(10, 3, rules).solve()
    d = _only(sol, "solve.required_exceed_p")
    assert (d.params["required"], d.params["p"], d.params["excess"]) == (4, 3, 1)
    d = _only(sol, "solve.required_and_excluded")
    assert d.params == {"count": 1, "example": 3}


def test_p_exceeds_available_sites():
    d = _only(_grid_model(10, 9, PolicyRules(excluded=[0, 1, 2])).solve(), "solve.p_exceeds_sites")
    assert (d.params["p"], d.params["available"], d.params["excluded"]) == (9, 7, 3)


def test_group_whose_candidates_are_all_excluded():
    rules = PolicyRules(
        excluded=[4, 5], groups=[SiteGroup("岩头镇", [4, 5], min_open=1, kind="township")]
    )
    d = _only(_grid_model(10, 3, rules).solve(), "solve.group_all_excluded")
    assert d.params["group"] == "岩头镇" and d.params["total"] == 2 and d.params["need"] == 1


def test_group_minimum_above_candidates_and_above_maximum():
    rules = PolicyRules(
        excluded=[5],
        groups=[
            SiteGroup("A", [4, 5, 6], min_open=3),
            SiteGroup("B", [0, 1, 2], min_open=3, max_open=2),
        ],
    )
    sol = _grid_model(10, 6, rules).solve()
    d = _only(sol, "solve.group_min_exceeds_candidates")
    assert (d.params["need"], d.params["available"], d.params["excluded"]) == (3, 2, 1)
    d = _only(sol, "solve.group_min_gt_max")
    assert (d.params["min"], d.params["max"]) == (3, 2)


def test_required_sites_exceed_group_maximum():
    rules = PolicyRules(required=[0, 1], groups=[SiteGroup("C", [0, 1, 2], max_open=1)])
    d = _only(_grid_model(10, 4, rules).solve(), "solve.group_required_exceed_max")
    assert (d.params["required"], d.params["max"]) == (2, 1)


def test_group_caps_below_p():
    rules = PolicyRules(
        groups=[SiteGroup("X", range(5), max_open=1), SiteGroup("Y", range(5, 10), max_open=2)]
    )
    d = _only(_grid_model(10, 4, rules).solve(), "solve.group_max_below_p")
    assert (d.params["most"], d.params["p"], d.params["short"]) == (3, 4, 1)


def test_capacity_shortfall_and_oversized_demand():
    rules = PolicyRules(capacity=15.0, single_source=True)
    model = _grid_model(10, 2, rules)
    model.weights[:] = 1.0
    model.households[:] = 1.0
    model.households[0] = 20.0
    sol = model.solve()
    d = _only(sol, "solve.capacity_short")
    assert (d.params["demand"], d.params["supply"], d.params["short"]) == (59.0, 30.0, 29.0)
    d = _only(sol, "solve.demand_exceeds_capacity")
    assert (d.params["count"], d.params["largest"], d.params["capacity"]) == (1, 20.0, 15.0)
    assert "户" in d.message() and "households" in d.message("en")


def test_solver_proven_infeasibility_is_explained_elastically():
    # A needs both 0 and 1; two caps forbid 1. No arithmetic check sees it.
    rules = PolicyRules(
        groups=[
            SiteGroup("A", [0, 1], min_open=2),
            SiteGroup("B", [1], max_open=0),
            SiteGroup("C", [1, 2], max_open=0),
        ]
    )
    sol = _grid_model(6, 3, rules).solve()
    assert sol.status == "infeasible"
    d = _only(sol, "solve.elastic_group_min")
    assert d.params["group"] == "A" and d.params["amount"] == 1
    assert len(sol.sites) == 0


def test_capacity_infeasible_on_fixed_pairs_is_explained():
    # A matrix without a distance source cannot grow: rows 0-3 only reach site 0.
    rows = [0, 1, 2, 3, 4, 5]
    cols = [0, 0, 0, 0, 1, 1]
    cm = CostMatrix.from_coo(rows, cols, np.ones(6), 6, 2)
    sol = PMedian(cm, 2, rules=PolicyRules(capacity=3.0)).solve()
    d = _only(sol, "solve.elastic_capacity")
    assert d.params["amount"] == pytest.approx(1.0)


# --------------------------------------------------------------------------- limits


def test_node_limit_returns_best_plan_with_gap():
    rng = np.random.default_rng(3)
    # Same draws as a dense reference run in development; the root LP is fractional.
    rng.uniform(0, 10_000, (50, 2))
    rng.uniform(0, 10_000, (12, 2))
    rng.uniform(1, 5, 50)
    demand = rng.uniform(0, 10_000, (50, 2))
    h = rng.integers(1, 10, 50).astype(float)
    rules = PolicyRules(capacity=h.sum() / 4 * 1.03, single_source=True)
    model = PMedian.from_points(demand, demand, 4, h, rules=rules, k=50)
    for options in (SolverOptions(node_limit=1), SolverOptions(solver="cbc", node_limit=1)):
        sol = model.solve(options)
        assert sol.status == "time_limit_feasible"
        assert sol.gap is not None and sol.gap > 0
        assert sol.bound < sol.objective
        assert len(sol.sites) == 4
        rows, cols, share = sol.allocation
        assert np.all(np.bincount(cols, weights=h[rows] * share) <= rules.capacity + 1e-6)
        d = euclidean(demand, demand)
        assert sol.objective == pytest.approx(float(np.sum(h[rows] * d[rows, cols] * share)))


def test_time_limit_still_returns_a_plan():
    demand, sites, w, _ = _instance(40, n=200, m=120)
    sol = PMedian.from_points(demand, sites, 10, w).solve(SolverOptions(time_limit_s=5))
    assert sol.status in ("optimal", "time_limit_feasible")
    assert len(sol.sites) == 10 and sol.gap is not None and sol.bound <= sol.objective + 1e-6


# --------------------------------------------------------------------------- plumbing


def test_solver_options_are_validated():
    for bad in ({"solver": "gurobi"}, {"gap": 1.5}, {"time_limit_s": 0}, {"threads": 0}):
        with pytest.raises(PlannerError) as err:
            SolverOptions(**bad)
        assert err.value.key == "solve.bad_option"


def test_result_summary_is_bilingual():
    res = SolveResult("time_limit_feasible", objective=1234.0, bound=1200.0, gap=0.0276)
    assert "1,234" in res.summary() and "2.76%" in res.summary()
    assert res.summary("en").startswith("Limit reached")
    assert relative_gap(100.0, 90.0) == pytest.approx(0.1)
    assert relative_gap(90.0, 100.0, "max") == pytest.approx(1 / 9)
    assert relative_gap(100.0, 100.0 + 1e-12) == 0.0


def test_bad_inputs_raise_planner_errors():
    demand, sites, w, _ = _instance(1)
    with pytest.raises(PlannerError) as err:
        PMedian.from_points(demand, sites, 2, w[:5])
    assert err.value.key == "model.shape_mismatch"
    with pytest.raises(PlannerError) as err:
        PMedian.from_points(demand, sites, 2, rules=PolicyRules(required=[99]))
    assert err.value.key == "model.site_index_out_of_range"


def test_every_message_key_of_the_core_is_registered_in_both_languages():
    import importlib
    import re
    from pathlib import Path

    from planner import i18n
    from planner.models import STATUSES

    root = Path(__file__).resolve().parents[1] / "planner"
    sources = [root / "instance" / "distance.py", *sorted((root / "models").glob("*.py"))]
    for src in sorted((root / "models").glob("*.py")):
        # Every module imports (the catalogue itself is loaded once by planner.i18n).
        importlib.import_module(
            f"planner.models.{src.stem}" if src.stem != "__init__" else "planner.models"
        )
    pattern = re.compile(r"(?:Diagnosis|PlannerError)\(\s*\"((?:solve|model)\.[a-z_.]+)\"")
    keys = {k for src in sources for k in pattern.findall(src.read_text(encoding="utf-8"))}
    keys |= {"solve.elastic_required", "solve.elastic_excluded"}  # chosen from a mapping
    keys |= {f"solve.status.{s}" for s in STATUSES}
    keys |= {f"model.term.{w}" for w in ("station", "centre", "township", "county",
                                         "community", "households", "tonnes")}  # fmt: skip
    assert len(keys) > 40
    for key in sorted(keys):
        assert i18n.known(key), key
        zh, en = i18n.t(key, "zh"), i18n.t(key, "en")
        assert zh != en and zh != key and en != key, key


def test_large_costs_are_scaled_for_highs_and_results_stay_in_user_units() -> None:
    from planner.models._highs import _objective_scale

    prob = pulp.LpProblem("scale", pulp.LpMinimize)
    x = prob.add_variable("x", 0, 1)
    prob.setObjective(2e8 * x)
    assert _objective_scale(prob) == -20  # 2e8 / 2^20 ≈ 191, the largest cost HiGHS sees
    prob.setObjective(100 * x)
    assert _objective_scale(prob) is None  # small costs are left alone
    # Population-weighted distances of ~1e8 per row: objective and bound come back in
    # the model's units, equal to the same model with unit weights times the weight.
    rng = np.random.default_rng(7)
    xy = rng.random((60, 2)) * 5_000
    small = PMedian.from_points(xy, xy, 6, np.ones(60), presolve=False).solve()
    large = PMedian.from_points(xy, xy, 6, np.full(60, 50_000.0), presolve=False).solve()
    assert small.status == large.status == "optimal"
    assert large.objective == pytest.approx(50_000 * small.objective, rel=1e-6)
    assert large.bound == pytest.approx(large.objective, rel=1e-3)


def test_strong_incumbent_settings_are_highs_options():
    # HiGHS ignores an unknown option with a warning: a renamed one would silently
    # stop applying.
    import highspy

    from planner.models._highs import STRONG_INCUMBENT

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for key, value in STRONG_INCUMBENT.items():
        assert h.setOptionValue(key, value) == highspy.HighsStatus.kOk, key
        status, read = h.getOptionValue(key)
        assert status == highspy.HighsStatus.kOk and read == value, key


def test_tuning_reaches_highs():
    from planner.models._highs import solve_problem

    # Fractional LP optimum (x = y = 2.5): HiGHS must branch to prove 4.
    def problem() -> pulp.LpProblem:
        prob = pulp.LpProblem("t", pulp.LpMaximize)
        x = pulp.LpVariable("x", 0, 10, cat="Integer")
        y = pulp.LpVariable("y", 0, 10, cat="Integer")
        prob += x + y
        prob += 2 * x + 2 * y <= 9
        prob += 2 * x - 2 * y <= 1
        prob += -2 * x + 2 * y <= 1
        return prob

    plain = solve_problem(problem(), SolverOptions())
    assert plain.status == "optimal" and plain.objective == pytest.approx(4)
    tuned = solve_problem(
        problem(), SolverOptions(), tuning={"mip_max_nodes": 0, "presolve": "off"}
    )
    assert tuned.status != "optimal"


@pytest.mark.parametrize(("n", "seed", "rounds"), [(120, 0, 1), (120, 4, 1), (200, 4, 2)])
def test_few_medians_on_graphs_after_the_presolve(monkeypatch, n, seed, rounds):
    # Beasley-style graphs where the Lagrangian presolve leaves a gap and the radius
    # MIP (with the strong-incumbent settings) finishes the proof, in one or two rounds.
    import planner.models.p_median as pm
    from planner.models._highs import STRONG_INCUMBENT
    from planner.models.reference import beasley_graph

    seen = []
    solve = pm.solve_problem

    def spy(prob, options, deadline, warm_start=False, tuning=None):
        seen.append(tuning)
        return solve(prob, options, deadline, warm_start, tuning)

    monkeypatch.setattr(pm, "solve_problem", spy)
    dist = beasley_graph(n, seed)
    sol = PMedian.from_cost_matrix(CostMatrix.from_dense(dist, k=2 * n // 5), 5).solve()
    assert seen == [STRONG_INCUMBENT] * rounds
    assert sol.status == "optimal" and sol.gap == 0
    assert sol.objective == pytest.approx(float(dist[:, sol.sites].min(axis=1).sum()))
    assert sol.objective == pytest.approx(classic_pmedian(dist, np.ones(n), 5))
