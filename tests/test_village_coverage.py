"""Village coverage (issue 15, item 5): the cover rule in every station model, its
diagnoses, the village KPIs and the uncovered list, and a Jinjiang run with the rule.

Small instances are checked against brute force over every site set: the models must
return the best plan among those that cover enough villages in every county.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planner.instance.coverage_sets import straight_cover_matrix
from planner.models import (
    MCLP,
    CoverRule,
    PMedian,
    PolicyRules,
    SetCover,
    SiteGroup,
    SolverOptions,
    check_site_rules,
)
from planner.models.reference import euclidean
from planner.models.warm import adapt_sites, rules_hold
from planner.plan.kpi import area_kpis
from planner.plan.villages import (
    AREA_COLUMNS,
    nearest_station_columns,
    uncovered_villages,
    village_kpis,
)

HIGHS = SolverOptions()
CBC = SolverOptions(solver="cbc")
CIRCUITY = 1.3


# --------------------------------------------------------------------------- helpers


def _tiny(seed: int, n: int = 10, m: int = 8):
    """``n`` villages in two counties (first half 甲县, second half 乙县), ``m``
    candidates on a 3 km square; even units are 社区 (600 m), odd ones 村 (1.2 km)."""
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 3_000, (n, 2))
    sites = rng.uniform(0, 3_000, (m, 2))
    weights = rng.integers(1, 30, n).astype(float)
    radius = np.where(np.arange(n) % 2 == 0, 600.0, 1_200.0)
    county = np.repeat([0, 1], [n // 2, n - n // 2])
    dist = euclidean(demand, sites) * CIRCUITY
    return demand, sites, weights, radius, county, dist


def _rules(cover: np.ndarray, county: np.ndarray, need: dict[int, int], **kw) -> PolicyRules:
    names = {0: "甲县", 1: "乙县"}
    cover_rules = [CoverRule(names[c], cover[county == c], k) for c, k in need.items()]
    return PolicyRules(cover_rules=cover_rules, **kw)


def _covered_per_county(cover: np.ndarray, county: np.ndarray, sites) -> dict[int, int]:
    hit = cover[:, list(sites)].any(axis=1)
    return {int(c): int(hit[county == c].sum()) for c in np.unique(county)}


def _brute(dist, weights, cover, county, p, need, objective):
    """Best value of ``objective(combo)`` (minimised) over every p-set meeting ``need``."""
    best, arg = math.inf, None
    for combo in itertools.combinations(range(dist.shape[1]), p):
        counts = _covered_per_county(cover, county, combo)
        if any(counts[c] < k for c, k in need.items()):
            continue
        value = objective(combo)
        if value < best - 1e-9:
            best, arg = value, combo
    return best, arg


def _binding_need(cover, county, p, objective) -> tuple[dict[int, int], float] | None:
    """Village minimums per county that the unconstrained optimum misses by one village
    in one county while some plan meets them all (so the rule changes the answer), and
    that optimum's value; ``None`` when no such minimums exist."""
    free, combo = _brute(cover, None, cover, county, p, {}, objective)
    have = _covered_per_county(cover, county, combo)
    for other in itertools.combinations(range(cover.shape[1]), p):
        counts = _covered_per_county(cover, county, other)
        for c in sorted(have):
            if counts[c] > have[c]:
                # Met by ``other``, missed by the optimum in county c.
                need = {k: min(have[k], counts[k]) for k in have}
                return {**need, c: have[c] + 1}, free
    return None


# --------------------------------------------------------------------------- cover sets


def test_cover_matrix_is_the_full_within_radius_set():
    demand, sites, _, radius, _, dist = _tiny(0, n=30, m=20)
    cover = straight_cover_matrix(demand, radius, sites, CIRCUITY)
    assert cover.shape == (30, 20)
    # Every pair within the radius, not a k-nearest list.
    assert np.array_equal(cover.toarray() > 0, dist <= radius[:, None])
    assert cover.sum(axis=1).max() >= 3 and set(np.unique(cover.data)) == {1.0}


