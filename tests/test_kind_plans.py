"""Demand by a kind's basis and standalone kinds planned end to end: POI-based demand
puts smart recycling facilities beside the points of interest, vehicles per county are
spread by population, and a dismantler's p-median respects its siting rules and is the
brute-force optimum over the candidates the rules keep."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planner.data.kinds import Coverage, DemandBasis, load_kinds
from planner.data.regions import load_region
from planner.i18n import PlannerError
from planner.instance.kind_demand import kind_demand
from planner.run.kinds import plan_kind
from planner.scenario import default_scenario


@pytest.fixture(scope="module")
def kinds():
    return load_kinds()


@pytest.fixture(scope="module")
def jinjiang():
    return load_region("jinjiang")


def _clusters(region, n_clusters=3, per_cluster=4):
    """Points of interest in tight clusters (within 60 m) at the least populated
    communities far apart, plus one school (not a smart-recycling category)."""
    comms = region.communities.sort_values("population")
    metric = comms.geometry.representative_point().to_crs(region.metric_crs)
    centres = []
    for code, point in zip(comms["code"], metric, strict=True):
        if all(point.distance(c) > 5000 for _, c in centres):
            centres.append((code, point))
        if len(centres) == n_clusters:
            break
    rows, geoms = [], []
    categories = ["shopping_district", "public_institution", "residential_compound"]
    for c, (_, centre) in enumerate(centres):
        for i in range(per_cluster):
            angle = 2 * np.pi * i / per_cluster
            geoms.append(
                shapely.Point(centre.x + 60 * np.cos(angle), centre.y + 60 * np.sin(angle))
            )
            rows.append(
                {
                    "poi_id": f"C{c}P{i}",
                    "category": categories[i % 3],
                    "name": f"兴趣点{c}-{i}",
                    "weight": 1.0,
                }
            )
    geoms.append(shapely.Point(centres[0][1].x + 3000, centres[0][1].y))
    rows.append({"poi_id": "S1", "category": "school", "name": "学校", "weight": 1.0})
    pois = gpd.GeoDataFrame(rows, geometry=geoms, crs=region.metric_crs).to_crs("EPSG:4326")
    return pois, [c for _, c in centres]


def test_poi_demand_is_the_points_of_the_kinds_categories(kinds, jinjiang):
    pois, _ = _clusters(jinjiang)
    pois.loc[pois["poi_id"] == "C0P0", "weight"] = 5.0
    region = jinjiang.with_layer("pois", pois)
    demand = kind_demand(region, kinds["smart_recycling"], default_scenario("jinjiang"))
    assert sorted(demand["demand_id"]) == sorted(f"C{c}P{i}" for c in range(3) for i in range(4))
    assert demand.set_index("demand_id").loc["C0P0", "weight"] == 5.0
    assert demand["weight"].sum() == 16.0
    assert set(demand["radius_m"]) <= {300.0, 1000.0}
    with pytest.raises(PlannerError) as err:
        kind_demand(jinjiang, kinds["smart_recycling"], default_scenario("jinjiang"))
    assert err.value.key == "kinds.no_pois"


def test_smart_facilities_land_at_the_pois_not_where_residents_are(kinds, jinjiang):
    pois, centres = _clusters(jinjiang)
    region = jinjiang.with_layer("pois", pois)
    scenario = default_scenario("jinjiang")
    smart = kinds["smart_recycling"]
    plan = plan_kind(region, smart, scenario, count=3)
    assert plan.model == "mclp" and plan.solution.result.status == "optimal"
    assert set(plan.sites["tier"]) == {"standalone"} and set(plan.sites["kind"]) == {smart.id}
    # every point of interest covered: 12 of 12 is the most any plan can cover
    assert plan.solution.covered.all() and plan.solution.objective == pytest.approx(12.0)
    residents = dataclasses.replace(smart, demand=DemandBasis("residents", source="test"))
    other = plan_kind(region, residents, scenario, count=3)
    assert other.solution.result.status == "optimal"
    xy = plan.sites[["x", "y"]].to_numpy()
    xy_res = other.sites[["x", "y"]].to_numpy()
    for centre in centres:
        c = np.array([centre.x, centre.y])
        nearest = np.hypot(*(xy - c).T).min()
        nearest_res = np.hypot(*(xy_res - c).T).min()
        assert nearest <= 60.5  # at the cluster itself (its points are 60 m from its centre)
        assert nearest < nearest_res


def test_vehicles_per_county_are_spread_by_population(kinds):
    wenzhou = load_region("wenzhou")
    counties = wenzhou.counties["code"].tolist()
    figures = {code: 10_000.0 * (i + 1) for i, code in enumerate(counties)}
    region = wenzhou.with_table(
        "vehicles", pd.DataFrame({"county_code": list(figures), "count": list(figures.values())})
    )
    demand = kind_demand(region, kinds["scrap_vehicle_dismantler"], default_scenario("wenzhou"))
    per_county = demand.groupby("county_code")["weight"].sum()
    for code, figure in figures.items():
        assert per_county[code] == pytest.approx(figure)
    comms = wenzhou.communities.set_index("code")
    ratio = demand["weight"].to_numpy() / comms.loc[demand["demand_id"], "population"].to_numpy()
    for code in counties[:3]:
        in_county = (demand["county_code"] == code).to_numpy()
        pop = comms.loc[comms["county_code"] == code, "population"].sum()
        np.testing.assert_allclose(ratio[in_county], figures[code] / pop)
    with pytest.raises(PlannerError) as err:
        kind_demand(wenzhou, kinds["scrap_vehicle_dismantler"], default_scenario("wenzhou"))
    assert err.value.key == "kinds.no_demand_table"


def test_a_dismantler_avoids_the_protected_zone_and_is_the_brute_force_optimum(kinds, jinjiang):
    scrap = kinds["scrap_vehicle_dismantler"]
    scenario = default_scenario("jinjiang")
    region = jinjiang.with_table(
        "vehicles", pd.DataFrame({"county_code": ["350582"], "count": [1e5]})
    )
    free = plan_kind(region, scrap, scenario, count=1)
    best = free.sites.iloc[0]
    # a drinking-water protection area 200 m from the unconstrained best site
    metric = region.metric_crs
    zone = shapely.Point(best["x"] + 200, best["y"]).buffer(50)
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "category": ["drinking_water_protection"], "name": ["示例水源地"]},
        geometry=[zone],
        crs=metric,
    ).to_crs("EPSG:4326")
    plan = plan_kind(region.with_layer("zones", zones), scrap, scenario, count=1)
    assert plan.model == "p_median" and plan.solution.result.status == "optimal"
    excluded = plan.siting.table("en")
    assert best["site_id"] in set(excluded["site_id"])
    chosen = plan.sites.iloc[0]
    assert chosen["site_id"] != best["site_id"]
    assert shapely.Point(chosen["x"], chosen["y"]).distance(zone) > 500
    # brute force over the kept candidates: least vehicle-weighted distance, each from
    # its community's area (road factor on the straight line, the walk in quadrature)
    kept = plan.siting.kept
    d_xy = plan.demand[["x", "y"]].to_numpy()
    w = plan.demand["weight"].to_numpy()
    walk = plan.demand["walk_m"].to_numpy()
    assert (walk > 0).all()
    costs = [
        (w * np.hypot(scenario.circuity * np.hypot(*(d_xy - xy).T), walk)).sum()
        for xy in kept[["x", "y"]].to_numpy()
    ]
    assert chosen["site_id"] == kept["site_id"].iloc[int(np.argmin(costs))]
    assert plan.solution.objective == pytest.approx(min(costs), rel=1e-6)


def test_a_site_notes_the_transfer_station_it_can_share(kinds, jinjiang):
    # colocation: a transfer station within 500 m; radii narrower than the file's keep
    # the coverage model small and quick
    bulky = dataclasses.replace(
        kinds["bulky_furniture_transfer"],
        coverage=Coverage(radius_urban_m=500, radius_rural_m=1500, source="test"),
    )
    scenario = default_scenario("jinjiang")
    metric = jinjiang.communities.geometry.representative_point().to_crs(jinjiang.metric_crs)
    # a transfer station 120 m east of every community's polygon point; the candidates
    # sit at the communities' recorded points, a little apart, but within 500 m of one
    pois = gpd.GeoDataFrame(
        {
            "poi_id": [f"T{i}" for i in range(len(metric))],
            "category": "transfer_station",
            "name": [f"转运站{i}" for i in range(len(metric))],
            "weight": 1.0,
        },
        geometry=[shapely.Point(p.x + 120, p.y) for p in metric],
        crs=jinjiang.metric_crs,
    ).to_crs("EPSG:4326")
    plan = plan_kind(jinjiang.with_layer("pois", pois), bulky, scenario, count=3)
    assert plan.solution.result.status == "optimal" and len(plan.sites) == 3
    stations = pois.to_crs(jinjiang.metric_crs)
    for site in plan.sites.itertuples():
        d = stations.distance(shapely.Point(site.x, site.y)).to_numpy()
        assert d.min() <= 500
        assert site.colocated_poi == stations["name"].iloc[int(np.argmin(d))]
        assert site.colocated_m == pytest.approx(d.min(), abs=1e-6)
    # without the points of interest nothing is noted
    alone = plan_kind(jinjiang, bulky, scenario, count=3)
    assert (alone.sites["colocated_poi"] == "").all()


def test_a_kind_serving_households_counts_the_walk_and_covers_by_the_point(kinds, jinjiang):
    """Distances start where people live (the community's walk added in quadrature,
    as in the station tier), while "covered" keeps meaning a site within the radius of
    the community's point."""
    from planner.instance.demand import demand_points

    scenario = default_scenario("jinjiang")
    kind = kinds["appliance_furniture_point"]
    plan = plan_kind(jinjiang, kind, scenario, count=6)
    assert plan.model == "mclp" and plan.solution.result.status == "optimal"
    demand = plan.demand
    walk = demand["walk_m"].to_numpy()
    communities = demand_points(jinjiang, scenario).set_index("demand_id")
    np.testing.assert_allclose(walk, communities.loc[demand["demand_id"], "walk_m"].to_numpy())
    assert (walk > 0).all()
    # every community's distance to its nearest open site, recomputed from coordinates
    site_xy = plan.sites[["x", "y"]].to_numpy()
    d_xy = demand[["x", "y"]].to_numpy()
    straight = scenario.circuity * np.hypot(
        d_xy[:, None, 0] - site_xy[None, :, 0], d_xy[:, None, 1] - site_xy[None, :, 1]
    ).min(axis=1)
    covered = straight <= demand["radius_m"].to_numpy() + 1e-6
    np.testing.assert_array_equal(plan.solution.covered, covered)
    reached = np.isfinite(plan.solution.distance)
    np.testing.assert_allclose(
        plan.solution.distance[reached], np.hypot(straight, walk)[reached], rtol=1e-9
    )
    # the most households any 6 sites cover: the model's objective is that total
    assert plan.solution.objective == pytest.approx(demand["weight"].to_numpy()[covered].sum())
    # and the kind's indicators count those, not the walked distances within r
    from planner.run.kind_plans import _kind_kpis

    served = demand["weight"].to_numpy()[covered].sum()
    assert _kind_kpis(plan)["served_weight"] == pytest.approx(served)
    assert served < demand["weight"].sum()  # some communities are out of reach
    # points of interest are where their demand is: no walk
    pois, _ = _clusters(jinjiang)
    poi_demand = kind_demand(jinjiang.with_layer("pois", pois), kinds["smart_recycling"], scenario)
    assert (poi_demand["walk_m"] == 0).all()
