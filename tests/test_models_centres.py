"""Sorting-centre model against brute force; rules, grow fallback, diagnoses, limits."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys

import numpy as np
import pytest
from scipy.optimize import linprog

from planner.instance.distance import CostMatrix
from planner.models import PolicyRules, SiteGroup, SolverOptions, SortingCentreModel
from planner.models.capacitated_search import capacitated_search, price_plan
from planner.models.reference import brute_centres, euclidean


def _instance(seed: int, n: int = 7, m: int = 4):
    rng = np.random.default_rng(seed)
    stations = rng.uniform(0, 10_000, (n, 2))
    sites = rng.uniform(0, 10_000, (m, 2))
    tonnage = rng.uniform(1, 6, n).round(1)
    return stations, sites, tonnage, euclidean(stations, sites)


@pytest.mark.parametrize("seed", range(4))
def test_single_source_matches_brute_force(seed):
    stations, sites, t, dist = _instance(seed)
    cap = t.sum() / 2 * 1.1
    best, _ = brute_centres(dist, t, cap, [2])
    sol = SortingCentreModel.from_points(stations, sites, t, cap, p=2).solve()
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(best, rel=1e-9)
    assert len(sol.centres) == 2 and np.all(sol.load <= cap + 1e-9)
    st, ce, share = sol.allocation
    assert np.allclose(share, 1.0) and sorted(st.tolist()) == list(range(7))
    assert sol.transport_cost == pytest.approx(float(np.sum(t[st] * dist[st, ce])))


def test_multi_source_matches_transport_lp_brute_force():
    stations, sites, t, dist = _instance(10, n=8, m=5)
    cap = t.sum() / 2 * 1.02
    best = math.inf
    for combo in itertools.combinations(range(5), 2):
        cost = (t[:, None] * dist[:, combo]).ravel()
        a_eq = np.kron(np.eye(8), np.ones(2))
        a_ub = np.hstack([np.kron(t[i], np.eye(2)) for i in range(8)])
        res = linprog(cost, A_ub=a_ub, b_ub=np.full(2, cap), A_eq=a_eq, b_eq=np.ones(8),
                      bounds=(0, 1), method="highs")  # fmt: skip
        if res.status == 0:
            best = min(best, res.fun)
    sol = SortingCentreModel.from_points(stations, sites, t, cap, p=2, multi_source=True).solve()
    single, _ = brute_centres(dist, t, cap, [2])
    assert sol.objective == pytest.approx(best, rel=1e-7)
    assert sol.objective <= single + 1e-6


def test_fixed_costs_decide_the_number_of_centres():
    stations, sites, t, dist = _instance(20)
    fixed = np.array([9_000.0, 12_000.0, 7_000.0, 15_000.0])
    best, combo = brute_centres(dist, t, 1e9, [1, 2, 3, 4], fixed=fixed)
    sol = SortingCentreModel.from_points(stations, sites, t, 1e9, fixed_cost=fixed).solve()
    assert sol.objective == pytest.approx(best, rel=1e-9)
    assert sol.fixed_cost == pytest.approx(fixed[list(combo)].sum())


def test_at_most_p_binds():
    stations, sites, t, dist = _instance(21)
    fixed = np.full(4, 1_000.0)
    free, combo = brute_centres(dist, t, 1e9, [1, 2, 3, 4], fixed=fixed)
    assert len(combo) > 1
    best, _ = brute_centres(dist, t, 1e9, [1], fixed=fixed)
    sol = SortingCentreModel.from_points(
        stations, sites, t, 1e9, p=1, p_mode="at_most", fixed_cost=fixed
    ).solve()
    assert len(sol.centres) == 1
    assert sol.objective == pytest.approx(best) and best > free


def test_county_minimum_binds():
    stations, sites, t, dist = _instance(22)
    cap = t.sum()
    free, combo = brute_centres(dist, t, cap, [2])
    county = [j for j in range(4) if j not in combo][:1]
    best, _ = brute_centres(dist, t, cap, [2], ok=lambda c: county[0] in c)
    rules = PolicyRules(groups=[SiteGroup("洞头区", county, min_open=1, kind="county")])
    sol = SortingCentreModel.from_points(stations, sites, t, cap, p=2, rules=rules).solve()
    assert county[0] in sol.centres
    assert sol.objective == pytest.approx(best) and best > free


def test_required_and_excluded_centres_bind():
    stations, sites, t, dist = _instance(23)
    cap = t.sum()
    free, combo = brute_centres(dist, t, cap, [2])
    banned = combo[0]
    best, _ = brute_centres(dist, t, cap, [2], ok=lambda c: banned not in c)
    rules = PolicyRules(excluded=[banned])
    sol = SortingCentreModel.from_points(stations, sites, t, cap, p=2, rules=rules).solve()
    assert banned not in sol.centres and sol.objective == pytest.approx(best) and best > free
    forced = next(j for j in range(4) if j not in combo)
    best, _ = brute_centres(dist, t, cap, [2], ok=lambda c: forced in c)
    rules = PolicyRules(required=[forced])
    sol = SortingCentreModel.from_points(stations, sites, t, cap, p=2, rules=rules).solve()
    assert forced in sol.centres and sol.objective == pytest.approx(best) and best > free


def test_capacity_binds():
    stations, sites, t, dist = _instance(24)
    loose, _ = brute_centres(dist, t, 1e9, [2])
    cap = t.sum() / 2 * 1.05
    best, _ = brute_centres(dist, t, cap, [2])
    sol = SortingCentreModel.from_points(stations, sites, t, cap, p=2).solve()
    assert sol.objective == pytest.approx(best) and best > loose + 1e-6


def _short_lists():
    # Every station's nearest candidate is centre 0, which takes only half the tonnage.
    stations = np.array([[0.0, float(y)] for y in range(0, 600, 100)])
    sites = np.array([[10.0, 250.0], [3_000.0, 250.0], [-2_500.0, 250.0]])
    return stations, sites, np.full(6, 2.0)


def test_short_pair_lists_grow_until_feasible():
    stations, sites, t = _short_lists()
    model = SortingCentreModel.from_points(stations, sites, t, 6.0, p=2, k=1, heuristic=False)
    sol = model.solve()
    assert sol.status == "optimal"
    assert "solve.grew_pairs" in {d.key for d in sol.diagnoses}
    assert np.all(sol.load <= 6.0 + 1e-9) and np.all(sol.assignment >= 0)
    best, _ = brute_centres(euclidean(stations, sites), t, 6.0, [2])
    assert sol.objective == pytest.approx(best)


def test_short_pair_lists_take_the_heuristic_plan_pairs(monkeypatch):
    # The local search finds the plan beyond the 1-nearest lists; the MIP lists grow to
    # hold its pairs, so no infeasible round is needed and the plan is still optimal.
    stations, sites, t = _short_lists()
    best, _ = brute_centres(euclidean(stations, sites), t, 6.0, [2])
    # The Lagrangian bound proves the search's plan without any MIP ...
    sol = SortingCentreModel.from_points(stations, sites, t, 6.0, p=2, k=1).solve()
    assert sol.status == "optimal" and sol.objective == pytest.approx(best)
    assert [d.key for d in sol.diagnoses] == ["solve.centre_lagrangian_bound"]
    # ... and without it (e.g. no time left for it) the MIP decides on grown lists.
    monkeypatch.setattr(SortingCentreModel, "_lagrangian", lambda *args: None)
    sol = SortingCentreModel.from_points(stations, sites, t, 6.0, p=2, k=1).solve()
    assert sol.status == "optimal" and sol.objective == pytest.approx(best)
    assert np.all(sol.load <= 6.0 + 1e-9) and np.all(sol.assignment >= 0)
    keys = {d.key for d in sol.diagnoses}
    assert "solve.grew_pairs" not in keys and "solve.restricted_pairs_bound" in keys


def _diag(sol, key):
    assert sol.status == "infeasible"
    found = [d for d in sol.diagnoses if d.key == key]
    assert found, [d.key for d in sol.diagnoses]
    return found[0]


def test_tonnage_beyond_total_capacity():
    stations, sites, t, _ = _instance(30)
    sol = SortingCentreModel.from_points(stations, sites, t, 5.0, p=3).solve()
    d = _diag(sol, "solve.capacity_short")
    assert d.params["supply"] == 15.0 and d.params["demand"] == pytest.approx(t.sum())
    assert d.params["short"] == pytest.approx(t.sum() - 15.0)
    assert "吨/日" in d.message() and "分拣中心" in d.message()
    assert "t/day" in d.message("en") and "sorting centres" in d.message("en")


def test_station_too_big_for_any_centre_unless_split():
    stations, sites, t, _ = _instance(31)
    t[2] = 50.0
    sol = SortingCentreModel.from_points(stations, sites, t, 40.0, p=4).solve()
    d = _diag(sol, "solve.demand_exceeds_capacity")
    assert (d.params["count"], d.params["largest"], d.params["capacity"]) == (1, 50.0, 40.0)
    split = SortingCentreModel.from_points(stations, sites, t, 40.0, p=4, multi_source=True)
    assert split.solve().status == "optimal"


def test_more_counties_than_centres():
    rng = np.random.default_rng(32)
    stations = rng.uniform(0, 10_000, (20, 2))
    sites = rng.uniform(0, 10_000, (24, 2))
    counties = [
        SiteGroup(f"县{k}", [2 * k, 2 * k + 1], min_open=1, kind="county") for k in range(12)
    ]
    sol = SortingCentreModel.from_points(
        stations, sites, np.ones(20), 100.0, p=10, rules=PolicyRules(groups=counties)
    ).solve()
    d = _diag(sol, "solve.group_mins_exceed_p")
    assert (d.params["count"], d.params["need"], d.params["p"]) == (12, 12, 10)
    assert d.message("en") == (
        "12 counties need at least 12 sorting centres in total but only 10 are allowed (over by 2)."
    )


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_node_limit_returns_feasible_plan_with_gap(solver):
    rng = np.random.default_rng(0)
    stations = rng.uniform(0, 10_000, (120, 2))
    sites = rng.uniform(0, 10_000, (30, 2))
    t = rng.uniform(1, 5, 120)
    cap = t.sum() / 8 * 1.03
    # The MIP alone: with the heuristic's plan as MIP start the root may already close.
    model = SortingCentreModel.from_points(stations, sites, t, cap, p=8, k=30, heuristic=False)
    sol = model.solve(SolverOptions(solver=solver, node_limit=1))
    assert sol.status == "time_limit_feasible"
    assert sol.gap > 0 and sol.bound < sol.objective
    assert len(sol.centres) == 8 and np.all(sol.load <= cap + 1e-6)
    assert np.all(sol.assignment >= 0)
    assert sol.objective == pytest.approx(sol.transport_cost + sol.fixed_cost)


@pytest.fixture(scope="module")
def tight_instance():
    rng = np.random.default_rng(0)
    stations = rng.uniform(0, 10_000, (120, 2))
    sites = rng.uniform(0, 10_000, (30, 2))
    t = rng.uniform(1, 5, 120)
    cap = t.sum() / 8 * 1.03
    exact = SortingCentreModel.from_points(stations, sites, t, cap, p=8, k=30).solve()
    assert exact.status == "optimal"
    return stations, sites, t, cap, exact


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_node_limit_with_heuristic_start_keeps_a_valid_bound(solver, tight_instance):
    stations, sites, t, cap, exact = tight_instance
    sol = SortingCentreModel.from_points(stations, sites, t, cap, p=8, k=30).solve(
        SolverOptions(solver=solver, node_limit=1)
    )
    assert sol.status in ("optimal", "time_limit_feasible")
    assert sol.bound <= exact.objective * (1 + 1e-9) <= sol.objective * (1 + 2e-9)
    assert len(sol.centres) == 8 and np.all(sol.load <= cap + 1e-6)
    assert sol.objective == pytest.approx(sol.transport_cost + sol.fixed_cost)


@pytest.mark.parametrize("seed", range(3))
def test_loose_capacity_is_proven_by_the_uncapacitated_bound(seed):
    stations, sites, t, dist = _instance(40 + seed, n=7, m=5)
    best, _ = brute_centres(dist, t, t.sum(), [3])
    sol = SortingCentreModel.from_points(stations, sites, t, t.sum(), p=3).solve()
    assert sol.status == "optimal" and sol.gap == 0
    assert sol.objective == pytest.approx(best, rel=1e-9)
    note = [d for d in sol.diagnoses if d.key == "solve.centre_bound"]
    assert note and "restricted" not in " ".join(d.key for d in sol.diagnoses)
    assert "0%" in note[0].message("en")


def test_relaxation_bound_certifies_within_the_gap():
    # Capacity binds a little: with a 5% gap target the uncapacitated bound is close
    # enough, so no MIP runs and the stated gap is against every plan.
    stations, sites, t, dist = _instance(50, n=8, m=5)
    free, _ = brute_centres(dist, t, t.sum(), [2])
    cap = t.sum() / 2 * 1.02
    best, _ = brute_centres(dist, t, cap, [2])
    sol = SortingCentreModel.from_points(stations, sites, t, cap, p=2).solve(SolverOptions(gap=0.5))
    assert sol.status == "optimal"
    assert "solve.centre_bound" in {d.key for d in sol.diagnoses}
    assert sol.bound == pytest.approx(free, rel=1e-6) and sol.objective >= best - 1e-6
    assert sol.gap == pytest.approx((sol.objective - free) / sol.objective, rel=1e-6)
    assert np.all(sol.load <= cap + 1e-9)


def test_highs_banner_stays_off_stdout():
    code = (
        "import numpy as np\n"
        "from planner.models import SortingCentreModel\n"
        "s = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0]])\n"
        "SortingCentreModel.from_points(s, s[:2], np.ones(3), 2.0, p=2).solve()\n"
        "print('done')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout == "done\n"


def test_price_plan_respects_capacity_and_keeps_nearest_when_loose():
    rng = np.random.default_rng(60)
    costs = rng.uniform(1, 100, (40, 4))
    t = rng.uniform(1, 3, 40)
    cost, a = price_plan(costs, t, np.full(4, 1e9))
    assert np.array_equal(a, costs.argmin(axis=1))
    assert cost == pytest.approx(costs.min(axis=1).sum())
    cap = np.full(4, t.sum() / 4 * 1.1)
    cost, a = price_plan(costs, t, cap)
    assert np.all(np.bincount(a, weights=t, minlength=4) <= cap + 1e-9)
    assert cost == pytest.approx(costs[np.arange(40), a].sum())
    assert price_plan(costs, t, np.full(4, t.sum() / 5)) == (np.inf, None)


def test_local_search_keeps_the_rules_and_never_beats_brute_force():
    _, _, t, dist = _instance(61, n=7, m=6)
    cap = t.sum() / 2 * 1.1
    group = np.array([4, 5])
    best, _ = brute_centres(dist, t, cap, [2], ok=lambda c: bool(set(c) & {4, 5}) and 1 in c)
    plan = capacitated_search(
        lambda s: t[:, None] * dist[:, s], t, np.full(6, cap), np.zeros(6), np.array([1, 4]),
        allowed=np.ones(6, dtype=bool), required=np.array([1]), groups=[(group, 1, None)], p=2,
    )  # fmt: skip
    assert plan is not None and 1 in plan.sites and set(plan.sites) & {4, 5}
    assert len(plan.sites) == 2 and set(plan.assignment) <= set(plan.sites)
    assert np.all(np.bincount(plan.assignment, weights=t, minlength=6) <= cap + 1e-9)
    assert plan.cost == pytest.approx(float(np.sum(t * dist[np.arange(7), plan.assignment])))
    assert plan.cost >= best - 1e-9


@pytest.mark.parametrize("multi_source", [False, True])
def test_centre_mip_settings_follow_the_start(monkeypatch, multi_source):
    # The single-source start (search plan, re-assigned) is near optimal: HiGHS only
    # proves it (STRONG_INCUMBENT). A multi-sourcing start is poorer: its heuristics stay.
    import planner.models.centres as centres_module
    from planner.models._highs import STRONG_INCUMBENT

    calls = []
    real = centres_module.solve_problem

    def spy(prob, options, deadline, warm_start=False, tuning=None):
        calls.append((warm_start, tuning))
        return real(prob, options, deadline, warm_start, tuning)

    monkeypatch.setattr(centres_module, "solve_problem", spy)
    # A capacitated p-median the bounds alone do not close (Osman-Christofides style).
    rng = np.random.default_rng(1000 * 50 + 2)
    xy = rng.uniform(0, 100, (50, 2))
    demand = rng.integers(1, 21, 50).astype(float)
    cap = math.ceil(1.15 * demand.sum() / 5)
    dist = euclidean(xy, xy)
    model = SortingCentreModel.from_cost_matrix(
        CostMatrix.from_dense(dist), demand, np.full(50, float(cap)), 5,
        multi_source=multi_source, total_cost=True,
    )  # fmt: skip
    sol = model.solve()
    assert sol.status == "optimal"
    assert calls and all(warm for warm, _ in calls)
    expected = None if multi_source else STRONG_INCUMBENT
    assert [tuning for _, tuning in calls] == [expected] * len(calls)