def test_cover_rule_counts_and_validation():
    cover = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 0]])
    rule = CoverRule("甲县", cover, 2)
    assert rule.n_units == 3 and rule.sites_of(1).tolist() == [0, 1]
    assert rule.covered(np.array([True, False, False])) == 2
    assert rule.covered(np.array([False, True, True])) == 1
    from planner.i18n import PlannerError

    with pytest.raises(PlannerError):
        PolicyRules(cover_rules=[rule]).validate(4)  # 3 columns for 4 sites
    with pytest.raises(PlannerError):
        PolicyRules(cover_rules=[CoverRule("甲县", cover, 4)]).validate(3)  # 4 of 3 units


# --------------------------------------------------------------------------- brute force


# Seeds where the unconstrained optimum misses a village some plan covers (the rule
# binds): most of the first twenty, for either objective.
@pytest.mark.parametrize(
    ("seed", "p"), [(1, 2), (3, 2), (4, 2), (10, 2), (12, 2), (1, 3), (6, 3), (9, 3), (15, 3)]
)
def test_pmedian_with_village_rule_matches_brute_force(seed, p):
    demand, sites, w, radius, county, dist = _tiny(seed)
    cover = dist <= radius[:, None]

    def cost(combo):
        return float(w @ dist[:, list(combo)].min(axis=1))

    found = _binding_need(cover, county, p, cost)
    assert found is not None, "the instance should let the rule bind"
    need, free = found
    best, _ = _brute(dist, w, cover, county, p, need, cost)
    assert best > free + 1e-6  # the rule really changes the optimum
    rules = _rules(cover, county, need)
    # k=1: the lists must grow, and the presolve (which knows no cover rules) is off.
    sol = PMedian.from_points(demand, sites, p, w, rules=rules, k=1, circuity=CIRCUITY).solve(HIGHS)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(best, rel=1e-9)
    counts = _covered_per_county(cover, county, sol.sites)
    assert all(counts[c] >= k for c, k in need.items())
    assert rules_hold(sol.sites, rules, len(sites), p)


@pytest.mark.parametrize("options", [HIGHS, CBC], ids=["highs", "cbc"])
@pytest.mark.parametrize(
    ("seed", "p"), [(1, 2), (3, 2), (10, 2), (12, 2), (17, 2), (1, 3), (6, 3), (15, 3)]
)
def test_mclp_with_village_rule_matches_brute_force(seed, p, options):
    demand, sites, w, radius, county, dist = _tiny(seed)
    cover = dist <= radius[:, None]

    def uncovered(combo):  # minimising the weight left uncovered = maximising coverage
        return float(w @ ~cover[:, list(combo)].any(axis=1))

    found = _binding_need(cover, county, p, uncovered)
    assert found is not None, "the instance should let the rule bind"
    need, free = found
    best, _ = _brute(dist, w, cover, county, p, need, uncovered)
    assert best > free  # the rule costs coverage elsewhere
    sol = MCLP.from_points(
        demand, sites, p, radius, w, rules=_rules(cover, county, need), circuity=CIRCUITY
    ).solve(options)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(float(w.sum()) - best, rel=1e-9)
    counts = _covered_per_county(cover, county, sol.sites)
    assert all(counts[c] >= k for c, k in need.items())


def test_capacitated_pmedian_honours_the_village_rule():
    demand, sites, w, radius, county, dist = _tiny(1)
    cover = dist <= radius[:, None]

    def cost(combo):
        return float(w @ dist[:, list(combo)].min(axis=1))

    need, _ = _binding_need(cover, county, 3, cost)
    best, _ = _brute(dist, w, cover, county, 3, need, cost)
    # Capacity that never binds, every pair listed: the capacity model's optimum is the
    # uncapacitated one under the rule (its transport start must not bypass the rule).
    rules = _rules(cover, county, need, capacity=1e6)
    sol = PMedian.from_points(
        demand, sites, 3, w, rules=rules, radius=1e9, circuity=CIRCUITY
    ).solve(HIGHS)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(best, rel=1e-6)
    assert rules_hold(sol.sites, rules, len(sites), 3)


