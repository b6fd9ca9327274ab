"""The facility-kind catalogue: shipped files, bad files refused by field, a planner's own
kind added by a file, and the two existing tiers reading their figures from the scenario."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planner.data.kinds import KINDS_DIR, ScenarioRef, load_kind_file, load_kinds
from planner.i18n import PlannerError
from planner.scenario.kinds import resolve_figure, scenario_refs
from planner.scenario.model import CAPACITY_STANDARDS, Scenario

SHIPPED = {
    "recycling_station",
    "sorting_centre",
    "market",
    "appliance_furniture_point",
    "bulky_furniture_transfer",
    "smart_recycling",
    "scrap_vehicle_dismantler",
}


@pytest.fixture(autouse=True)
def _home(planner_home):
    return planner_home


def test_every_shipped_kind_loads_with_its_tier_basis_and_rules():
    kinds = load_kinds()
    assert set(kinds) == SHIPPED
    assert {k.tier for k in kinds.values()} == {"station", "sorting_centre", "market", "standalone"}
    assert kinds["smart_recycling"].demand.basis == "poi"
    assert kinds["smart_recycling"].demand.categories == (
        "residential_compound",
        "shopping_district",
        "public_institution",
    )
    scrap = kinds["scrap_vehicle_dismantler"]
    assert scrap.demand.basis == "vehicles" and scrap.demand.table == "vehicles"
    water = [r for r in scrap.siting if "drinking_water_protection" in r.zones]
    assert [(r.rule, r.buffer_m, r.planner_set) for r in water] == [("forbidden", 500.0, True)]
    assert "GB 22128-2019" in water[0].source
    gb = next(r for r in scrap.siting if "residential" in r.zones)
    assert gb.zones == ("residential", "commercial", "environmentally_sensitive")
    assert gb.buffer_m == 0.0 and not gb.planner_set
    assert kinds["recycling_station"].colocation.poi == "transfer_station"
    for kind in kinds.values():
        assert kind.name["zh"] and kind.name["en"] and kind.symbol.colour.startswith("#")


def test_existing_tiers_take_their_figures_from_the_scenario_not_a_copy():
    kinds = load_kinds()
    station, centre = kinds["recycling_station"], kinds["sorting_centre"]
    # every figure of the two existing tiers is a reference: nothing to drift
    for kind in (station, centre):
        for section in (kind.coverage, kind.capacity, kind.counts):
            numbers = [v for v in vars(section).values() if isinstance(v, float)]
            assert numbers == [], (kind.id, section)
    default = Scenario()
    assert (
        resolve_figure(station.coverage.radius_urban_m, default) == default.stations.radius_urban_m
    )
    assert resolve_figure(station.coverage.radius_rural_m, default) == 2000.0
    assert resolve_figure(station.capacity.value, default) == CAPACITY_STANDARDS["sbt10719"]
    assert resolve_figure(centre.capacity.value, default) == default.centres.capacity_t_per_day
    # a scenario with other figures changes the kind with it
    changed = Scenario.from_dict(
        {
            "stations": {"radius_urban_m": 800, "capacity_standard": "zhejiang2019"},
            "centres": {"capacity_t_per_day": 150},
        }
    )
    assert resolve_figure(station.coverage.radius_urban_m, changed) == 800
    assert resolve_figure(station.capacity.value, changed) == (1000, 2000)
    assert resolve_figure(centre.capacity.value, changed) == 150
    # every reference in every shipped file names a real scenario parameter
    for kind in kinds.values():
        for ref in scenario_refs(kind):
            resolve_figure(ref, default, kind)


def test_a_reference_to_no_scenario_field_is_refused():
    with pytest.raises(PlannerError) as err:
        resolve_figure(ScenarioRef("stations.no_such_radius"), Scenario())
    assert err.value.key == "kinds.unknown_scenario_field"
    assert "stations.no_such_radius" in err.value.message("zh")


def test_a_new_kind_file_in_a_folder_joins_the_catalogue(tmp_path, planner_home):
    extra = tmp_path / "pack_kinds"
    extra.mkdir()
    (extra / "battery_point.toml").write_text(
        'id = "battery_point"\ntier = "standalone"\n'
        '[name]\nzh = "废旧电池回收点"\nen = "battery collection point"\n'
        '[symbol]\nicon = "battery"\ncolour = "#ff0000"\n'
        '[demand]\nbasis = "poi"\ncategories = ["school"]\nplanner_set = true\n'
        "[coverage]\nradius_urban_m = 800\nradius_rural_m = 1500\nplanner_set = true\n",
        encoding="utf-8",
    )
    kinds = load_kinds(extra)
    assert set(kinds) == SHIPPED | {"battery_point"}
    assert kinds["battery_point"].coverage.radius_urban_m == 800.0
    assert kinds["battery_point"].demand.categories == ("school",)
    # the planner's own folder works the same way
    home_kinds = planner_home / "kinds"
    home_kinds.mkdir(parents=True)
    shutil.copy(extra / "battery_point.toml", home_kinds / "battery_point.toml")
    assert "battery_point" in load_kinds()
    with pytest.raises(PlannerError) as err:  # the same id twice is refused, not replaced
        load_kinds(extra)
    assert err.value.key == "kinds.duplicate"


def _bad(tmp_path: Path, old: str, new: str, name: str = "scrap_vehicle_dismantler") -> Path:
    text = (KINDS_DIR / f"{name}.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / f"{name}.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "key", "field"),
    [
        ('icon = "car"', 'icon = "car"\nsize = 3', "kinds.unknown_field", "symbol.size"),
        ("buffer_m = 500", "buffer_m = -500", "kinds.negative", "siting[2].buffer_m"),
        ("buffer_m = 500", 'buffer_m = "500 m"', "kinds.bad_type", "siting[2].buffer_m"),
        ('tier = "standalone"', 'tier = "warehouse"', "kinds.unknown_value", "tier"),
        ('basis = "vehicles"', 'basis = "cars"', "kinds.unknown_value", "demand.basis"),
        ('zh = "报废机动车回收拆解企业"\n', "", "kinds.missing", "name.zh"),
        (
            'zones = ["industrial"]',
            'zones = ["farmland"]',
            "kinds.unknown_value",
            "siting[4].zones",
        ),
        ('rule = "allowed"', "rule = true", "kinds.bad_type", "siting[4].rule"),
        # a rule whose buffer is the planner's still names what the rule comes from
        (
            'source = "GB 22128-2019《报废机动车回收拆解企业技术规范》: not in drinking-water '
            "protection areas; the 500 m buffer is the planner's\"\n",
            "",
            "kinds.missing",
            "siting[2].source",
        ),
    ],
)
def test_a_bad_kind_file_names_the_file_and_the_field(tmp_path, old, new, key, field):
    path = _bad(tmp_path, old, new)
    with pytest.raises(PlannerError) as err:
        load_kind_file(path)
    assert err.value.key == key
    assert err.value.params["field"] == field
    for lang in ("zh", "en"):
        message = err.value.message(lang)
        assert "scrap_vehicle_dismantler.toml" in message and field in message


def test_a_figure_with_neither_source_nor_planner_set_is_refused(tmp_path):
    path = _bad(
        tmp_path,
        'source = "Planning assumption"\nplanner_set = true\n\n[capacity]',
        "\n[capacity]",
        "appliance_furniture_point",
    )
    with pytest.raises(PlannerError) as err:
        load_kind_file(path)
    assert (err.value.key, err.value.params["field"]) == ("kinds.unsourced", "coverage.source")


def test_a_file_whose_id_is_not_its_name_is_refused(tmp_path):
    path = tmp_path / "other.toml"
    shutil.copy(KINDS_DIR / "market.toml", path)
    with pytest.raises(PlannerError) as err:
        load_kind_file(path)
    assert err.value.key == "kinds.bad_id" and err.value.params["value"] == "market"
