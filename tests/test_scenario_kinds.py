"""The scenario's list of standalone facility kinds (``Scenario.kinds``): reading and
writing, validation in words, the region checks, and a planner's own kind file planned
without code changes."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from planner.data.regions import load_region
from planner.i18n import PlannerError
from planner.run.kind_plans import plan_kinds
from planner.scenario import Scenario, default_scenario
from planner.scenario.checks import region_problems
from planner.scenario.kind_list import PlannedKind, kind_choices

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "jinjiang_kinds.yaml"

pytestmark = pytest.mark.usefixtures("planner_home")


def _problems(data: dict) -> list[str]:
    with pytest.raises(PlannerError) as info:
        Scenario.from_dict(data)
    return [d.message("en") for d in info.value.details]


def test_default_scenarios_have_no_kinds_and_write_no_kinds_section():
    for region in ("jinjiang", "wenzhou"):
        scenario = default_scenario(region)
        assert scenario.kinds == ()
        assert "kinds" not in scenario.to_dict()


def test_the_example_reads_and_round_trips_in_every_format(tmp_path):
    scenario = Scenario.load(EXAMPLE)
    assert [k.kind for k in scenario.kinds] == [
        "appliance_furniture_point", "bulky_furniture_transfer", "smart_recycling",
        "scrap_vehicle_dismantler",
    ]  # fmt: skip
    assert scenario.kinds[3] == PlannedKind("scrap_vehicle_dismantler", count=1)
    for suffix in (".json", ".yaml"):
        path = scenario.save(tmp_path / f"s{suffix}")
        assert Scenario.load(path) == scenario
    toml = tmp_path / "s.toml"
    toml.write_text(
        'region = "jinjiang"\n[stations]\ncount = 80\n'
        '[[kinds]]\nkind = "smart_recycling"\ncount = 4\n'
        "radius_urban_m = 250\nradius_rural_m = 800\n",
        encoding="utf-8",
    )
    assert Scenario.load(toml).kinds == (PlannedKind("smart_recycling", 4, 250.0, 800.0),)


def test_validation_names_each_problem_in_words():
    base = Scenario().to_dict()
    messages = _problems({**base, "kinds": [{"kind": "recycling_robot", "count": 2}]})
    assert len(messages) == 1
    assert "recycling_robot" in messages[0] and "smart_recycling" in messages[0]  # known ones
    messages = _problems({**base, "kinds": [{"kind": "market"}]})
    assert "tier" in messages[0]
    messages = _problems(
        {**base, "kinds": [{"kind": "smart_recycling", "count": 0, "radius_urban_m": 300}]}
    )
    assert any("kinds[1].count" in m for m in messages)
    assert any("both the urban and the rural" in m for m in messages)
    messages = _problems({**base, "kinds": [{"kind": "smart_recycling"}] * 2})
    assert any("listed twice" in m for m in messages)
    messages = _problems({**base, "kinds": {"kind": "smart_recycling"}})
    assert "should be a list of parameter groups" in messages[0]
    messages = _problems({**base, "kinds": [{"kind": "smart_recycling", "colour": "red"}]})
    assert "kinds[1].colour" in messages[0]
    messages = _problems({**base, "kinds": [{"kind": "smart_recycling", "count": "10"}]})
    assert "kinds[1].count" in messages[0]
    # a scenario built directly is checked too
    bad = Scenario(kinds=("smart_recycling",))  # type: ignore[arg-type]
    assert bad.validate() and "kinds[1]" in bad.validate()[0].message("en")


def test_region_checks_name_missing_layers_and_counts_above_candidates():
    region = load_region("jinjiang")
    scenario = Scenario.load(EXAMPLE).with_changes(
        kinds=[
            {"kind": "smart_recycling", "count": 5},
            {"kind": "scrap_vehicle_dismantler", "count": 1},
            {"kind": "appliance_furniture_point", "count": 100_000},
        ]
    )
    keys = {p.key: p for p in region_problems(region, scenario)}
    assert keys["kinds.no_pois"].message("en").count("shopping_district") == 1
    assert "vehicles" in keys["kinds.no_demand_table"].message("en")
    over = keys["scenario.kinds.over_candidates"]
    assert over.params["candidates"] == len(region.communities)  # no POIs in the region


def test_a_new_kind_file_is_a_choice_and_is_planned_without_code(planner_home):
    source = (ROOT / "data" / "kinds" / "appliance_furniture_point.toml").read_text("utf-8")
    folder = planner_home / "kinds"
    folder.mkdir(parents=True)
    text = source.replace('id = "appliance_furniture_point"', 'id = "battery_drop_off"')
    text = text.replace("家电家具回收网点", "废旧电池投放点").replace(
        "appliance and furniture collection point", "battery drop-off point"
    )
    text = text.split("[colocation]")[0]  # no furniture stores in this region
    (folder / "battery_drop_off.toml").write_text(text, encoding="utf-8")
    assert "battery_drop_off" in kind_choices()
    region = load_region("jinjiang")
    scenario = Scenario.load(EXAMPLE).with_changes(kinds=[{"kind": "battery_drop_off", "count": 3}])
    assert scenario.validate() == []
    outcome = plan_kinds(region, scenario)
    (result,) = outcome.results
    assert result.tier == "battery_drop_off" and result.status == "optimal"
    assert result.details["name"]["zh"] == "废旧电池投放点"
    assert len(outcome.sites) == 3 and set(outcome.sites["kind"]) == {"battery_drop_off"}
    assert set(outcome.sites["tier"]) == {"standalone"}
    # served weight: every household within its radius of a chosen site, recomputed
    demand = outcome.kpis["battery_drop_off"]
    assert demand["count"] == 3
    comms = region.communities
    assert demand["demand_weight"] == pytest.approx(float(comms["households"].sum()))


def test_a_kind_missing_its_layer_gives_an_error_result_not_a_crash():
    region = load_region("jinjiang")
    scenario = Scenario.load(EXAMPLE).with_changes(kinds=[{"kind": "smart_recycling", "count": 2}])
    outcome = plan_kinds(region, scenario)
    (result,) = outcome.results
    assert result.status == "error" and outcome.sites is None
    assert "points of interest" in result.diagnoses[0]["en"]


def test_exclusions_list_every_candidate_in_a_forbidden_zone():
    region = load_region("jinjiang")
    comms = region.communities
    point = gpd.GeoSeries(
        gpd.points_from_xy(comms["point_lon"], comms["point_lat"]), crs="EPSG:4326"
    ).to_crs(region.metric_crs)
    centre = point.iloc[0]
    zone = gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "category": ["drinking_water_protection"], "name": ["test"]},
        geometry=[centre.buffer(1500)],
        crs=region.metric_crs,
    ).to_crs("EPSG:4326")
    region = region.with_layer("zones", zone)
    scenario = Scenario.load(EXAMPLE).with_changes(
        kinds=[{"kind": "bulky_furniture_transfer", "count": 2}]
    )
    outcome = plan_kinds(region, scenario)
    # the disc is a polygon of many sides: decide only points clear of its edge
    gap = point.distance(centre).to_numpy()
    inside = set(comms.loc[gap <= 1490, "code"].astype(str))
    maybe = set(comms.loc[gap <= 1510, "code"].astype(str))
    excluded = set(outcome.exclusions["site_id"])
    assert inside and inside <= excluded <= maybe
    assert not set(outcome.sites["site_id"]) & excluded
    assert isinstance(outcome.exclusions, pd.DataFrame)
