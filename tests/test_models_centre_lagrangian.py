"""The Lagrangian bound of the capacitated centre tier (issue 20, item 2, first step).

Checked against brute force on tiny instances (every site set, every single-source
assignment; the transportation LP for split plans): it never exceeds the optimum, it is
at least as tight as the uncapacitated relaxation on instances where capacity binds, and
a plan it proves says so.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

from planner.models import PolicyRules, SolverOptions, SortingCentreModel
from planner.models.centre_lagrangian import centre_lagrangian_bound
from planner.models.reference import brute_centres, euclidean


def _instance(seed: int, n: int = 9, m: int = 5, p: int = 2, slack: float = 1.1):
    rng = np.random.default_rng(seed)
    stations = rng.uniform(0, 10_000, (n, 2))
    sites = rng.uniform(0, 10_000, (m, 2))
    t = rng.integers(1, 7, n).astype(float)
    cap = float(np.ceil(t.sum() / p * slack))
    return t, cap, euclidean(stations, sites)


def _split_optimum(dist, t, cap, combos):
    best = np.inf
    n = len(t)
    for combo in combos:
        k = len(combo)
        cost = (t[:, None] * dist[:, list(combo)]).ravel()
        a_eq = np.kron(np.eye(n), np.ones(k))
        a_ub = np.hstack([np.kron(t[i], np.eye(k)) for i in range(n)])
        res = linprog(cost, A_ub=a_ub, b_ub=np.full(k, cap), A_eq=a_eq, b_eq=np.ones(n),
                      bounds=(0, 1), method="highs")  # fmt: skip
        if res.status == 0:
            best = min(best, res.fun)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_bound_is_below_both_optima_and_above_the_uncapacitated_one(seed):
    t, cap, dist = _instance(seed)
    m = dist.shape[1]
    single, _ = brute_centres(dist, t, cap, [2])
    split = _split_optimum(dist, t, cap, itertools.combinations(range(m), 2))
    uncapacitated = min(
        float(np.sum(t * dist[:, list(c)].min(axis=1))) for c in itertools.combinations(range(m), 2)
    )
    found = centre_lagrangian_bound(
        t[:, None] * dist, t, np.full(m, cap), np.zeros(m), p=2, upper=single
    )
    assert found.rounds > 0
    assert found.bound <= split + 1e-6 * split <= single + 1e-6 * single
    assert found.bound >= uncapacitated - 1e-6 * uncapacitated


def test_bound_respects_groups_and_closes_a_gap_the_relaxation_leaves():
    # Capacity binds at every centre: the uncapacitated bound is far below the optimum.
    t, cap, dist = _instance(2)
    groups = [(np.array([0, 1]), 1, None)]
    ok = lambda combo: any(j in (0, 1) for j in combo)  # noqa: E731
    single, _ = brute_centres(dist, t, cap, [2], ok)
    uncapacitated = min(
        float(np.sum(t * dist[:, list(c)].min(axis=1)))
        for c in itertools.combinations(range(5), 2)
        if ok(c)
    )
    found = centre_lagrangian_bound(
        t[:, None] * dist, t, np.full(5, cap), np.zeros(5), p=2, groups=groups, upper=single
    )
    assert uncapacitated <= found.bound <= single + 1e-6
    # It closes most of what the uncapacitated relaxation leaves open.
    assert single - found.bound < 0.5 * (single - uncapacitated)


def test_the_model_uses_it_and_says_which_bound_proves_the_plan():
    t, cap, dist = _instance(1)
    single, _ = brute_centres(dist, t, cap, [2])
    sol = SortingCentreModel(dist, t, cap, p=2).solve(SolverOptions(gap=0.005))
    assert sol.objective == pytest.approx(single, rel=1e-9)
    keys = [d.key for d in sol.diagnoses]
    assert sol.status == "optimal" and sol.bound <= single + 1e-6
    proof = [k for k in keys if k in ("solve.centre_bound", "solve.centre_lagrangian_bound")]
    assert proof == ["solve.centre_lagrangian_bound"]
    diag = next(d for d in sol.diagnoses if d.key == "solve.centre_lagrangian_bound")
    assert diag.params["bound"] == pytest.approx(sol.bound)
    assert "拉格朗日" in diag.message("zh") and "Lagrangian" in diag.message("en")


def test_rules_the_bound_must_hold_under():
    t, cap, dist = _instance(4, n=8, m=5)
    rules = PolicyRules(required=[4], excluded=[0])
    single, _ = brute_centres(dist, t, cap, [2], lambda c: 4 in c and 0 not in c)
    found = centre_lagrangian_bound(
        t[:, None] * dist, t, np.full(5, cap), np.zeros(5), p=2,
        required=rules.required, excluded=rules.excluded, upper=single,
    )  # fmt: skip
    assert found.bound <= single + 1e-6
    assert 4 in found.sites.tolist() and 0 not in found.sites.tolist()


def test_ascent_stops_once_the_plan_is_within_the_gap_asked():
    t, cap, dist = _instance(2)
    single, _ = brute_centres(dist, t, cap, [2])
    args = (t[:, None] * dist, t, np.full(5, cap), np.zeros(5))
    full = centre_lagrangian_bound(*args, p=2, upper=single)
    gap = 1.01 * (single - full.bound) / single  # the full ascent's bound meets it
    early = centre_lagrangian_bound(*args, p=2, upper=single, gap=gap)
    assert single - early.bound <= gap * single + 1e-6
    assert early.rounds < full.rounds
    assert early.bound <= full.bound + 1e-9
