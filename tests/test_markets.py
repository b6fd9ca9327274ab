"""The market tier (集散交易市场): scenario section, model against brute force, the run,
the plan files and the default plan left as it was (issue 16, item 1)."""

from __future__ import annotations

import itertools
import json
import math
import tomllib
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import yaml

from planner.cli import main
from planner.data.regions import load_region
from planner.i18n import PlannerError
from planner.plan import Plan
from planner.plan.markets import county_coverage
from planner.run import run_plan
from planner.run.markets import market_shortfall, solve_markets
from planner.scenario import MarketTier, Scenario, default_scenario
from planner.scenario.checks import region_problems
from planner.scenario.markets import estimated_tonnage

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "jinjiang_markets.yaml"


# --- scenario ---------------------------------------------------------------------------------


def test_market_section_round_trips_in_json_yaml_and_toml(tmp_path):
    sc = Scenario().with_changes(
        **{
            "markets.count": 2,
            "markets.capacity_t_per_day": 400.0,
            "markets.one_per_county": True,
            "markets.county_min": {"350582": 1},
            "markets.required_sites": ["t350582001"],
        }
    )
    assert sc.markets == MarketTier(2, 400.0, 0.0, True, {"350582": 1}, {}, ("t350582001",), ())
    assert Scenario.load(sc.save(tmp_path / "s.json")) == sc
    assert Scenario.load(sc.save(tmp_path / "s.yaml")) == sc
    toml = tmp_path / "s.toml"
    toml.write_text(
        'name = "x"\n[markets]\ncount = 2\ncapacity_t_per_day = 400.0\none_per_county = true\n'
        'required_sites = ["t350582001"]\n[markets.county_min]\n"350582" = 1\n',
        encoding="utf-8",
    )
    loaded = Scenario.load(toml)
    assert loaded.markets == sc.markets
    assert tomllib.loads(toml.read_text(encoding="utf-8"))["markets"]["count"] == 2


def test_default_scenario_writes_no_market_section():
    data = Scenario().to_dict()
    assert "markets" not in data
    assert Scenario.from_dict(data).markets == MarketTier()
    assert "markets" in Scenario().with_changes(**{"markets.count": 1}).to_dict()


@pytest.mark.parametrize(
    ("changes", "key", "words"),
    [
        ({"markets.count": 3, "centres.count": 2}, "scenario.markets.over_centres", "多 1 个"),
        ({"markets.count": 1, "markets.county_min": {"a": 1, "b": 1}},
         "scenario.markets.county_sum", "多 1 个"),
        ({"markets.county_min": {"a": 1}}, "scenario.markets.county_sum", "超过全市市场数 0"),
        ({"markets.count": 1, "markets.county_min": {"a": 2}, "markets.county_max": {"a": 1}},
         "scenario.markets.min_above_max", "下限 2 大于上限 1"),
        ({"markets.count": -1}, "scenario.non_negative", "markets.count"),
        ({"markets.capacity_t_per_day": 0}, "scenario.positive", "markets.capacity_t_per_day"),
        ({"markets.fixed_cost": -5}, "scenario.non_negative", "markets.fixed_cost"),
    ],
)  # fmt: skip
def test_market_values_are_checked_with_their_own_words(changes, key, words):
    with pytest.raises(PlannerError) as err:
        Scenario().with_changes(**changes)
    keys = [d.key for d in err.value.details]
    assert key in keys, keys
    assert words in err.value.message("zh")


def test_market_types_are_strict():
    with pytest.raises(PlannerError) as err:
        Scenario.from_dict({"markets": {"count": "1", "one_per_county": "true"}})
    fields = {d.params.get("field") for d in err.value.details}
    assert {"markets.count", "markets.one_per_county"} <= fields


def test_region_check_names_the_capacity_shortfall():
    region = load_region("jinjiang")
    sc = default_scenario("jinjiang").with_changes(
        **{"markets.count": 1, "markets.capacity_t_per_day": 100.0}
    )
    need = estimated_tonnage(region, sc.to_dict()["generation"])
    # independent recomputation from the demand points of a run
    from planner.instance.demand import demand_points

    assert need == pytest.approx(demand_points(region, sc)["tonnage_t_per_day"].sum())
    found = [p for p in region_problems(region, sc) if p.key == "scenario.markets.capacity_short"]
    assert len(found) == 1
    assert found[0].severity == "warning"
    assert f"{need - 100:,.1f}" in found[0].message("en")
    ok = sc.with_changes(**{"markets.capacity_t_per_day": math.ceil(need) + 1.0})
    assert not [p for p in region_problems(region, ok) if p.key.startswith("scenario.markets")]


