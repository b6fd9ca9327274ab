"""Planning on top of the existing network (issue 15): compliance actions, count modes,
budgets in yuan, costs — checked against brute force on a small made-up region.

The region 试城 is built here in UTM 50N: two counties side by side, two towns each,
three village strips per town (12 demand points). Four existing stations and one
existing sorting-centre yard sit in it with attributes chosen so that each action
(keep, upgrade, close) appears.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner.data.regions import Region
from planner.i18n import PlannerError
from planner.instance.build import build_instance
from planner.instance.compliance import classify_sites
from planner.run import run_plan
from planner.scenario import CentreTier, Costs, ExistingNetwork, Scenario, StationTier

pytestmark = pytest.mark.usefixtures("planner_home")

UTM = "EPSG:32650"
X0, Y0 = 640_000.0, 2_730_000.0
POPULATION = [900, 400, 1500, 700, 300, 1200, 800, 1100, 500, 1000, 600, 1300]


def _box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _wgs(geoms) -> gpd.GeoSeries:
    return gpd.GeoSeries(geoms, crs=UTM).to_crs(4326)


def make_region() -> Region:
    """试城: counties 350901 (west) and 350902 (east), 6 × 6 km each."""
    counties = gpd.GeoDataFrame(
        {"code": ["350901", "350902"], "name": ["西县", "东县"], "population": [0, 0],
         "urban_share": [0.0, 0.0], "household_size": [2.5, 2.5], "households": [0, 0]},
        geometry=_wgs([_box(0, 0, 6000, 6000), _box(6000, 0, 12000, 6000)]).to_numpy(),
        crs=4326,
    )  # fmt: skip
    towns, comms = [], []
    for c, county in enumerate(("350901", "350902")):
        for t in range(2):
            code = f"{county}{t + 1:03d}"
            x0, y0 = c * 6000, t * 3000
            towns.append((code, f"镇{c}{t}", county, _box(x0, y0, x0 + 6000, y0 + 3000),
                          X0 + x0 + 3000, Y0 + y0 + 1500))  # fmt: skip
            for v in range(3):
                k = len(comms)
                cell = _box(x0 + v * 2000, y0, x0 + (v + 1) * 2000, y0 + 3000)
                px, py = X0 + x0 + v * 2000 + 1000, Y0 + y0 + 1500
                comms.append((f"{code}{v + 1:03d}", f"村{k}", code, county, cell, px, py,
                              POPULATION[k]))  # fmt: skip
    seats = _wgs([shapely.Point(t[4], t[5]) for t in towns])
    townships = gpd.GeoDataFrame(
        {"code": [t[0] for t in towns], "name": [t[1] for t in towns],
         "county_code": [t[2] for t in towns], "kind": "town",
         "seat_lon": seats.x.to_numpy(), "seat_lat": seats.y.to_numpy(),
         "population": 0, "households": 0},
        geometry=_wgs([t[3] for t in towns]).to_numpy(), crs=4326,
    )  # fmt: skip
    points = _wgs([shapely.Point(c[5], c[6]) for c in comms])
    communities = gpd.GeoDataFrame(
        {"code": [c[0] for c in comms], "name": [c[1] for c in comms],
         "township_code": [c[2] for c in comms], "county_code": [c[3] for c in comms],
         "kind": "village", "point_lon": points.x.to_numpy(), "point_lat": points.y.to_numpy(),
         "population": [c[7] for c in comms], "households": [c[7] // 2.5 for c in comms]},
        geometry=_wgs([c[4] for c in comms]).to_numpy(), crs=4326,
    )  # fmt: skip
    meta = {"metric_crs": UTM, "name_zh": "试城", "name_en": "Testville"}
    return Region(id="testville", meta=meta, counties=counties, townships=townships,
                  communities=communities, sites=inventory())  # fmt: skip


def inventory() -> gpd.GeoDataFrame:
    """E1 compliant, E2 too small (upgrade), E3 unlicensed and E4 out of use (close),
    Y1 a yard that failed its fire-safety inspection (close)."""
    rows = [
        ("E1", "station", 400, 600, 30.0, "yes", "pass", "yes", "yes"),
        ("E2", "station", 8500, 2200, 6.0, "yes", "pass", "yes", "yes"),
        ("E3", "station", 3100, 4400, 40.0, "no", "pass", "yes", "yes"),
        ("E4", "station", 11000, 5000, 25.0, "yes", "unknown", "no", "no"),
        ("Y1", "sorting_centre", 5000, 1400, 900.0, "yes", "fail", "yes", "yes"),
    ]
    return gpd.GeoDataFrame(
        {"site_id": [r[0] for r in rows], "tier": [r[1] for r in rows],
         "status": "existing_keep", "name": [f"现有{r[0]}" for r in rows],
         "floor_area_m2": [r[4] for r in rows], "licence": [r[5] for r in rows],
         "fire_safety": [r[6] for r in rows], "in_use": [r[7] for r in rows],
         "standardised": [r[8] for r in rows]},
        geometry=_wgs([shapely.Point(X0 + r[2], Y0 + r[3]) for r in rows]).to_numpy(),
        crs=4326,
    )  # fmt: skip


def scenario(**changes) -> Scenario:
    base = Scenario(
        name="试城",
        region="testville",
        stations=StationTier(count=5, one_per_township=False),
        centres=CentreTier(count=1, capacity_t_per_day=100.0, one_per_county=False),
        existing=ExistingNetwork(standard="sbt10719"),
    )
    return base.with_changes(**changes) if changes else base


def brute_force(inst, p: int, allowed_new=lambda chosen: True) -> float:
    """Least population-weighted distance over every station set the rules allow."""
    cand = inst.stations
    d = inst.demand
    dist = (
        np.hypot(
            d["x"].to_numpy()[:, None] - cand["x"].to_numpy()[None, :],
            d["y"].to_numpy()[:, None] - cand["y"].to_numpy()[None, :],
        )
        * inst.scenario.circuity
    )
    # plus the walk inside each community: 2/3 sqrt(A / pi) of its polygon's area
    area = inst.region.communities.to_crs(inst.region.metric_crs).area.to_numpy()
    dist = np.hypot(dist, (2 / 3 * np.sqrt(area / np.pi))[:, None])
    w = d["population"].to_numpy(dtype=float)
    action = cand["action"].to_numpy()
    required = set(np.flatnonzero(np.isin(action, ("keep", "upgrade"))))
    free = [j for j in range(len(cand)) if action[j] == "new"]
    best = np.inf
    for extra in itertools.combinations(free, p - len(required)):
        chosen = sorted(required | set(extra))
        if not allowed_new(extra):
            continue
        best = min(best, float((w * dist[:, chosen].min(axis=1)).sum()))
    return best


def objective(plan) -> float:
    d = plan.demand
    return float((d["population"] * d["distance_m"]).sum())


def test_compliance_classifies_each_site_with_its_reasons():
    found = classify_sites(inventory(), ExistingNetwork(standard="sbt10719"))
    assert found["action"].tolist() == ["keep", "upgrade", "close", "close", "close"]
    assert found["reasons"].tolist() == [
        "",
        "floor_area_below",
        "no_licence",
        "not_in_use;not_standardised;fire_safety_unknown",
        "fire_safety_failed",  # no centre floor area in SB/T 10719: not checked
    ]
    # SB/T 10719's 10 m² for stations; no figure for centres
    assert found["min_floor_area_m2"].iloc[1] == 10.0 and np.isnan(
        found["min_floor_area_m2"].iloc[4]
    )


def test_jinjiang_standard_gives_no_floor_area_until_the_planner_sets_one():
    sites = inventory()
    plain = classify_sites(sites, ExistingNetwork(standard="jinjiang2024"))
    assert plain["action"].iloc[1] == "keep"  # 6 m², but the policy gives no minimum
    own = classify_sites(
        sites, ExistingNetwork(standard="jinjiang2024", station_min_floor_area_m2=8.0)
    )
    assert own["action"].iloc[1] == "upgrade" and own["min_floor_area_m2"].iloc[1] == 8.0


def test_override_needs_a_reason_and_wins():
    with pytest.raises(PlannerError) as err:
        scenario(**{"existing.actions": {"E3": "keep"}})
    assert "E3" in err.value.message("en") and "reason" in err.value.message("en")
    found = classify_sites(
        inventory(),
        ExistingNetwork(
            actions={"E3": "keep", "E1": "close"}, reasons={"E3": "已补办执照", "E1": "租约到期"}
        ),
    )
    assert found["action"].tolist()[:3] == ["close", "upgrade", "keep"]
    assert found["reasons"].iloc[2] == "no_licence;override"


def test_kept_and_upgraded_sites_open_closed_never_used_optimum_by_brute_force():
    region = make_region()
    sc = scenario()
    plan = run_plan(region, sc)
    assert plan.status == "optimal"
    stations = plan.stations.set_index("site_id")
    assert stations.loc["E1", "action"] == "keep" and stations.loc["E2", "action"] == "upgrade"
    assert len(plan.stations) == 5  # total network: 2 existing + 3 new
    closed = plan.closed.set_index("site_id")
    assert sorted(closed.index) == ["E3", "E4", "Y1"]
    assert closed.loc["E3", "reasons"] == "no_licence"
    assert not set(plan.demand["station_id"]) & {"E3", "E4"}
    assert (closed["served_population"] == 0).all()
    assert "Y1" not in set(plan.stations["centre_id"])
    inst = build_instance(region, sc)
    assert objective(plan) == pytest.approx(brute_force(inst, 5), rel=1e-6)
    assert plan.kpis["actions"]["station"] == {"new": 3, "upgrade": 1, "keep": 1, "close": 2}
    assert plan.kpis["actions"]["sorting_centre"] == {"new": 1, "upgrade": 0, "keep": 0, "close": 1}
    assert plan.kpis["actions"]["new_or_rebuilt"] == {"station": 4, "sorting_centre": 1}


def test_new_or_rebuilt_counting_puts_kept_sites_on_top():
    region = make_region()
    plan = run_plan(region, scenario(**{"existing.count_mode": "new_or_rebuilt"}))
    acts = plan.kpis["actions"]["station"]
    assert acts["new"] + acts["upgrade"] == 5  # 新改扩建 = the stated 5
    assert len(plan.stations) == 6  # plus the one kept as it is
    inst = build_instance(region, scenario())
    assert objective(plan) == pytest.approx(brute_force(inst, 6), rel=1e-6)


def test_costs_are_priced_per_action_and_county():
    region = make_region()
    costs = Costs(
        station_new_yuan=50_000, station_upgrade_yuan=20_000, station_closure_yuan=3_000,
        centre_new_yuan=1_000_000, centre_closure_yuan=100_000,
        station_operation_yuan_per_year=10_000, centre_operation_yuan_per_year=200_000,
    )  # fmt: skip
    plan = run_plan(region, replace(scenario(), costs=costs))
    k = plan.kpis["costs"]
    assert k["new_yuan"] == 3 * 50_000 + 1_000_000
    assert k["upgrade_yuan"] == 20_000
    assert k["closure_yuan"] == 2 * 3_000 + 100_000
    assert k["one_off_yuan"] == k["new_yuan"] + k["upgrade_yuan"] + k["closure_yuan"]
    assert k["operation_yuan_per_year"] == 5 * 10_000 + 200_000
    assert k["unit_costs"]["assumed"] is False
    total = sum(v["one_off_yuan"] for v in k["by_county"].values())
    assert total == k["one_off_yuan"]
    by_site = plan.sites.set_index("site_id")["cost_yuan"]
    assert by_site["E2"] == 20_000 and by_site["E1"] == 0 and by_site["E3"] == 3_000


def test_county_budget_holds_and_the_plan_is_the_best_within_it():
    region = make_region()
    # west county: money for one new station only (its upgrade E2 is in the east)
    costs = Costs(centre_new_yuan=0.0, county_budget_yuan={"350901": 60_000.0})
    sc = replace(scenario(), costs=costs)
    plan = run_plan(region, sc)
    new_west = plan.stations[(plan.stations["action"] == "new")
                             & (plan.stations["county_code"] == "350901")]  # fmt: skip
    assert len(new_west) <= 1
    assert plan.kpis["costs"]["by_county"]["350901"]["one_off_yuan"] <= 60_000
    inst = build_instance(region, sc)
    west = set(np.flatnonzero(inst.stations["county_code"].to_numpy() == "350901"))
    best = brute_force(inst, 5, lambda extra: len(west & set(extra)) <= 1)
    assert objective(plan) == pytest.approx(best, rel=1e-6)
    unconstrained = run_plan(region, scenario())
    assert objective(plan) > objective(unconstrained)  # the budget binds


def test_city_budget_below_the_cheapest_plan_names_the_shortfall_in_yuan():
    region = make_region()
    # 3 new stations (150,000) + the upgrade (20,000) + one new centre (5,000,000)
    sc = replace(scenario(), costs=Costs(budget_yuan=5_100_000.0))
    with pytest.raises(PlannerError) as err:
        run_plan(region, sc)
    text = err.value.message("en")
    assert "5,170,000" in text and "70,000" in text, text
    zh = err.value.message("zh")
    assert "还差 70,000 元" in zh, zh


def test_county_budget_short_names_the_county():
    region = make_region()
    sc = replace(scenario(), costs=Costs(county_budget_yuan={"350902": 10_000.0}))
    with pytest.raises(PlannerError) as err:
        run_plan(region, sc)  # east county must pay E2's upgrade, 20,000
    text = err.value.message("en")
    assert "东县" in text and "10,000" in text, text


def test_plan_files_carry_actions_and_costs(tmp_path):
    from planner.plan import Plan

    plan = run_plan(make_region(), scenario())
    plan.write(tmp_path / "p")
    again = Plan.read(tmp_path / "p")
    assert sorted(again.closed["site_id"]) == ["E3", "E4", "Y1"]
    assert len(again.stations) == 5
    assert again.kpis["actions"]["station"]["close"] == 2
    table = (tmp_path / "p" / "sites.csv").read_text(encoding="utf-8-sig")
    assert "action" in table.splitlines()[0] and "close" in table


@pytest.mark.parametrize(
    "changes",
    [
        {"stations.objective": "mclp"},
        {"stations.objective": "set_cover", "stations.count": None},
        {"stations.use_capacity": True, "stations.count": None,
         "stations.capacity_standard": "zhejiang2019"},
    ],
    ids=["mclp", "set_cover", "capacity"],
)  # fmt: skip
def test_every_station_model_keeps_the_kept_and_never_uses_the_closed(changes):
    plan = run_plan(make_region(), scenario(**changes))
    assert plan.status == "optimal"
    open_ids = set(plan.stations["site_id"])
    assert {"E1", "E2"} <= open_ids
    assert not {"E3", "E4"} & (open_ids | set(plan.demand["station_id"].dropna()))
    acts = plan.kpis["actions"]["station"]
    assert (acts["upgrade"], acts["keep"], acts["close"]) == (1, 1, 2)
    assert acts["new"] == len(plan.stations) - 2
