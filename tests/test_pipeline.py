"""End to end: region + scenario → plan, the CLI, and the plan files."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import numpy as np
import pytest

from planner.data.regions import load_region
from planner.instance.build import build_instance, derive_station_count
from planner.instance.demand import demand_points
from planner.plan import Plan
from planner.plan.kpi import weighted_quantile
from planner.run import run_plan
from planner.scenario import default_scenario


@pytest.fixture(scope="module")
def jinjiang_plan():
    stages = []
    plan = run_plan(
        "jinjiang", default_scenario("jinjiang"), progress=lambda s, f: stages.append(s)
    )
    return plan, stages


def test_jinjiang_default_meets_policy_targets(jinjiang_plan):
    plan, stages = jinjiang_plan
    assert stages[0] == "run.stage.instance" and stages[-1] == "run.stage.done"
    assert len(plan.stations) == 80 and len(plan.centres) == 2
    for r in plan.results:
        assert r.status == "optimal" and r.gap is not None and r.gap <= 0.005
    # at least one station in every town/street (the township rule)
    region = load_region("jinjiang")
    assert set(plan.stations["township_code"]) == set(region.townships["code"])


def test_every_community_assigned_to_its_nearest_station(jinjiang_plan):
    plan, _ = jinjiang_plan
    d = plan.demand
    assert d["station_id"].notna().all()
    assert set(d["station_id"]) <= set(plan.stations["site_id"])
    # the reported distance is the straight line x circuity to the nearest open station,
    # with the walk inside the community, 2/3 sqrt(A / pi), added in quadrature
    metric = "EPSG:32650"
    dxy = np.column_stack([d.to_crs(metric).geometry.x, d.to_crs(metric).geometry.y])
    st = plan.stations.to_crs(metric)
    sxy = np.column_stack([st.geometry.x, st.geometry.y])
    nearest = np.sqrt(((dxy[:, None, :] - sxy[None, :, :]) ** 2).sum(-1)).min(axis=1) * 1.3
    comms = load_region("jinjiang").communities.set_index("code").loc[d["demand_id"]]
    walk = 2 / 3 * np.sqrt(comms.to_crs(metric).area.to_numpy() / np.pi)
    assert np.allclose(d["distance_m"], np.hypot(nearest, walk), rtol=1e-4, atol=0.5)
    assert d["distance_m"].min() > 100  # nobody lives 0 m from a station


def test_served_totals_and_centre_loads_add_up(jinjiang_plan):
    plan, _ = jinjiang_plan
    st, ce = plan.stations, plan.centres
    assert st["served_population"].sum() == 2_061_551
    assert st["tonnage_t_per_day"].sum() == pytest.approx(plan.demand["tonnage_t_per_day"].sum())
    assert ce["load_t_per_day"].sum() == pytest.approx(st["tonnage_t_per_day"].sum())
    # a centre serves the people and households of the stations assigned to it
    for col in ("served_population", "served_households"):
        by_centre = st.groupby("centre_id")[col].sum()
        assert ce.set_index("site_id")[col].to_dict() == by_centre.to_dict()
    assert ce["served_population"].sum() == 2_061_551
    assert (ce["load_t_per_day"] <= ce["capacity_t_per_day"] + 1e-6).all()
    assert set(st["centre_id"]) == set(ce["site_id"])
    assert len(plan.links) == 80


def test_centre_popup_states_the_people_it_serves(jinjiang_plan):
    from planner.views.plan_map import _centre_details

    plan, _ = jinjiang_plan
    rec = plan.centres.iloc[0].to_dict()
    details = dict(_centre_details(rec, "zh"))
    assert details["服务人口"] == f"{rec['served_population']:,}" != "—"


def test_kpis_match_the_demand_table(jinjiang_plan):
    plan, _ = jinjiang_plan
    d, k = plan.demand, plan.kpis
    pop = d["population"].to_numpy(float)
    # covered: a station within the radius of the community's point (the walk aside)
    point = np.sqrt(np.maximum(d["distance_m"] ** 2 - d["walk_m"] ** 2, 0))
    covered = point <= d["radius_m"] + 1e-6
    assert k["mean_walk_m"] == pytest.approx(np.average(d["walk_m"], weights=pop))
    assert k["coverage_share"] == pytest.approx(pop[covered].sum() / pop.sum())
    assert k["mean_distance_m"] == pytest.approx(np.average(d["distance_m"], weights=pop))
    assert k["uncovered_communities"] == int((~covered).sum())
    assert k["stations_per_1000_households"] == pytest.approx(80 / d["households"].sum() * 1000)
    county = plan.county_kpis.iloc[0]
    assert county["stations"] == 80 and county["sorting_centres"] == 2


def test_weighted_quantile():
    assert weighted_quantile([1, 2, 3], [1, 1, 98], 0.5) == 3
    assert weighted_quantile([1, 2, 3], [98, 1, 1], 0.95) == 1
    assert weighted_quantile([5, 1], [1, 1], 1.0) == 5


def test_plan_round_trip(jinjiang_plan, tmp_path):
    plan, _ = jinjiang_plan
    plan.write(tmp_path)
    again = Plan.read(tmp_path)
    assert len(again.sites) == 82
    assert again.sites["site_id"].map(type).eq(str).all()
    assert again.sites["county_code"].iloc[0] == "350582"
    # pytest.approx compares flat mappings: the nested blocks on their own
    nested = ("actions", "costs", "villages")
    flat = {k: v for k, v in plan.kpis.items() if k not in nested}
    assert {k: v for k, v in again.kpis.items() if k not in nested} == pytest.approx(flat)
    assert again.kpis["villages"] == pytest.approx(plan.kpis["villages"])
    assert all(again.kpis[k] == plan.kpis[k] for k in ("actions", "costs"))
    assert again.kpis["actions"]["station"]["new"] == 80
    assert again.results[0].status == plan.results[0].status
    csv = (tmp_path / "sites.csv").read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel


def test_infeasible_scenario_is_diagnosed_in_words():
    scenario = default_scenario("jinjiang").with_changes(**{"stations.count": 10})
    plan = run_plan("jinjiang", scenario)
    station = plan.result("station")
    assert station.status == "infeasible"
    assert len(plan.stations) == 0
    text = " ".join(d["zh"] for d in station.diagnoses)
    assert "22" in text and "10" in text  # 22 townships need a station, only 10 allowed
    assert all(d["en"] for d in station.diagnoses)


def test_derived_station_count_follows_the_standard():
    region = load_region("jinjiang")
    scenario = default_scenario("jinjiang")
    d = demand_points(region, scenario)
    n = derive_station_count(d, (2000, 2500))
    urban = d.loc[d["urban"], "households"].sum()
    rural = d.loc[~d["urban"], "households"].sum()
    assert n == int(np.ceil(urban / 2000) + np.ceil(rural / 2500))


def test_instance_has_demand_and_candidates():
    inst = build_instance("wenzhou", default_scenario("wenzhou"))
    assert len(inst.demand) == 3685 and len(inst.stations) == 3685 and len(inst.centres) == 191
    assert inst.demand["population"].sum() == 9_572_903
    assert inst.stations["site_id"].is_unique


def test_cli_plan_writes_gpkg_with_tiers(tmp_path):
    out = tmp_path / "plan"
    result = subprocess.run(
        [sys.executable, "-m", "planner", "plan", "--region", "jinjiang", "--out", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "80 个回收站点" in result.stdout and "2 个分拣中心" in result.stdout
    sites = gpd.read_file(out / "plan.gpkg", layer="sites")
    assert sites["tier"].value_counts().to_dict() == {"station": 80, "sorting_centre": 2}
    assert (out / "kpis.json").exists() and (out / "sites.csv").exists()


def test_cli_error_is_plain(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "planner", "--lang", "en", "plan", "--region", "atlantis",
         "--out", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "No region named" in result.stderr and "Traceback" not in result.stderr


def test_existing_sites_kept_or_closed_and_user_candidates_located():
    region = load_region("jinjiang")
    comms = region.communities
    keep_at = comms.geometry.iloc[5].representative_point()
    close_at = comms.geometry.iloc[9].representative_point()
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["E1", "E2"],
            "name": ["老站", "消防不合格"],
            "tier": ["station", "station"],
            "status": ["existing_keep", "existing_close"],
        },
        geometry=[keep_at, close_at],
        crs=4326,
    )
    region = region.with_layer("sites", sites)
    extra = gpd.GeoDataFrame({"site_id": ["U1"]}, geometry=[keep_at], crs=4326)
    scenario = default_scenario("jinjiang")
    from planner.instance.candidates import station_candidates

    cand = station_candidates(region, scenario, extra=extra).set_index("site_id")
    assert cand.loc["E1", "community_code"] == comms["code"].iloc[5]
    assert cand.loc["U1", "source"] == "user" and cand.loc["E2", "status"] == "existing_close"
    plan = run_plan(region, scenario)
    chosen = set(plan.stations["site_id"])
    assert "E1" in chosen and "E2" not in chosen
    assert plan.stations.set_index("site_id").loc["E1", "status"] == "existing_keep"