def test_region_check_one_market_per_county_needs_as_many_markets():
    region = load_region("wenzhou")
    sc = default_scenario("wenzhou").with_changes(
        **{"markets.count": 5, "markets.one_per_county": True}
    )
    found = [p for p in region_problems(region, sc) if p.key == "scenario.markets.county_rule"]
    assert len(found) == 1
    assert found[0].params == {"needed": 12, "count": 5, "over": 7}


# --- the model against brute force ---------------------------------------------------------


def _instance(counties: list[str], one_per_county: bool, count: int, capacity: float, fixed=0.0):
    """The little of an Instance that the market model reads."""
    scenario = Scenario().with_changes(
        **{
            "markets.count": count,
            "markets.capacity_t_per_day": capacity,
            "markets.fixed_cost": fixed,
            "markets.one_per_county": one_per_county,
            "centres.count": max(count, 2),
        }
    )
    codes = sorted(set(counties))
    region = SimpleNamespace(counties=pd.DataFrame({"code": codes, "name": codes}))
    return SimpleNamespace(scenario=scenario, region=region, network=None)


def _brute_force(cxy, load, mxy, counties, count, capacity, one_per_county, circuity, fixed):
    """Best objective over every market set and every single-sourced assignment."""
    dist = np.hypot(*(cxy[:, None, :] - mxy[None, :, :]).transpose(2, 0, 1)) * circuity
    best = math.inf
    for opened in itertools.combinations(range(len(mxy)), count):
        if one_per_county and set(counties) - {counties[j] for j in opened}:
            continue
        for assign in itertools.product(opened, repeat=len(cxy)):
            used = np.zeros(len(mxy))
            np.add.at(used, list(assign), load)
            if (used > capacity + 1e-9).any():
                continue
            cost = sum(load[i] * dist[i, j] for i, j in enumerate(assign)) * 1e-3
            best = min(best, cost + fixed * count)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_market_model_is_optimal_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    n_centres, n_cand = 6, 5
    cxy = rng.uniform(0, 20_000, (n_centres, 2))
    mxy = rng.uniform(0, 20_000, (n_cand, 2))
    load = rng.uniform(20, 120, n_centres).round(1)
    counties = ["a", "a", "b", "b", "b"] if seed % 2 else ["a"] * n_cand
    count = 2
    # capacity binds: the two markets must share the tonnage roughly evenly
    capacity = float(np.ceil(load.sum() * (0.55 + 0.05 * (seed % 3))))
    fixed = 0.0 if seed < 3 else 50.0
    inst = _instance(counties, seed % 2 == 1, count, capacity, fixed)
    cand = pd.DataFrame(
        {"site_id": [f"t{j}" for j in range(n_cand)], "county_code": counties,
         "x": mxy[:, 0], "y": mxy[:, 1]}
    )  # fmt: skip
    sol, dist = solve_markets(inst, cxy, load, cand)
    assert dist is None
    expected = _brute_force(cxy, load, mxy, counties, count, capacity, seed % 2 == 1, 1.3, fixed)
    assert sol.result.status == "optimal"
    assert sol.objective == pytest.approx(expected, rel=1e-6)
    # the plan itself: single-sourced, within capacity, and its cost is its objective
    assign = np.asarray(sol.assignment)
    assert set(assign) <= set(sol.centres) and len(sol.centres) == count
    for j in sol.centres:
        assert load[assign == j].sum() <= capacity + 1e-9
    d = np.hypot(*(cxy - mxy[assign]).T) * 1.3
    assert (load * d).sum() * 1e-3 + fixed * count == pytest.approx(sol.objective, rel=1e-6)


def test_shortfall_is_said_in_tonnes():
    load = np.array([120.0, 80.0, 50.0])
    notes = market_shortfall(load, 2, 100.0)
    assert [n["key"] for n in notes] == ["markets.capacity_short", "markets.centre_too_big"]
    assert "short by 50.0 t/day" in notes[0]["en"]
    assert "缺口 50.0 吨/日" in notes[0]["zh"]
    assert "largest 120.0 t/day > 100.0 t/day" in notes[1]["en"]
    assert market_shortfall(load, 3, 120.0) == []


# --- the run ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jj_plan() -> Plan:
    return run_plan("jinjiang", Scenario.load(EXAMPLE))


