"""Warm starts: repairing a neighbouring plan into a feasible start, and the models,
pipeline and sweep workers using it without changing what a result proves."""

from __future__ import annotations

import numpy as np
import pytest

from planner.data.regions import load_region
from planner.instance import build_instance, instance_key
from planner.instance.distance import sparse_knn
from planner.models import PMedian, PolicyRules, SiteGroup, SolverOptions, SortingCentreModel
from planner.models.warm import adapt_sites, rules_hold
from planner.run import WarmStart, run_plan
from planner.scenario import Scenario, default_scenario

EXACT = SolverOptions(gap=0.0)


def _city(seed: int, n: int = 120, m: int = 60):
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 20_000, (n, 2))
    sites = np.vstack(
        [demand[rng.choice(n, m - 10, replace=False)], rng.uniform(0, 20_000, (10, 2))]
    )
    weights = rng.integers(1, 100, n).astype(float)
    return demand, sites, weights


def _township_groups(sites: np.ndarray, size: int = 10_000) -> list[SiteGroup]:
    """Square 'townships' of the site layout, each needing at least one site."""
    cell = (sites[:, 0] // size).astype(int) * 10 + (sites[:, 1] // size).astype(int)
    return [
        SiteGroup(f"t{c}", np.flatnonzero(cell == c), 1, None, "township") for c in np.unique(cell)
    ]


@pytest.mark.parametrize(("start_p", "p"), [(8, 14), (20, 12), (12, 12)])
def test_adapt_reaches_the_count_and_keeps_every_rule(start_p, p):
    demand, sites, w = _city(3)
    groups = _township_groups(sites)
    groups.append(SiteGroup("cap", np.arange(0, 30), 0, 9, "county"))
    rules = PolicyRules(required=[5], excluded=[7, 8], groups=groups)
    cm = sparse_knn(demand, sites, 12)
    solved = PMedian(cm, start_p, w, rules=rules).solve(EXACT)
    assert solved.status == "optimal"
    start = np.append(solved.sites, [7, 999, -1])  # an excluded and two unknown sites
    out = adapt_sites(cm, w, start, p, rules)
    assert out is not None and out.size == p
    assert rules_hold(out, rules, cm.n_sites, p)
    assert 5 in out and 7 not in out and 8 not in out
    kept = np.intersect1d(out, start)
    # A repair, not a new plan: it keeps what it can of the start.
    assert kept.size >= min(start_p, p) - len(groups)


def test_adapt_gives_up_when_the_rules_cannot_be_met():
    demand, sites, w = _city(4)
    cm = sparse_knn(demand, sites, 12)
    # Two groups each needing 3 of the same 4 sites, with p = 2: no plan exists.
    groups = [SiteGroup("a", [0, 1, 2, 3], 3, None), SiteGroup("b", [0, 1, 2, 3], 3, None)]
    assert adapt_sites(cm, w, np.arange(2), 2, PolicyRules(groups=groups)) is None
    # A maximum that the count cannot respect either.
    cap = [SiteGroup("all", np.arange(cm.n_sites), 0, 3)]
    assert adapt_sites(cm, w, np.arange(3), 5, PolicyRules(groups=cap)) is None


@pytest.mark.parametrize("with_groups", [True, False])
@pytest.mark.parametrize("seed", [11, 12])
def test_pmedian_from_a_neighbouring_plan_reaches_the_same_optimum(seed, with_groups):
    demand, sites, w = _city(seed)
    rules = PolicyRules(groups=_township_groups(sites) if with_groups else ())
    cm = sparse_knn(demand, sites, 8)
    neighbour = PMedian(cm, 10, w, rules=rules).solve(EXACT)
    cold = PMedian(cm, 14, w, rules=rules).solve(EXACT)
    warm = PMedian(cm, 14, w, rules=rules).solve(EXACT, start=neighbour.sites)
    assert cold.status == warm.status == "optimal"
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    assert len(warm.sites) == 14
    # Starting from the optimum itself: still optimal, same cost.
    again = PMedian(cm, 14, w, rules=rules).solve(EXACT, start=cold.sites)
    assert again.objective == pytest.approx(cold.objective, rel=1e-9)


def test_a_useless_start_is_ignored():
    demand, sites, w = _city(5)
    cm = sparse_knn(demand, sites, 8)
    cold = PMedian(cm, 9, w).solve(EXACT)
    warm = PMedian(cm, 9, w).solve(EXACT, start=[-3, 10_000])
    assert warm.status == "optimal"
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)


