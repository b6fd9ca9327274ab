"""Lagrangian heuristic and reduced-cost fixing of the capacitated centre tier (issue 20,
item 2): checked by brute force over every single-source plan of tiny instances.

- the 0-1 knapsack bound never exceeds the single-source optimum;
- the heuristic's plan costs exactly what its allocation says and fits capacity;
- every site fixed closed (open) and every pair ruled out really is absent from (in)
  every plan cheaper than the fixing's reference cost;
- the model, with fixing in its MIP, still reaches the brute-force optimum.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from planner.models import SolverOptions, SortingCentreModel
from planner.models.centre_lagrangian import centre_lagrangian_bound, knapsack_units
from planner.models.reference import brute_centres, euclidean


def _instance(seed: int, n: int = 8, m: int = 5, p: int = 2, slack: float = 1.1):
    rng = np.random.default_rng(seed)
    stations = rng.uniform(0, 10_000, (n, 2))
    sites = rng.uniform(0, 10_000, (m, 2))
    t = rng.integers(1, 7, n).astype(float)
    cap = float(np.ceil(t.sum() / p * slack))
    return t, cap, euclidean(stations, sites)


def _every_plan(costs, t, cap, p):
    """Every feasible single-source plan with exactly ``p`` open sites: (cost, sites, a)."""
    n, m = costs.shape
    for combo in itertools.combinations(range(m), p):
        for a in itertools.product(combo, repeat=n):
            a = np.array(a)
            load = np.bincount(a, weights=t, minlength=m)
            if np.all(load <= cap + 1e-9):
                yield float(costs[np.arange(n), a].sum()), combo, a


@pytest.mark.parametrize("seed", range(5))
def test_fixing_and_heuristic_agree_with_brute_force(seed):
    t, cap, dist = _instance(seed)
    costs = t[:, None] * dist
    m = costs.shape[1]
    plans = list(_every_plan(costs, t, cap, 2))
    optimum = min(c for c, _, _ in plans)
    found = centre_lagrangian_bound(
        costs, t, np.full(m, cap), np.zeros(m), p=2, upper=1.02 * optimum,
        single_source=True, heuristic=True, fixing=True,
    )  # fmt: skip
    assert found.rounds > 0
    assert found.bound <= optimum + 1e-6 * optimum
    inc = found.incumbent
    assert inc is not None and inc.cost >= optimum - 1e-6 * optimum
    # Its cost is the cost of its allocation, which fits capacity.
    assert inc.cost == pytest.approx(float(costs[inc.rows, inc.sites[inc.cols]] @ inc.shares))
    load = np.bincount(inc.cols, weights=t[inc.rows] * inc.shares, minlength=inc.sites.size)
    assert np.all(load <= cap + 1e-9)
    assert found.upper <= 1.02 * optimum + 1e-9
    cheaper = [(c, s, a) for c, s, a in plans if c < found.upper - 1e-6 * found.upper]
    for _, combo, a in cheaper:
        assert not set(combo) & set(found.fixed_closed.tolist())
        assert set(found.fixed_open.tolist()) <= set(combo)
        assert not found.closed_pairs[np.arange(a.size), a].any()
    # Fixing is not vacuous on these instances: something is ruled out.
    assert found.closed_pairs.any()


@pytest.mark.parametrize("seed", range(4))
def test_binary_knapsack_bound_at_most_single_source_optimum(seed):
    t, cap, dist = _instance(seed, n=9, slack=1.05)
    single, _ = brute_centres(dist, t, cap, [2])
    found = centre_lagrangian_bound(
        t[:, None] * dist, t, np.full(5, cap), np.zeros(5), p=2, upper=single,
        single_source=True,
    )  # fmt: skip
    assert found.bound <= single + 1e-6 * single


def test_rounded_units_only_relax_the_knapsacks():
    t = np.array([1.26, 3.5, 0.4, 7.0])
    cap = np.array([5000.0, 8.2])
    weight, room = knapsack_units(t, cap)
    # Whatever fits a capacity in tonnes fits it in units.
    for j in range(2):
        for r in range(1, 5):
            for combo in itertools.combinations(range(4), r):
                if t[list(combo)].sum() <= cap[j]:
                    assert weight[list(combo)].sum() <= room[j]


@pytest.mark.parametrize("seed", range(4))
def test_model_with_fixing_reaches_brute_force_optimum(seed):
    t, cap, dist = _instance(seed, n=9, m=6, p=3, slack=1.05)
    single, _ = brute_centres(dist, t, cap, [3])
    sol = SortingCentreModel(dist, t, cap, p=3).solve(SolverOptions())
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(single, rel=1e-9)
    st, ce, share = sol.allocation
    assert float((t[st] * dist[st, ce]) @ share) == pytest.approx(sol.objective, rel=1e-9)
    assert sol.bound <= single + 1e-6 * single


def test_split_plans_get_site_fixing_only():
    t, cap, dist = _instance(3)
    costs = t[:, None] * dist
    found = centre_lagrangian_bound(
        costs, t, np.full(5, cap), np.zeros(5), p=2, upper=float(costs.sum()),
        heuristic=True, fixing=True,
    )  # fmt: skip
    assert found.closed_pairs is None
    # The heuristic's split plan costs what its allocation says.
    inc = found.incumbent
    assert inc is not None
    assert inc.cost == pytest.approx(float(costs[inc.rows, inc.sites[inc.cols]] @ inc.shares))
