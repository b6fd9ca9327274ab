"""Scenario: defaults, validation messages and serialisation round trips."""

from __future__ import annotations

import pytest

from planner.i18n import PlannerError
from planner.scenario import CAPACITY_STANDARDS, Scenario, default_scenario


def test_default_scenarios_carry_policy_targets():
    wz = default_scenario("wenzhou")
    assert (wz.region, wz.stations.count, wz.centres.count) == ("wenzhou", 1550, 30)
    assert wz.centres.one_per_county and wz.stations.one_per_township
    jj = default_scenario("jinjiang")
    assert (jj.region, jj.stations.count, jj.centres.count) == ("jinjiang", 80, 2)
    assert jj.stations.one_per_township


def test_capacity_standards_are_the_published_ratios():
    assert CAPACITY_STANDARDS["sbt10719"] == (2000, 2500)
    assert CAPACITY_STANDARDS["zhejiang2019"] == (1000, 2000)
    s = Scenario().with_changes(**{"stations.capacity_standard": "zhejiang2019"})
    assert s.households_per_station() == (1000, 2000)


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_round_trip(tmp_path, suffix):
    s = default_scenario("wenzhou").with_changes(
        **{"stations.county_min": {"330302": 120}, "stations.required_sites": ["a", "b"]}
    )
    path = s.save(tmp_path / f"s{suffix}")
    again = Scenario.load(path)
    assert again == s
    assert again.stations.required_sites == ("a", "b")
    assert again.stations.county_min == {"330302": 120}


def test_toml_is_read(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        'name = "t"\nregion = "wenzhou"\n[stations]\ncount = 900\nobjective = "mclp"\n'
        "[centres]\ncount = 12\n",
        encoding="utf-8",
    )
    s = Scenario.load(path)
    assert (s.stations.count, s.stations.objective, s.centres.count) == (900, "mclp", 12)


def _problems(data) -> list[str]:
    with pytest.raises(PlannerError) as err:
        Scenario.from_dict(data)
    assert err.value.key == "scenario.invalid"
    return [p.key for p in err.value.details]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"stations": {"count": -3}}, "scenario.positive"),
        ({"stations": {"count": 2.5}}, "scenario.integer"),
        ({"stations": {"objective": "fastest"}}, "scenario.choice"),
        ({"stations": {"radius_urban_m": 0}}, "scenario.positive"),
        ({"stations": {"radius_rural_m": "far"}}, "scenario.number"),
        ({"generation": {"urban_kg_per_person_day": -0.1}}, "scenario.non_negative"),
        ({"solver": {"gap": 1.5}}, "scenario.share"),
        ({"solver": {"name": "gurobi"}}, "scenario.choice"),
        ({"colour": "red"}, "scenario.unknown_field"),
        (
            {"stations": {"county_min": {"330302": 5}, "county_max": {"330302": 2}}},
            "scenario.min_above_max",
        ),
        ({"stations": {"count": 10, "county_min": {"a": 6, "b": 6}}}, "scenario.county_sum"),
        (
            {"stations": {"required_sites": ["x"], "excluded_sites": ["x"]}},
            "scenario.required_and_excluded",
        ),
        ({"stations": {"count": None, "capacity_standard": "none"}}, "scenario.count_or_standard"),
    ],
)
def test_each_invalid_parameter_has_its_message(data, key):
    assert key in _problems(data)


def test_all_problems_reported_at_once_in_both_languages():
    with pytest.raises(PlannerError) as err:
        Scenario.from_dict({"stations": {"count": -1, "radius_urban_m": -5}, "circuity": 0})
    zh, en = err.value.message("zh"), err.value.message("en")
    assert zh.count("•") == 3 and en.count("•") == 3
    assert "stations.count" in zh and "必须大于 0" in zh
    assert "must be greater than 0" in en


def test_bad_files(tmp_path):
    bad = tmp_path / "s.yaml"
    bad.write_text("stations: [1, 2", encoding="utf-8")
    with pytest.raises(PlannerError) as err:
        Scenario.load(bad)
    assert err.value.key == "scenario.bad_file"
    with pytest.raises(PlannerError) as err:
        Scenario.load(tmp_path / "s.ini")
    assert err.value.key in ("scenario.unsupported_format", "scenario.bad_file")