def test_sorting_centres_from_a_start_reach_the_same_optimum():
    rng = np.random.default_rng(8)
    stations = rng.uniform(0, 30_000, (80, 2))
    cands = rng.uniform(0, 30_000, (25, 2))
    tonnage = rng.uniform(0.5, 3.0, 80)

    def model():
        return SortingCentreModel.from_points(
            stations, cands, tonnage, 40.0, 5, cost_per_tonne_metre=1e-3
        )

    cold = model().solve(EXACT)
    warm = model().solve(EXACT, start=np.arange(5))
    assert cold.status == warm.status == "optimal"
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)


# --- the pipeline ---------------------------------------------------------------------


def _jinjiang(count: int, **stations) -> Scenario:
    data = default_scenario("jinjiang").to_dict()
    data["stations"].update(count=count, **stations)
    data["solver"]["gap"] = 0.0
    return Scenario.from_dict(data)


def test_instance_key_ignores_only_what_the_solvers_read():
    base = _jinjiang(80)
    assert instance_key(base) == instance_key(_jinjiang(120))
    data = base.to_dict()
    data["centres"]["count"] = 3
    data["solver"]["time_limit_s"] = 30
    assert instance_key(base) == instance_key(Scenario.from_dict(data))
    assert instance_key(base) != instance_key(_jinjiang(80, radius_urban_m=300))
    assert instance_key(base) != instance_key(_jinjiang(80), region_id="another")


def test_run_plan_reuses_an_instance_and_starts_from_a_plan():
    region = load_region("jinjiang")
    inst = build_instance(region, _jinjiang(80))
    first = run_plan(region, _jinjiang(80), instance=inst)
    start = WarmStart.from_plan(first)
    assert len(start.stations) == 80 and len(start.centres) == first.kpis["sorting_centres"]
    cold = run_plan(region, _jinjiang(100))
    warm = run_plan(region, _jinjiang(100), instance=inst, warm_start=start)
    for plan in (cold, warm):
        assert [r.status for r in plan.results] == ["optimal", "optimal"]
    # Same proven optimum for both tiers (the plans may differ only between ties).
    for a, b in zip(cold.results, warm.results, strict=True):
        assert b.objective == pytest.approx(a.objective, rel=1e-9)
    assert warm.kpis["stations"] == 100
    assert warm.scenario.stations.count == 100
    with pytest.raises(ValueError, match="another scenario"):
        run_plan(region, _jinjiang(100, radius_urban_m=300), instance=inst)


@pytest.mark.slow
def test_sweep_worker_reuses_its_instance_and_its_neighbouring_plan(monkeypatch):
    import planner.sweep.worker as sweep

    monkeypatch.setattr(sweep, "_INSTANCES", {})
    monkeypatch.setattr(sweep, "_PLANS", {})

    def solve(count: int, **options):
        out = sweep.solve_point("jinjiang", _jinjiang(count).to_dict(), keep_plan=False, **options)
        assert out["status"] == "done"
        return out["result"]

    first = solve(60, start_from_neighbour=True)
    second = solve(100, start_from_neighbour=True)
    third = solve(80, start_from_neighbour=True)
    assert (first["instance_reused"], first["warm_start_from"]) == (False, None)
    assert (second["instance_reused"], second["warm_start_from"]) == (True, 60)
    # 80 is as near to 60 as to 100; either neighbour is a valid start.
    assert third["warm_start_from"] in (60, 100)
    # By default the instance is reused but no plan is a start.
    plain = solve(80)
    assert (plain["instance_reused"], plain["warm_start_from"]) == (True, None)
    cold = solve(80, reuse_instance=False)
    assert (cold["instance_reused"], cold["warm_start_from"]) == (False, None)
    for result in (third, plain):
        assert [r["objective"] for r in result["results"]] == pytest.approx(
            [r["objective"] for r in cold["results"]]
        )
        assert result["kpis"]["stations"] == 80
    # Another radius is another chain and another instance: no start from the others.
    data = _jinjiang(80, radius_urban_m=300).to_dict()
    other = sweep.solve_point("jinjiang", data, keep_plan=False, start_from_neighbour=True)
    assert other["result"]["instance_reused"] is False
    assert other["result"]["warm_start_from"] is None
