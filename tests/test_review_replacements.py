"""A keep-mode re-run replaces a rejected site in its own township when it can, else in
its county, and says where each replacement went (issue 22: sites rejected in 瑞安
安阳街道 were replaced in 永嘉县 and 泰顺县)."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely

from planner.data.regions import load_region
from planner.i18n import PlannerError
from planner.instance.build import build_instance
from planner.plan import Plan
from planner.plan.replacements import fit_replacements, replacement_rows, replacements_of
from planner.plan.review import Decision, apply_review, plan_diff, replay, run_reviewed
from planner.run import run_plan
from planner.run.rules import station_rules
from planner.scenario import Scenario, default_scenario
from planner.scenario.checks import region_problems


def _sites(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["site_id", "tier", "township_code", "county_code"])


def _reject(*site_ids: str, tier: str = "station") -> dict:
    return replay(
        Decision(1, 1, tier, s, "reject", "王工", "不合适", version=i + 1)
        for i, s in enumerate(site_ids)
    )


PREVIOUS = _sites(
    [
        ("a1", "station", "T1", "C1"),
        ("a2", "station", "T1", "C1"),
        ("b1", "station", "T2", "C1"),
        ("c1", "station", "T3", "C2"),
        ("m1", "sorting_centre", "T3", "C2"),
    ]
)


def test_an_area_keeps_its_number_of_sites_and_widens_when_full() -> None:
    scenario = default_scenario("jinjiang")
    found = replacements_of(PREVIOUS, {"station": ["a1", "c1"], "sorting_centre": ["m1"]})
    assert [(r.site_id, r.scope, r.code) for r in found] == [
        ("a1", "township", "T1"),
        ("c1", "township", "T3"),
        ("m1", "county", "C2"),
    ]
    candidates = {
        # T1 has room for its two stations; T3 has only the rejected one; C2 has one more
        "station": _sites([(s, "station", t, c) for s, t, c in [
            ("a1", "T1", "C1"), ("a2", "T1", "C1"), ("a3", "T1", "C1"),
            ("c1", "T3", "C2"), ("c2", "T4", "C2"),
        ]]),
        "sorting_centre": _sites([("m1", "sorting_centre", "T3", "C2")]),
    }  # fmt: skip
    excluded = replace_lists(scenario, ["a1", "c1"], ["m1"])
    fitted, scopes = fit_replacements(excluded, PREVIOUS, found, {}, candidates)
    assert [(r.site_id, r.scope, r.code) for r in scopes] == [
        ("a1", "township", "T1"),
        ("c1", "county", "C2"),  # T3's only candidate is the rejected site
        ("m1", "anywhere", ""),  # no other centre candidate in C2
    ]
    assert fitted.stations.township_min == {"T1": 2}
    assert fitted.stations.county_min == {"C2": 1}
    assert fitted.centres.county_min == {}
    # without candidates every area is assumed to have room
    roomy, _ = fit_replacements(excluded, PREVIOUS, found, {})
    assert roomy.stations.township_min == {"T1": 2, "T3": 1}
    assert roomy.centres.county_min == {"C2": 1}


def replace_lists(scenario: Scenario, stations: list[str], centres: list[str]) -> Scenario:
    from dataclasses import replace

    return replace(
        scenario,
        stations=replace(scenario.stations, excluded_sites=tuple(stations)),
        centres=replace(scenario.centres, excluded_sites=tuple(centres)),
    )


def test_replacement_rows_say_where_each_went() -> None:
    found = replacements_of(PREVIOUS, {"station": ["a1", "b1"]})
    diff = pd.DataFrame(
        {
            "tier": ["station"] * 3,
            "change": ["added", "added", "removed"],
            "site_id": ["a9", "b9", "a1"],
            "township_code": ["T1", "T2", "T1"],
            "county_code": ["C1", "C1", "C1"],
        }
    )
    rows = replacement_rows(found, diff, {"T1": "安阳街道", "T2": "玉海街道"})
    assert [(r["site_id"], r["area"], r["added"], r["where"]) for r in rows] == [
        ("a1", "安阳街道", ["a9"], ["安阳街道"]),
        ("b1", "玉海街道", ["b9"], ["玉海街道"]),
    ]


@pytest.fixture(scope="module")
def jinjiang() -> Plan:
    return run_plan("jinjiang", default_scenario("jinjiang"))


def test_keep_rerun_replaces_in_the_same_township(jinjiang) -> None:
    region = load_region("jinjiang")
    inst = build_instance(region, jinjiang.scenario)
    stations = jinjiang.stations
    free = inst.stations[~inst.stations["site_id"].isin(stations["site_id"])]
    # a township with at least two stations and at least two free candidates
    spare = free["township_code"].value_counts()
    used = stations["township_code"].value_counts()
    town = next(t for t in used.index if used[t] >= 2 and spare.get(t, 0) >= 2)
    rejected = stations.loc[stations["township_code"] == town, "site_id"].tolist()[:2]
    new, reviewed = run_reviewed(region, jinjiang.scenario, _reject(*rejected), jinjiang, "keep")
    assert all(r.status == "optimal" for r in new.results)
    diff = plan_diff(jinjiang, new, reviewed.moves)
    added = diff[diff["change"] == "added"]
    assert sorted(diff.loc[diff["change"] == "removed", "site_id"]) == sorted(rejected)
    assert len(added) == 2 and set(added["township_code"]) == {town}
    assert reviewed.scenario.stations.township_min == {town: int(used[town])}
    names = dict(zip(region.townships["code"], region.townships["name"], strict=True))
    rows = replacement_rows(reviewed.replacements, diff, names)
    assert {r["scope"] for r in rows} == {"township"}
    assert sorted(s for r in rows for s in r["added"]) == sorted(added["site_id"])
    # reoptimise mode asks nothing of the township
    free_run = apply_review(jinjiang.scenario, _reject(*rejected), jinjiang, "reoptimise")
    assert free_run.replacements == () and free_run.scenario.stations.township_min == {}


def test_township_minimums_are_rules_and_checked() -> None:
    region = load_region("jinjiang")
    scenario = default_scenario("jinjiang")
    town, name = str(region.townships["code"].iloc[0]), str(region.townships["name"].iloc[0])
    data = scenario.to_dict()
    data["stations"]["township_min"] = {town: 3}
    asked = Scenario.from_dict(data)
    rules = station_rules(build_instance(region, asked))
    group = next(g for g in rules.groups if g.min_open == 3)
    assert group.name == name and group.kind == "township"
    data["stations"]["township_min"] = {town: 10_000, "999999999": 1}
    with pytest.raises(PlannerError):
        Scenario.from_dict(data)  # 10,000 is more than the city's 80 stations
    data["stations"]["township_min"] = {town: 79, "999999999": 1}
    keys = [p.key for p in region_problems(region, Scenario.from_dict(data))]
    assert "scenario.unknown_township" in keys and "scenario.township_too_many" in keys


def test_a_point_move_is_not_a_rejection(jinjiang) -> None:
    from planner.plan.review import MoveTarget

    site = str(jinjiang.stations["site_id"].iloc[0])
    spot = jinjiang.stations.geometry.iloc[0]
    move = MoveTarget(lon=spot.x + 0.001, lat=spot.y)
    states = replay([Decision(1, 1, "station", site, "move", "王工", "挪", version=1,
                              move_to=move)])  # fmt: skip
    run = apply_review(jinjiang.scenario, states, jinjiang, "keep")
    assert run.replacements == ()
    assert isinstance(run.extra_stations.geometry.iloc[0], shapely.Point)
