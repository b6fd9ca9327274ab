"""The multi-period model (planner.models.phased) against brute force on small cases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from planner.instance.distance import CostMatrix, sparse_knn
from planner.models import SolverOptions
from planner.models.phased import PhasedSiting, PhasedTier
from planner.models.rules import PolicyRules, SiteGroup

OPTIONS = SolverOptions(gap=None, time_limit_s=60)


def _instance(seed: int, n: int = 9, m: int = 6):
    rng = np.random.default_rng(seed)
    dxy = rng.uniform(0, 1000, (n, 2))
    sxy = rng.uniform(0, 1000, (m, 2))
    weights = rng.integers(1, 50, n).astype(float)
    return dxy, sxy, weights


def _brute(tier_args, budgets, n_years):
    """Best monotone roll-out by enumeration: each site's first year or never."""
    (dist, weights, cost, targets, county_of, county_min, final, groups) = tier_args
    n_sites = dist.shape[1]
    best = (np.inf, None)
    for years in itertools.product(range(-1, n_years), repeat=n_sites):
        y = np.array(years)
        opened = [(y >= 0) & (y <= t) for t in range(n_years)]
        if any(targets[t] is not None and opened[t].sum() != targets[t] for t in range(n_years)):
            continue
        if final is not None and set(np.flatnonzero(opened[-1])) != set(final):
            continue
        if any(opened[-1][g].sum() < lo for g, lo in groups):
            continue
        ok = True
        for t, mins in enumerate(county_min):
            for c, lo in mins.items():
                if opened[t][county_of == c].sum() < lo:
                    ok = False
        for t, b in enumerate(budgets):
            if b is not None and cost[y == t].sum() > b + 1e-9:
                ok = False
        if not ok or not all(o.any() for o in opened):
            continue
        value = sum(float(weights @ dist[:, o].min(axis=1)) for o in opened)
        if value < best[0] - 1e-9:
            best = (value, y)
    return best


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("sparse", [False, True])
def test_phased_median_equals_brute_force(seed, sparse):
    dxy, sxy, w = _instance(seed)
    dist = np.linalg.norm(dxy[:, None, :] - sxy[None, :, :], axis=2)
    cm = sparse_knn(dxy, sxy, 2) if sparse else CostMatrix.from_dense(dist)
    cost = np.array([10.0, 10, 10, 20, 20, 5])
    county_of = np.array(["a", "a", "b", "b", "c", "c"])
    targets = [2, 4, 5]
    county_min = [{"c": 1}, {"a": 2}, {}]
    budgets = [30.0, 35.0, None]
    groups = [(np.array([2, 3]), 1)]
    tier = PhasedTier(
        "station", cm, w, cost, targets, county_of, county_min,
        rules=PolicyRules(groups=[SiteGroup("g", np.array([2, 3]), min_open=1)]),
    )  # fmt: skip
    model = PhasedSiting([tier], budgets)
    sol = model.solve(OPTIONS)
    value, years = _brute((dist, w, cost, targets, county_of, county_min, None, groups), budgets, 3)
    if years is None:
        assert sol.result.status == "infeasible"
        return
    assert sol.result.status == "optimal"
    service = sol.service["station"]
    assert sum(service) == pytest.approx(value, rel=1e-9)
    y = sol.open_year["station"]
    # a site never closes: counts are cumulative and equal the targets
    assert [int(((y >= 0) & (y <= t)).sum()) for t in range(3)] == targets
    # budgets hold
    for t, b in enumerate(budgets):
        if b is not None:
            assert cost[y == t].sum() <= b + 1e-9
            assert sol.spending[t] == pytest.approx(cost[y == t].sum())


@pytest.mark.parametrize("seed", range(4))
def test_phased_fixed_final_equals_brute_force(seed):
    dxy, sxy, w = _instance(seed, n=10, m=7)
    dist = np.linalg.norm(dxy[:, None, :] - sxy[None, :, :], axis=2)
    final = np.array([0, 2, 3, 5, 6])
    cost = np.full(7, 1.0)
    targets = [1, 3, 5]
    tier = PhasedTier(
        "station", sparse_knn(dxy, sxy, 2), w, cost, targets, np.array(["x"] * 7), final=final
    )
    sol = PhasedSiting([tier], [None, 2.0, None]).solve(OPTIONS)
    value, _ = _brute(
        (dist, w, cost, targets, np.array(["x"] * 7), [], final, []), [None, 2.0, None], 3
    )
    assert sol.result.status == "optimal"
    assert sum(sol.service["station"]) == pytest.approx(value, rel=1e-9)
    y = sol.open_year["station"]
    assert set(np.flatnonzero(y >= 0)) == set(final.tolist())


def test_two_tiers_share_the_budget():
    dxy, sxy, w = _instance(3)
    cm = CostMatrix.from_dense(np.linalg.norm(dxy[:, None] - sxy[None], axis=2))
    stations = PhasedTier("station", cm, w, np.full(6, 1.0), [2, 4], np.array(["a"] * 6))
    centres = PhasedTier("sorting_centre", cm, w, np.full(6, 10.0), [1, 2], np.array(["a"] * 6))
    # year 1: one centre (10) + two stations (2) = 12 is the least it can spend
    sol = PhasedSiting([stations, centres], [12.0, 12.0]).solve(OPTIONS)
    assert sol.result.status == "optimal"
    assert sol.spending == pytest.approx([12.0, 12.0])
    bad = PhasedSiting([stations, centres], [11.0, 12.0]).solve(OPTIONS)
    assert bad.result.status == "infeasible"


def test_a_site_never_closes_in_the_solvers_own_values():
    from planner.models._highs import solve_problem
    from planner.models.phased import var_values_2d

    dxy, sxy, w = _instance(5, n=12, m=8)
    cm = CostMatrix.from_dense(np.linalg.norm(dxy[:, None] - sxy[None], axis=2))
    tier = PhasedTier("station", cm, w, np.full(8, 1.0), [2, None, 6], np.array(["a"] * 8))
    model = PhasedSiting([tier], [None, 1.0, None])
    prob, opened = model._build({"station": cm}, None)
    raw = solve_problem(prob, OPTIONS)
    assert raw.status == "optimal"
    values = var_values_2d(opened["station"])
    assert np.all(np.diff(values, axis=0) >= 0)  # open in year t -> open in year t+1
    assert values.sum(axis=1).tolist()[0] == 2 and values.sum(axis=1).tolist()[2] == 6
    assert values[1].sum() - values[0].sum() <= 1  # the 2nd year's budget buys one site