def test_set_cover_meets_the_village_rule_with_fewest_sites():
    # 乙县 weighs nothing: set cover alone need not reach it, the village rule must.
    for seed in range(20):
        demand, sites, _, radius, county, dist = _tiny(seed)
        cover = dist <= radius[:, None]
        w = np.where(county == 0, 1.0, 0.0)
        free = SetCover.from_points(demand, sites, radius, w, circuity=CIRCUITY).solve(HIGHS)
        reach = int(cover[county == 1].any(axis=1).sum())
        if _covered_per_county(cover, county, free.sites)[1] < reach:
            break
    else:
        pytest.fail("no seed where set cover leaves 乙县 short")
    a_reach = cover[county == 0].any(axis=1)

    def ok(combo):
        hit = cover[:, list(combo)].any(axis=1)
        return bool(hit[county == 0][a_reach].all()) and int(hit[county == 1].sum()) >= reach

    sizes = range(1, len(sites) + 1)
    best = min(k for k in sizes for c in itertools.combinations(range(len(sites)), k) if ok(c))
    sol = SetCover.from_points(
        demand, sites, radius, w, rules=_rules(cover, county, {1: reach}), circuity=CIRCUITY
    ).solve(HIGHS)
    assert sol.status == "optimal" and sol.objective == best and len(sol.sites) == best
    assert ok(tuple(sol.sites))


def test_warm_start_violating_the_rule_is_repaired():
    demand, sites, w, radius, county, dist = _tiny(4)
    cover = dist <= radius[:, None]

    def cost(combo):
        return float(w @ dist[:, list(combo)].min(axis=1))

    need, _ = _binding_need(cover, county, 2, cost)
    best, _ = _brute(dist, w, cover, county, 2, need, cost)
    _, free_combo = _brute(dist, w, cover, county, 2, {}, cost)
    rules = _rules(cover, county, need)
    assert not rules_hold(np.array(free_combo), rules, len(sites), 2)
    model = PMedian.from_points(demand, sites, 2, w, rules=rules, circuity=CIRCUITY)
    # The greedy repair swaps a site covering the missing village in.
    start = adapt_sites(model.cost, w, np.array(free_combo), 2, rules)
    assert start is not None and rules_hold(start, rules, len(sites), 2)
    assert _covered_per_county(cover, county, start)[0] >= need[0]
    sol = model.solve(HIGHS, start=list(free_combo))
    assert sol.status == "optimal" and sol.objective == pytest.approx(best, rel=1e-9)


def test_sorting_centre_model_honours_a_cover_rule_without_its_heuristic():
    from planner.models import SortingCentreModel

    stations = np.array([(0, 0), (100, 0), (200, 0), (5000, 0)], dtype=float)
    candidates = np.array([(100, 0), (2600, 0), (5000, 0)], dtype=float)
    tonnage = np.array([5.0, 5.0, 5.0, 1.0])
    free = SortingCentreModel.from_points(stations, candidates, tonnage, 100.0, 1).solve(HIGHS)
    assert free.centres.tolist() == [0]
    # "The far station has a centre within 1 km": only candidate 2 covers it.
    cover = straight_cover_matrix(stations[3:], 1_000.0, candidates)
    rules = PolicyRules(cover_rules=[CoverRule("远端", cover, 1)])
    model = SortingCentreModel.from_points(stations, candidates, tonnage, 100.0, 1, rules=rules)
    assert model.heuristic is False  # its relaxation and local search know no cover rules
    sol = model.solve(HIGHS)
    assert sol.result.status == "optimal" and sol.centres.tolist() == [2]


# --------------------------------------------------------------------------- diagnoses

# Two counties 5 km apart, four villages each (rural radius 500 m). Candidate 0 and 3
# stand among 甲县's villages, candidate 1 among 乙县's, candidate 2 halfway.
_A = [(0, 0), (100, 0), (0, 100), (100, 100)]
_B = [(5000, 0), (5100, 0), (5000, 100), (5100, 100)]
_SITES = np.array([(50, 50), (5050, 50), (2500, 0), (60, 40)], dtype=float)