def test_three_tier_plan_assigns_centres_to_the_best_market(jj_plan):
    plan = jj_plan
    assert [r.tier for r in plan.results] == ["station", "sorting_centre", "market"]
    market_result = plan.result("market")
    assert market_result.status == "optimal"
    assert len(plan.markets) == 1
    market = plan.markets.iloc[0]
    centres = plan.centres
    assert (centres["market_id"] == market["site_id"]).all()
    # brute force: the best single market among the candidates for these centres
    inst_cands = plan.sites  # candidates are township seats: the market's candidate id
    assert market["candidate_id"].startswith("t")
    region = load_region("jinjiang")
    from planner.instance.candidates import centre_candidates

    cand = centre_candidates(region).to_crs(region.metric_crs)
    cxy = np.c_[
        centres.to_crs(region.metric_crs).geometry.x, centres.to_crs(region.metric_crs).geometry.y
    ]
    mxy = np.c_[cand.geometry.x, cand.geometry.y]
    load = centres["load_t_per_day"].to_numpy(dtype=float)
    costs = [(load * np.hypot(*(cxy - p).T) * 1.3).sum() * 1e-3 for p in mxy]
    best = cand["site_id"].astype(str).to_numpy()[int(np.argmin(costs))]
    assert market["candidate_id"] == best
    assert market_result.objective == pytest.approx(min(costs), rel=1e-6)
    assert market["load_t_per_day"] == pytest.approx(load.sum())
    assert inst_cands["site_id"].is_unique
    links = plan.market_links
    assert len(links) == len(centres)
    assert links["distance_m"].to_numpy() == pytest.approx(
        centres["distance_to_market_m"].to_numpy()
    )


def test_three_tier_kpis_and_county_verdict(jj_plan):
    k = jj_plan.kpis
    m = k["markets"]
    assert m["count"] == 1
    assert m["throughput_t_per_day"] == pytest.approx(jj_plan.centres["load_t_per_day"].sum())
    assert m["utilisation"] == pytest.approx(m["throughput_t_per_day"] / 1000.0)
    d = jj_plan.centres["distance_to_market_m"].to_numpy(dtype=float)
    assert m["mean_centre_distance_m"] == pytest.approx(d.mean())
    assert m["max_centre_distance_m"] == pytest.approx(d.max())
    assert m["counties_with_market"] == 1
    cov = k["county_coverage"]
    assert cov == {
        "complete": True, "counties": 1, "short": 0,
        "by_county": {"350582": {"station": True, "sorting_centre": True, "market": True,
                                 "short_tier": None}},
    }  # fmt: skip
    kinds = set(jj_plan.sites["kind"])
    assert kinds == {"recycling_station", "sorting_centre", "market"}
    assert jj_plan.markets["cost_yuan"].isna().all()


def test_county_verdict_names_the_tier_that_falls_short():
    sites = pd.DataFrame(
        {
            "site_id": ["s1", "s2", "s3", "c1", "c2", "mc1"],
            "tier": ["station", "station", "station", "sorting_centre", "sorting_centre", "market"],
            "county_code": ["A", "B", "B", "A", "B", "A"],
            "centre_id": ["c1", "c2", None, None, None, None],
            "market_id": [None, None, None, "mc1", None, None],
        }
    )
    cov = county_coverage(sites, ["A", "B", "C", "D"])
    short = {code: v["short_tier"] for code, v in cov["by_county"].items()}
    # B: s3 delivers to no centre; C, D: no station at all
    assert short == {"A": None, "B": "sorting_centre", "C": "station", "D": "station"}
    sites.loc[2, "centre_id"] = "c2"
    cov = county_coverage(sites, ["A", "B"])
    assert cov["by_county"]["B"]["short_tier"] == "market"  # c2 delivers to no market
    assert (cov["complete"], cov["short"]) == (False, 1)


def test_too_little_market_capacity_is_explained_with_the_shortfall():
    sc = Scenario.load(EXAMPLE).with_changes(**{"markets.capacity_t_per_day": 50.0})
    plan = run_plan("jinjiang", sc)
    r = plan.result("market")
    assert r.status == "infeasible"
    total = plan.centres["load_t_per_day"].sum()
    assert total > 50
    keys = [d["key"] for d in r.diagnoses]
    assert keys[0] == "markets.capacity_short"
    assert f"short by {total - 50:,.1f} t/day" in r.diagnoses[0]["en"]
    assert f"{total:,.1f}" in r.diagnoses[0]["zh"]
    assert plan.markets.empty
    assert plan.centres["market_id"].isna().all()
    assert plan.kpis["county_coverage"]["by_county"]["350582"]["short_tier"] == "market"
    # the other tiers keep their plans
    assert plan.result("station").has_plan and plan.result("sorting_centre").has_plan


