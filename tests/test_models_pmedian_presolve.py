"""The p-median presolve: swap search, Lagrangian bound, site fixing, size cap.

References are brute force and the dense textbook formulation on small instances; the
presolve's claims (a feasible plan, a valid bound, fixings that spare every better
plan) are checked against them. No wall-clock assertions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import reference_data

from planner.instance.distance import CostMatrix, MatrixSource, sparse_knn
from planner.models import PMedian, PolicyRules, initial_k, p_median_presolve
from planner.models.lagrangian import LagrangianAscent, fix_sites, lagrangian_bound
from planner.models.median_search import median_search, median_start
from planner.models.pairs import PairSource, nearest_two
from planner.models.reference import (
    brute_pmedian,
    classic_pmedian,
    euclidean,
    orlib_optima,
    orlib_pmed,
)


def _clustered(n: int, seed: int, clusters: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters of uneven size and spread (city-like), lognormal weights."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 20_000, (clusters, 2))
    sizes = rng.multinomial(n, rng.dirichlet(np.full(clusters, 0.8)))
    spread = rng.uniform(300, 1_500, clusters)
    xy = np.concatenate(
        [c + rng.normal(0, s, (k, 2)) for c, s, k in zip(centres, spread, sizes, strict=True)]
    )
    return xy, np.round(rng.lognormal(3.0, 0.8, n)) + 1


def _small(seed: int, n: int = 40, m: int = 14):
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 5_000, (n, 2))
    sites = rng.uniform(0, 5_000, (m, 2))
    w = rng.integers(1, 30, n).astype(float)
    return demand, sites, w, euclidean(demand, sites)


# --------------------------------------------------------------------------- pairs


@pytest.mark.parametrize("generic", [False, True], ids=["points", "matrix"])
def test_nearest_two_matches_dense_reference(generic):
    demand, sites, _, dist = _small(3, n=50, m=23)
    cm = CostMatrix.from_dense(dist, k=3) if generic else sparse_knn(demand, sites, 3)
    assert isinstance(cm.source, MatrixSource) == generic
    open_sites = np.array([0, 4, 5, 9, 13, 17, 22])
    s1, d1, s2, d2 = nearest_two(cm, open_sites)
    block = dist[:, open_sites]
    order = np.argsort(block, axis=1, kind="stable")
    assert np.allclose(d1, block[np.arange(50), order[:, 0]])
    assert np.allclose(d2, block[np.arange(50), order[:, 1]])
    assert np.allclose(dist[np.arange(50), s1], d1)
    assert np.allclose(dist[np.arange(50), s2], d2)
    assert np.all(s1 != s2)


def test_pairs_within_radius_are_complete_and_exact():
    demand, sites, _, dist = _small(4, n=30, m=40)
    cm = sparse_knn(demand, sites, 2)
    rows = np.arange(30)
    radius = np.quantile(dist, 0.3, axis=1)
    mask = np.zeros(40, dtype=bool)
    mask[::3] = True
    t = PairSource(cm).within(rows, radius, mask)
    got = set(zip(t.rows.tolist(), t.sites.tolist(), strict=True))
    want = {(i, j) for i in range(30) for j in range(0, 40, 3) if dist[i, j] <= radius[i]}
    assert got == want
    assert np.allclose(t.cost, dist[t.rows, t.sites])


def test_pairs_and_nearest_two_without_a_source_use_the_listed_pairs():
    from scipy import sparse

    _, _, _, dist = _small(5, n=20, m=9)
    cut = np.where(dist <= np.quantile(dist, 0.6, axis=1, keepdims=True), dist, 0.0)
    cm = CostMatrix.from_scipy(sparse.csr_array(cut))
    assert cm.source is None
    listed = np.isfinite(np.where(cut > 0, cut, np.inf))
    t = PairSource(cm).within(np.arange(20), np.full(20, np.inf))
    assert t.size == int(listed.sum())
    open_sites = np.array([1, 4, 7])
    _, d1, _, d2 = nearest_two(cm, open_sites)
    ref = np.sort(np.where(listed[:, open_sites], dist[:, open_sites], np.inf), axis=1)
    assert np.array_equal(d1, ref[:, 0]) and np.array_equal(d2, ref[:, 1])


# --------------------------------------------------------------------------- heuristic


@pytest.mark.parametrize("seed", range(4))
def test_swap_search_plan_is_feasible_and_not_below_optimum(seed):
    demand, sites, w, dist = _small(seed)
    p = 3 + seed % 2
    required = np.array([seed % 14])
    allowed = np.ones(14, dtype=bool)
    cm = sparse_knn(demand, sites, 2)
    start = median_start(cm, w, p, allowed=allowed, required=required, seed=seed)
    assert start.size == p and required[0] in start
    plan = median_search(cm, w, start, required=required)
    assert plan.sites.size == p and np.unique(plan.sites).size == p
    assert required[0] in plan.sites
    # The reported cost is the exact cost of the plan (nearest open site, all pairs).
    assert plan.cost == pytest.approx(float(w @ dist[:, plan.sites].min(axis=1)), rel=1e-12)
    best, _ = brute_pmedian(dist, w, p)
    assert plan.cost >= best - 1e-6


def test_swap_search_never_worsens_the_start_and_finds_clustered_optimum():
    xy, w = _clustered(150, seed=7, clusters=5)
    cm = sparse_knn(xy, xy, 4)
    p = 5
    start = median_start(cm, w, p, allowed=np.ones(150, dtype=bool), required=np.empty(0, int))
    start_cost = float(w @ euclidean(xy, xy[start]).min(axis=1))
    plan = median_search(cm, w, start, required=np.empty(0, int))
    assert plan.cost <= start_cost + 1e-9
    assert plan.cost >= classic_pmedian(euclidean(xy, xy), w, p) - 1e-6


# --------------------------------------------------------------------------- Lagrangian


@pytest.mark.parametrize("seed", range(3))
def test_lagrangian_bound_is_below_optimum_and_fixing_spares_better_plans(seed):
    demand, sites, w, dist = _small(10 + seed, n=45, m=16)
    p = 4
    best, arg = brute_pmedian(dist, w, p)
    cm = sparse_knn(demand, sites, 2)
    allowed = np.ones(16, dtype=bool)
    required = np.empty(0, dtype=np.int64)
    # An incumbent slightly worse than the optimum: fixing must keep the optimum.
    upper = best * 1.002
    worst = np.argsort(dist.mean(axis=0))[:p]  # any plan gives d1 / d2
    _, d1, _, d2 = nearest_two(cm, worst)
    res = lagrangian_bound(cm, w, p, upper=upper, d1=d1, d2=d2, required=required, allowed=allowed)
    assert res.bound <= best + 1e-6 * best
    assert res.bound > 0.9 * best  # and it is a useful bound
    closed, opened = fix_sites(res, upper, p, required, allowed)
    assert not closed[list(arg)].any()
    assert set(np.flatnonzero(opened)) <= set(arg)


@pytest.mark.slow
def test_sifted_lagrangian_bound_is_valid():
    xy, w = _clustered(300, seed=3)
    dist = euclidean(xy, xy)
    p = 6
    cm = sparse_knn(xy, xy, 4)
    plan = median_search(
        cm,
        w,
        median_start(cm, w, p, allowed=np.ones(300, dtype=bool), required=np.empty(0, int)),
        required=np.empty(0, int),
    )
    _, d1, _, d2 = nearest_two(cm, plan.sites)
    ascent = LagrangianAscent(
        cm,
        w,
        p,
        d1=d1,
        d2=d2,
        required=np.empty(0, int),
        allowed=np.ones(300, dtype=bool),
        pair_budget=2_000,  # forces candidate sifting
        plan=plan.sites,
    )
    assert ascent.sifted
    res = ascent.run(plan.cost, 1_500)
    assert res.full_evaluations >= 1
    optimum = classic_pmedian(dist, w, p)
    assert math.isfinite(res.bound) and res.bound <= optimum + 1e-6 * optimum
    # rho over all sites comes from a full evaluation: the bound is reproducible.
    lam = res.multipliers
    rho = np.minimum(0.0, w[:, None] * dist - lam[:, None]).sum(axis=0)
    assert np.allclose(rho, res.rho, rtol=1e-9, atol=1e-6)
    assert lam.sum() + np.sort(rho)[:p].sum() == pytest.approx(res.bound, rel=1e-9)


@pytest.mark.parametrize("name", ["pmed1", "pmed2", "pmed6"])
def test_lagrangian_bound_below_published_optimum_on_orlib(name):
    folder = reference_data("orlib")
    optimum = orlib_optima(folder)[name]
    dist, p = orlib_pmed(name, folder)
    n = dist.shape[0]
    cm = CostMatrix.from_dense(dist, k=max(4, math.ceil(2 * n / p)))
    w = np.ones(n)
    start = median_start(cm, w, p, allowed=np.ones(n, dtype=bool), required=np.empty(0, int))
    plan = median_search(cm, w, start, required=np.empty(0, int))
    assert plan.cost >= optimum - 1e-6
    _, d1, _, d2 = nearest_two(cm, plan.sites)
    res = lagrangian_bound(
        cm,
        w,
        p,
        upper=plan.cost,
        d1=d1,
        d2=d2,
        required=np.empty(0, int),
        allowed=np.ones(n, dtype=bool),
    )
    assert res.bound <= optimum + 1e-6
    assert res.bound >= 0.95 * optimum


# --------------------------------------------------------------------------- PMedian


def test_small_p_clustered_instance_is_solved_to_optimality():
    xy, w = _clustered(250, seed=11, clusters=7)
    p = 4
    ref = classic_pmedian(euclidean(xy, xy), w, p)
    sol = PMedian.from_points(xy, xy, p, w).solve()
    assert sol.status == "optimal" and sol.gap == 0.0
    assert sol.objective == pytest.approx(ref, rel=1e-9)
    assert float(w @ euclidean(xy, xy[sol.sites]).min(axis=1)) == pytest.approx(ref, rel=1e-9)


def test_presolve_respects_required_and_excluded_sites():
    xy, w = _clustered(120, seed=5)
    dist = euclidean(xy, xy)
    p = 3
    forced, banned = 0, int(np.argmax(w))
    rules = PolicyRules(required=[forced], excluded=[banned])
    sol = PMedian.from_points(xy, xy, p, w, rules=rules).solve()
    ref = PMedian.from_points(xy, xy, p, w, rules=rules, presolve=False).solve()
    assert sol.status == ref.status == "optimal"
    assert forced in sol.sites and banned not in sol.sites
    assert sol.objective == pytest.approx(ref.objective, rel=1e-9)
    assert sol.objective == pytest.approx(float(w @ dist[:, sol.sites].min(axis=1)))


def test_model_size_cap_returns_plan_with_proven_gap(monkeypatch):
    xy, w = _clustered(200, seed=2)
    p = 5
    ref = classic_pmedian(euclidean(xy, xy), w, p)
    monkeypatch.setattr(p_median_presolve, "_MODEL_LEVELS", 0)
    monkeypatch.setattr(p_median_presolve, "_MODEL_LEVELS_SHORT", 0)
    monkeypatch.setattr(p_median_presolve, "_LAGRANGIAN_STEPS", 50)  # stop the bound short
    monkeypatch.setattr(p_median_presolve, "_LAGRANGIAN_ROUND", 50)
    sol = PMedian.from_points(xy, xy, p, w).solve()
    assert sol.sites.size == p and sol.objective >= ref - 1e-6
    assert sol.bound is not None and sol.bound <= ref + 1e-6
    if sol.status != "optimal":
        assert sol.status == "time_limit_feasible"
        assert any(d.key == "solve.model_size_cap" for d in sol.diagnoses)
        assert sol.gap == pytest.approx((sol.objective - sol.bound) / sol.objective)


def test_initial_lists_are_capped_without_capacity():
    assert initial_k(20_000, 30) == 64
    assert initial_k(20_000, 6_666) == 7
    # Capacity keeps its longer, uncapped lists (its pairs decide which plans count).
    assert initial_k(20_000, 30, capacity=True) == 3 * 1_334