def _two_counties(b_points=_B):
    demand = np.array([*_A, *b_points], dtype=float)
    county = np.repeat([0, 1], 4)
    radius = np.full(8, 500.0)
    cover = straight_cover_matrix(demand, radius, _SITES).toarray() > 0
    return demand, county, radius, cover


@pytest.mark.parametrize("model", ["p_median", "mclp"])
def test_infeasible_share_names_the_county_and_the_villages_short(model):
    demand, county, radius, cover = _two_counties()
    # One station: near 甲县 it leaves 乙县 2 villages short of its 2; near 乙县 it
    # leaves 甲县 4 short. The diagnosis names the smaller shortfall.
    rules = _rules(cover, county, {0: 4, 1: 2})
    assert check_site_rules(4, rules, p=1) == []  # every site open would be enough
    if model == "p_median":
        sol = PMedian.from_points(demand, _SITES, 1, rules=rules).solve(HIGHS)
    else:
        sol = MCLP.from_points(demand, _SITES, 1, radius, rules=rules).solve(HIGHS)
    assert sol.status == "infeasible" and len(sol.sites) == 0
    diags = [d for d in sol.result.diagnoses if d.key == "solve.elastic_cover_min"]
    assert len(diags) == 1, [d.key for d in sol.result.diagnoses]
    params = diags[0].params
    assert params["group"] == "乙县" and params["amount"] == 2 and params["covered"] == 0
    assert (params["need"], params["total"]) == (2, 4)
    assert "乙县" in diags[0].message("zh") and "还差 2 个" in diags[0].message("zh")
    assert "2 short" in diags[0].message("en")


def test_county_short_even_with_every_site_open_is_refused_up_front():
    # Two of 乙县's villages lie 4 km beyond any candidate: at most 2 can be covered.
    demand, county, _, cover = _two_counties([(5000, 0), (5100, 0), (9000, 0), (9100, 0)])
    rules = _rules(cover, county, {0: 3, 1: 4})
    sol = PMedian.from_points(demand, _SITES, 2, rules=rules).solve(HIGHS)
    assert sol.status == "infeasible"
    (diag,) = [d for d in sol.result.diagnoses if d.key == "solve.cover_min_unreachable"]
    assert diag.params["group"] == "乙县"
    assert (diag.params["need"], diag.params["most"], diag.params["short"]) == (4, 2, 2)
    assert diag.params["total"] == 4 and diag.params["kind"] == "county"
    assert "还差 2 个" in diag.message("zh")
    # Excluding 乙县's only candidate leaves nothing to cover it with.
    rules = _rules(cover, county, {1: 1}, excluded=[1])
    (diag,) = check_site_rules(4, rules, p=1)
    assert diag.key == "solve.cover_min_unreachable" and diag.params["most"] == 0


def test_rule_and_groups_together_are_explained_by_villages():
    demand, county, _, cover = _two_counties()
    # Site 2 (halfway, covering nothing) is required and p = 2: one site left for two
    # counties. The shortfall is told in villages, not as a broken site rule.
    rules = _rules(cover, county, {0: 4, 1: 4}, required=[2])
    sol = PMedian.from_points(demand, _SITES, 2, rules=rules).solve(HIGHS)
    assert sol.status == "infeasible"
    keys = [d.key for d in sol.result.diagnoses]
    assert keys == ["solve.elastic_cover_min"]
    assert sol.result.diagnoses[0].params["amount"] == 4


def test_feasible_rule_holds_with_a_township_group():
    demand, county, _, cover = _two_counties()
    groups = [SiteGroup("halfway", [2], min_open=1, kind="township")]
    rules = _rules(cover, county, {0: 4, 1: 4}, groups=groups)
    sol = PMedian.from_points(demand, _SITES, 3, rules=rules).solve(HIGHS)
    assert sol.status == "optimal"
    assert 2 in sol.sites.tolist() and 1 in sol.sites.tolist()
    assert _covered_per_county(cover, county, sol.sites) == {0: 4, 1: 4}


# --------------------------------------------------------------------------- KPIs