def test_unknown_market_site_is_refused_before_solving():
    sc = Scenario.load(EXAMPLE).with_changes(**{"markets.required_sites": ["nowhere"]})
    with pytest.raises(PlannerError) as err:
        run_plan("jinjiang", sc)
    assert "markets.required_sites" in err.value.message("en")


def test_default_plan_has_no_market_tier_and_no_new_indicators(jj_plan, tmp_path):
    plan = run_plan("jinjiang", default_scenario("jinjiang"))
    assert [r.tier for r in plan.results] == ["station", "sorting_centre"]
    assert plan.markets.empty and plan.market_links is None
    assert "market_id" not in plan.sites and "kind" not in plan.sites
    assert set(jj_plan.kpis) - set(plan.kpis) == {"markets", "county_coverage"}
    assert set(plan.kpis) <= set(jj_plan.kpis)
    folder = plan.write(tmp_path / "default")
    layers = set(pyogrio.list_layers(folder / "plan.gpkg")[:, 0])
    assert layers == {"sites", "demand", "links"}
    meta = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    assert "markets" not in meta["scenario"] and "markets" not in meta["kpis"]
    # the same stations and centres as with a market tier on top
    assert set(plan.stations["site_id"]) == set(jj_plan.stations["site_id"])
    assert set(plan.centres["site_id"]) == set(jj_plan.centres["site_id"])


def test_plan_with_markets_writes_and_reads_back(jj_plan, tmp_path):
    folder = jj_plan.write(tmp_path / "p")
    back = Plan.read(folder)
    assert len(back.markets) == 1
    assert back.markets.iloc[0]["site_id"] == jj_plan.markets.iloc[0]["site_id"]
    assert list(back.market_links["market_id"]) == list(jj_plan.market_links["market_id"])
    assert back.result("market").status == "optimal"
    assert back.scenario.markets.count == 1


@pytest.mark.usefixtures("planner_home")
def test_cli_writes_all_three_tiers(tmp_path):
    out = tmp_path / "plan"
    assert (
        main(["plan", "--region", "jinjiang", "--scenario", str(EXAMPLE), "--out", str(out)]) == 0
    )
    sites = gpd.read_file(out / "plan.gpkg", layer="sites")
    assert set(sites["tier"]) == {"station", "sorting_centre", "market"}
    assert (sites["tier"] == "market").sum() == 1
    centres = sites[sites["tier"] == "sorting_centre"]
    market_id = sites.loc[sites["tier"] == "market", "site_id"].iloc[0]
    assert (centres["market_id"] == market_id).all()
    kpis = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    assert kpis["kpis"]["markets"]["count"] == 1
    assert [r["tier"] for r in kpis["results"]] == ["station", "sorting_centre", "market"]
    assert yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["markets"]["count"] == 1


def test_model_findings_speak_of_markets():
    plan = run_plan("jinjiang", Scenario.load(EXAMPLE))
    (bound,) = plan.result("market").diagnoses
    assert bound["key"] == "markets.bound"
    assert "分拣中心与集散交易市场的配对" in bound["zh"] and "centre-market" in bound["en"]
    sc = Scenario.load(EXAMPLE).with_changes(
        **{"markets.count": 2, "markets.county_max": {"350582": 1}}
    )
    r = run_plan("jinjiang", sc).result("market")
    assert r.status == "infeasible"
    assert "最多只能设置 1 个集散交易市场，但要求设置 2 个（差 1 个）" in r.diagnoses[0]["zh"]
    assert "market" not in r.diagnoses[0]["zh"]


def test_market_tier_drives_along_the_roads(tmp_path):
    """The river town of the road tests: the north centre reaches the south market over
    the bridge, 2,010 m along the roads (110 m apart in a straight line)."""
    from dataclasses import replace

    from test_pipeline_network import river_region, scenario, write_roads

    from planner.scenario import CentreTier, StationTier

    roads = write_roads(tmp_path / "river.geojson")
    sc = replace(
        scenario("network"),
        stations=StationTier(count=3, one_per_township=False),
        centres=CentreTier(count=2, capacity_t_per_day=100.0, one_per_county=False),
        markets=MarketTier(count=1, capacity_t_per_day=100.0),
    )
    plan = run_plan(river_region(), sc, network=roads)
    assert plan.result("market").status == "optimal"
    # the south seat handles S1 and S2 (3.3 t/day), the north one N1 (0.75 t/day)
    assert plan.markets["site_id"].tolist() == ["mt330399001"]
    dist = plan.centres.set_index("site_id")["distance_to_market_m"]
    # north seat (1500, 105): 5 to the road, 500 east to the bridge at (2000, 100),
    # 100 over it, 1,400 west to (600, 0), 5 to the south seat
    assert dist["t330399002"] == pytest.approx(2010.0)
    assert dist["t330399001"] == pytest.approx(0.0)
    straight = run_plan(river_region(), replace(sc, distance_mode="straight"))
    d = straight.centres.set_index("site_id")["distance_to_market_m"]["t330399002"]
    assert d == pytest.approx(math.hypot(900, 110) * 1.3)


