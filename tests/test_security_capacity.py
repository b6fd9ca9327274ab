"""``stations.use_capacity: true`` on the built-in regions: a plan, or the shortfall in words."""

from __future__ import annotations

import math

import pytest

from planner.run import run_plan
from planner.scenario import default_scenario


@pytest.mark.slow
def test_capacity_with_derived_count_gives_a_plan_on_jinjiang():
    scenario = default_scenario("jinjiang").with_changes(
        **{"stations.use_capacity": True, "stations.count": None}
    )
    plan = run_plan("jinjiang", scenario)
    station = plan.results[0]
    assert station.status in ("optimal", "time_limit_feasible")
    # SB/T 10719: 2,000 urban / 2,500 rural households per station, counted per county.
    assert len(plan.stations) == plan.kpis["stations"] == 381
    served = plan.stations["served_households"].to_numpy()
    assert served.max() <= 2500 + 1e-6
    assert served.sum() == pytest.approx(plan.kpis["households"], rel=1e-9)


def test_capacity_below_demand_is_explained_not_a_crash():
    # 80 stations × at most 2,500 households cannot serve Jinjiang's 811,645 households.
    scenario = default_scenario("jinjiang").with_changes(**{"stations.use_capacity": True})
    plan = run_plan("jinjiang", scenario)
    station = plan.results[0]
    assert station.status == "infeasible"
    (diagnosis,) = [d for d in station.diagnoses if d["key"] == "solve.capacity_short"]
    assert "811,645" in diagnosis["en"] and "short by 611,645" in diagnosis["en"]
    assert "缺口 611,645" in diagnosis["zh"]


@pytest.mark.slow
def test_capacity_with_derived_count_gives_a_plan_on_wenzhou():
    # Zhejiang 2019: 1,000 urban / 2,000 rural households per station, county by county
    # (3,494 stations on the built-in pack).
    # Dense communities of up to 13,812 households need many stations nearby, which the
    # uncapacitated optimum does not open: the repair finds a feasible plan.
    scenario = default_scenario("wenzhou").with_changes(
        **{"stations.use_capacity": True, "stations.count": None}
    )
    plan = run_plan("wenzhou", scenario)
    station = plan.results[0]
    assert station.status in ("optimal", "time_limit_feasible") and station.gap is not None
    d = plan.demand
    need = sum(
        math.ceil(g.loc[g["urban"], "households"].sum() / 1000)
        + math.ceil(g.loc[~g["urban"], "households"].sum() / 2000)
        for _, g in d.groupby("county_code")
    )
    assert len(plan.stations) == need == 3494
    served = plan.stations["served_households"].to_numpy()
    assert served.max() <= 2000 + 1e-6
    assert served.sum() == pytest.approx(plan.kpis["households"], rel=1e-9)