#: Seven units: 甲县 (two townships) and 乙县; S1 is the only open station in reach of
#: anything. 社区 u1 is *assigned* to far station S2 (capacity) but S1 is within its
#: radius: it counts as covered.
_UNITS = pd.DataFrame(
    {
        "demand_id": ["u1", "u2", "u3", "u4", "u5", "u6", "u7"],
        "name": ["一社区", "二村", "三村", "四社区", "五村", "六村", "七村"],
        "county_code": ["A", "A", "A", "A", "B", "B", "B"],
        "township_code": ["A1", "A1", "A2", "A2", "B1", "B1", "B1"],
        "kind": ["community", "village", "village", "community", "village", "village", "village"],
        "urban": [True, False, False, True, False, False, False],
        "population": [1000, 500, 400, 2000, 300, 200, 100],
        "households": [400, 200, 160, 800, 120, 80, 40],
        "radius_m": [500.0, 2000, 2000, 500, 2000, 2000, 2000],
        "x": [0.0, 1500, 2800, 0, 10000, 10500, 14000],
        "y": [300.0, 0, 0, 800, 0, 0, 0],
    }
)


def _inst() -> SimpleNamespace:
    stations = pd.DataFrame(
        {"site_id": ["S1", "S2", "S3"], "x": [0.0, 6000, 10000], "y": [0.0, 0, 0]}
    )
    return SimpleNamespace(demand=_UNITS, stations=stations, scenario=SimpleNamespace(circuity=1.0))


def _demand_with_columns() -> gpd.GeoDataFrame:
    d = _UNITS.copy()
    # Opened: S1 and S2 (S3 stays closed). u1 assigned to S2 as if S1 were full.
    d["station_id"] = ["S2", "S1", "S1", "S1", "S2", "S2", "S2"]
    d["distance_m"] = [6007.5, 1500, 2800, 800, 4000, 4500, 8000]
    d["covered"] = d["distance_m"] <= d["radius_m"] + 1e-6
    d = nearest_station_columns(d, _inst(), np.array([0, 1]))
    lon = np.arange(7) * 0.01 + 120.0
    return gpd.GeoDataFrame(d, geometry=shapely.points(lon, np.full(7, 28.0)), crs=4326)


def test_nearest_station_columns_measure_any_open_station():
    d = _demand_with_columns()
    assert d["nearest_station_id"].tolist() == ["S1", "S1", "S1", "S1", "S2", "S2", "S2"]
    expected = [300, 1500, 2800, 800, 4000, 4500, 8000]
    assert np.allclose(d["nearest_station_m"], expected)
    # u1: 300 m from S1 (radius 500) although assigned to S2; u4: 800 m > 500.
    assert d["station_within_radius"].tolist() == [True, True, False, False, False, False, False]
    assert d["covered"].tolist() == [False, True, False, False, False, False, False]
    none = nearest_station_columns(_UNITS, _inst(), np.array([], dtype=np.int64))
    assert none["nearest_station_id"].isna().all() and np.isinf(none["nearest_station_m"]).all()


def test_village_kpis_by_hand():
    k = village_kpis(_demand_with_columns())
    assert k == {
        "units": 7,
        "covered": 2,
        "share": pytest.approx(2 / 7),
        "uncovered": 5,
        "community_units": 2,
        "community_covered": 1,
        "community_share": 0.5,
        "village_units": 5,
        "village_covered": 1,
        "village_share": 0.2,
        "min_county_share": 0.0,  # 乙县: none of three
    }
    empty = village_kpis(_demand_with_columns().iloc[:0])
    assert empty["share"] is None and empty["min_county_share"] is None


def test_area_kpis_carry_village_counts_per_county_and_township():
    d = _demand_with_columns()
    sites = pd.DataFrame({"site_id": ["S1", "S2"], "tier": ["station"] * 2,
                          "county_code": ["A", "B"], "township_code": ["A1", "B1"]})  # fmt: skip
    county = area_kpis(d, sites, "county_code").set_index("county_code")
    assert set(AREA_COLUMNS) <= set(county.columns)
    assert county.loc["A", "village_units"] == 4 and county.loc["A", "village_units_covered"] == 2
    assert county.loc["A", "village_coverage_share"] == 0.5
    assert county.loc["A", "village_coverage_share_community"] == 0.5
    assert county.loc["A", "village_coverage_share_village"] == 0.5
    assert county.loc["B", "village_coverage_share"] == 0.0
    assert np.isnan(county.loc["B", "village_coverage_share_community"])  # no 社区 there
    town = area_kpis(d, sites, "township_code").set_index("township_code")
    assert town["village_units_covered"].to_dict() == {"A1": 2, "A2": 0, "B1": 0}
    assert town.loc["A1", "village_coverage_share"] == 1.0