def test_a_market_cannot_be_required_on_a_closed_centre():
    import geopandas as gpd

    region = load_region("jinjiang")
    seat = region.townships.iloc[0]
    yard = gpd.GeoDataFrame(
        {"site_id": ["y1"], "tier": ["sorting_centre"], "status": ["existing_keep"],
         "name": ["关停的堆场"], "in_use": ["no"]},
        geometry=gpd.points_from_xy([seat["seat_lon"]], [seat["seat_lat"]]), crs=4326,
    )  # fmt: skip
    region = region.with_layer("sites", yard)
    sc = Scenario.load(EXAMPLE).with_changes(**{"markets.required_sites": ["y1"]})
    with pytest.raises(PlannerError) as err:
        run_plan(region, sc)
    assert "关停的现有分拣中心（例如 y1）" in err.value.message("zh")


def test_market_kind_reads_its_figures_from_the_scenario():
    from planner.data.kinds import load_kinds
    from planner.scenario.kinds import resolve_figure

    kind = load_kinds()["market"]
    sc = Scenario().with_changes(
        **{"markets.count": 2, "markets.capacity_t_per_day": 500.0, "markets.one_per_county": False}
    )
    assert resolve_figure(kind.capacity.value, sc) == 500.0
    assert resolve_figure(kind.counts.city, sc) == 2
    assert resolve_figure(kind.counts.per_county_min, sc) is False
    default = Scenario()
    assert resolve_figure(kind.capacity.value, default) == 1000.0
    assert resolve_figure(kind.counts.per_county_min, default) is True


@pytest.mark.parametrize(
    ("key", "params", "zh"),
    [
        ("solve.centre_lagrangian_bound", {"gap": "0.2%", "bound": 100.0},
         "每个分拣中心恰好供货给一个市场"),
        ("solve.reassigned", {"before": 12.0, "after": 10.0, "n": 3}, "3 个已选集散交易市场"),
    ],
)  # fmt: skip
def test_centre_model_findings_are_reworded_for_markets(key, params, zh):
    from planner.models import Diagnosis
    from planner.run.markets import _in_market_words

    found = _in_market_words(Diagnosis(key, params, "info"))
    assert found["key"].startswith("markets.")
    assert zh in found["zh"] and "station" not in found["en"]


def test_per_county_market_minimums_are_checked_against_the_places_a_market_may_take():
    from planner.instance.build import build_instance
    from planner.run.markets import market_candidates
    from planner.scenario.checks import region_problems
    from planner.scenario.markets import market_county_problems, market_sites_per_county

    region = load_region("wenzhou")
    seats = region.townships.groupby("county_code").size()
    county = str(seats.idxmin())
    seat = region.townships[region.townships["county_code"] == county].iloc[0]
    yards = gpd.GeoDataFrame(
        {"site_id": ["y1", "y2"], "tier": ["sorting_centre"] * 2,
         "status": ["existing_keep", "existing_close"], "name": ["堆场", "关停的堆场"],
         "county_code": [county, county], "township_code": [seat["code"]] * 2},
        geometry=gpd.points_from_xy([seat["seat_lon"]] * 2, [seat["seat_lat"]] * 2), crs=4326,
    )  # fmt: skip
    region = region.with_layer("sites", yards)
    places = market_sites_per_county(region)
    assert places[county] == int(seats[county]) + 1  # the seats and the kept yard
    # the run's market candidates per county, independently
    sc = Scenario.load(EXAMPLE).with_changes(region="wenzhou", **{"markets.count": 12})
    cand = market_candidates(build_instance(region, sc))
    assert cand["county_code"].astype(str).value_counts().to_dict() == places
    over = {"county_min": {county: places[county] + 1}, "count": 30}
    (problem,) = market_county_problems(region, over)
    assert problem.key == "scenario.markets.county_candidates" and problem.severity == "error"
    assert problem.params["over"] == 1
    assert market_county_problems(region, {"county_min": {county: places[county]}}) == []
    data = sc.with_changes(**{"markets.county_min": {county: places[county] + 1}}).to_dict()
    assert "scenario.markets.county_candidates" in {p.key for p in region_problems(region, data)}