def test_uncovered_villages_list_nearest_station_and_distance():
    d = _demand_with_columns()
    sites = gpd.GeoDataFrame(
        {"site_id": ["S1", "S2", "C1"], "name": ["一号站", "=二号站", "中心"],
         "tier": ["station", "station", "sorting_centre"]},
        geometry=shapely.points([120.0, 120.1, 120.2], [28.0] * 3), crs=4326,
    )  # fmt: skip
    region = SimpleNamespace(
        townships=pd.DataFrame({"code": ["A1", "A2", "B1"], "name": ["甲一镇", "甲二镇", "乙镇"]}),
        counties=pd.DataFrame({"code": ["A", "B"], "name": ["甲县", "乙县"]}),
    )
    table = uncovered_villages(d, sites, region)
    assert table["code"].tolist() == ["u3", "u4", "u5", "u6", "u7"]
    assert table["station_id"].tolist() == ["S1", "S1", "S2", "S2", "S2"]
    assert table["station_name"].tolist() == ["一号站", "一号站", "=二号站", "=二号站", "=二号站"]
    assert table["distance_m"].tolist() == [2800.0, 800.0, 4000.0, 4500.0, 8000.0]
    assert table["township"].tolist() == ["甲二镇", "甲二镇", "乙镇", "乙镇", "乙镇"]
    assert table["county"].tolist() == ["甲县", "甲县", "乙县", "乙县", "乙县"]
    assert table["kind"].tolist() == ["village", "community", "village", "village", "village"]
    assert table["lon"].tolist() == [120.02, 120.03, 120.04, 120.05, 120.06]
    # A plan written before the village columns: the assigned station stands in.
    old = d.drop(columns=["nearest_station_id", "nearest_station_m", "station_within_radius"])
    old_table = uncovered_villages(old, sites)
    assert "u1" in old_table["code"].tolist() and "county" not in old_table


# --------------------------------------------------------------------------- pipeline


@pytest.fixture(scope="module")
def jinjiang_plans():
    from planner.run import run_plan
    from planner.scenario import default_scenario

    base = default_scenario("jinjiang").with_changes(**{"stations.count": 130})
    ruled = base.with_changes(**{"stations.min_village_share": 0.9})
    return run_plan("jinjiang", base), run_plan("jinjiang", ruled)


def test_station_rules_build_one_cover_rule_per_county():
    from planner.instance.build import build_instance, instance_key
    from planner.run.rules import station_rules
    from planner.scenario import default_scenario

    sc = default_scenario("jinjiang").with_changes(**{"stations.min_village_share": 0.7})
    inst = build_instance("jinjiang", sc)
    (rule,) = station_rules(inst).cover_rules
    n = len(inst.demand)
    assert rule.name == "晋江市" and rule.kind == "county" and rule.n_units == n == 405
    assert rule.min_covered == math.ceil(0.7 * 405) == 284
    expected = straight_cover_matrix(
        inst.demand[["x", "y"]].to_numpy(),
        inst.demand["radius_m"].to_numpy(),
        inst.stations[["x", "y"]].to_numpy(),
        sc.circuity,
    )
    assert (rule.cover != expected).nnz == 0
    off = dataclasses.replace(inst, scenario=default_scenario("jinjiang"))
    assert station_rules(off).cover_rules == ()
    # The share is read by the solvers only: runs differing in it share an instance.
    assert instance_key(sc) == instance_key(default_scenario("jinjiang"))


def test_jinjiang_plan_covers_ninety_percent_of_villages_in_every_county(jinjiang_plans, tmp_path):
    base, ruled = jinjiang_plans
    assert ruled.status == "optimal" and ruled.result("station").status == "optimal"
    v = ruled.kpis["villages"]
    assert v["units"] == 405 and v["covered"] >= math.ceil(0.9 * 405)
    assert v["min_county_share"] >= 0.9 and v["share"] >= 0.9
    assert (ruled.county_kpis["village_coverage_share"] >= 0.9).all()
    # Without the rule the same 130 stations leave more villages out, at a lower cost.
    assert base.kpis["villages"]["covered"] < math.ceil(0.9 * 405)
    assert ruled.result("station").objective >= base.result("station").objective
    # Checked again from the coordinates, independently of the plan's own columns.
    from planner.instance.build import build_instance

    inst = build_instance("jinjiang", ruled.scenario)
    cover = straight_cover_matrix(
        inst.demand[["x", "y"]].to_numpy(),
        inst.demand["radius_m"].to_numpy(),
        inst.stations[["x", "y"]].to_numpy(),
        ruled.scenario.circuity,
    ).toarray()
    opened = inst.stations["site_id"].isin(ruled.stations["site_id"]).to_numpy()
    covered = cover[:, opened].any(axis=1)
    assert int(covered.sum()) == v["covered"]
    assert covered.tolist() == ruled.demand["station_within_radius"].tolist()
    # The uncovered list is written with the plan, one row per village left out.
    ruled.write(tmp_path)
    listed = pd.read_csv(tmp_path / "uncovered_villages.csv", encoding="utf-8-sig", dtype=str)
    assert len(listed) == v["uncovered"] == 405 - v["covered"]
    assert listed["station_id"].notna().all()
    assert (listed["distance_m"].astype(float) > listed["radius_m"].astype(float)).all()


def test_jinjiang_plan_without_the_rule_is_repaired_into_a_start_with_it(jinjiang_plans):
    from planner.instance.build import build_instance
    from planner.run.rules import station_rules

    base, ruled = jinjiang_plans
    inst = build_instance("jinjiang", ruled.scenario)
    rules = station_rules(inst)
    w = inst.demand["population"].to_numpy(dtype=float)
    model = PMedian.from_points(
        inst.demand[["x", "y"]].to_numpy(), inst.stations[["x", "y"]].to_numpy(), 130, w,
        rules=rules, circuity=ruled.scenario.circuity,
    )  # fmt: skip
    sites = np.flatnonzero(inst.stations["site_id"].isin(base.stations["site_id"]).to_numpy())
    assert not rules_hold(sites, rules, len(inst.stations), 130)
    start = adapt_sites(model.cost, w, sites, 130, rules)
    assert start is not None and rules_hold(start, rules, len(inst.stations), 130)
    assert rules.cover_rules[0].covered(np.isin(np.arange(len(inst.stations)), start)) >= 365


@pytest.mark.usefixtures("planner_home")
def test_village_rule_follows_road_distances_in_network_mode(tmp_path):
    from test_pipeline_network import river_region, scenario, write_roads

    from planner.run import run_plan
    from planner.scenario import StationTier

    roads = write_roads(tmp_path / "river.geojson")
    tier = StationTier(count=1, one_per_township=False, min_village_share=1.0)
    # Straight line, N1 is 143 m from S2; along the roads 2.1 km (over the bridge),
    # beyond the 2 km radius: one station cannot reach all three villages.
    straight = run_plan(river_region(), scenario("straight", stations=tier))
    assert straight.status == "optimal" and straight.kpis["villages"]["share"] == 1.0
    network = run_plan(river_region(), scenario("network", stations=tier), network=roads)
    assert network.result("station").status == "infeasible"
    (diag,) = [d for d in network.result("station").diagnoses if "cover" in d["key"]]
    assert diag["key"] == "solve.elastic_cover_min" and "1 short" in diag["en"]
    two = StationTier(count=2, one_per_township=False, min_village_share=1.0)
    network = run_plan(river_region(), scenario("network", stations=two), network=roads)
    assert network.status == "optimal" and network.kpis["villages"]["covered"] == 3
