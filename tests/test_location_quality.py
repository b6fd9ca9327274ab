"""Every site of a plan says whether its position is real or schematic (issue 19, item 4)."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.data.regions import load_region
from planner.plan.location import location_quality
from planner.run import run_plan
from planner.scenario import default_scenario
from planner.views.export.common import site_table

pytestmark = pytest.mark.usefixtures("planner_home")


@pytest.fixture(scope="module")
def jinjiang():
    return load_region("jinjiang")


def test_generated_positions_are_schematic_and_supplied_ones_real(jinjiang):
    towns = jinjiang.townships.set_index("code")
    real_seat = towns.index[towns["seat_source"].str.startswith("geonames")][0]
    made_seat = towns.index[towns["seat_source"] == "generated"][0]
    community = jinjiang.communities["code"].iloc[0]
    sites = pd.DataFrame(
        {
            "source": ["community", "grid", "township_seat", "township_seat", "existing", "user"],
            "community_code": [community, community, None, None, community, community],
            "township_code": [None, None, real_seat, made_seat, None, None],
        }
    )
    got = location_quality(sites, jinjiang).tolist()
    assert got == ["schematic", "schematic", "real", "schematic", "real", "real"]


def test_official_community_layer_makes_its_points_real(jinjiang):
    official = jinjiang.communities.copy()
    official["geometry_quality"] = "official"
    region = jinjiang.with_layer("communities", official)
    sites = pd.DataFrame(
        {
            "source": ["community"],
            "community_code": [official["code"].iloc[0]],
            "township_code": [None],
        }
    )
    assert location_quality(sites, region).tolist() == ["real"]


def test_default_plan_sites_carry_it_and_the_workbook_shows_it(jinjiang):
    plan = run_plan(jinjiang, default_scenario("jinjiang"))
    sites = plan.sites
    assert set(sites["location_quality"]) <= {"real", "schematic"}
    # recomputed independently: a station is schematic exactly when it stands on a
    # generated community point, a centre when its township seat was generated
    seat_source = jinjiang.townships.set_index("code")["seat_source"]
    for row in sites.itertuples():
        if row.source == "township_seat":
            expected = "schematic" if seat_source[row.township_code] == "generated" else "real"
        elif row.source in ("existing", "user"):
            expected = "real"
        else:
            expected = "schematic"
        assert row.location_quality == expected, row.site_id
    stations = site_table(plan, "station", "zh", jinjiang)
    assert stations["位置"].tolist() == ["示意位置"] * len(stations)
    centres = site_table(plan, "sorting_centre", "en", jinjiang)
    assert set(centres["Location"]) <= {"real", "schematic"}
    assert (centres["Location"] == "schematic").sum() == int(
        (sites.loc[sites["tier"] == "sorting_centre", "location_quality"] == "schematic").sum()
    )


def test_maps_and_report_say_how_many_sites_are_schematic(jinjiang):
    from planner.plan.location import schematic_note
    from planner.views import plan_map, to_html

    plan = run_plan(jinjiang, default_scenario("jinjiang"))
    open_sites = plan.sites[plan.sites["action"] != "close"]
    count = int((open_sites["location_quality"] == "schematic").sum())
    assert count >= 80  # every station stands on a generated community point
    note = schematic_note(plan.sites, "zh")
    assert note.startswith(f"{len(open_sites)} 个站点中有 {count} 个为示意位置")
    assert f"{count} of {len(open_sites)} sites" in schematic_note(plan.sites, "en")
    assert note in to_html(plan_map(plan, jinjiang, lang="zh"))
    old = plan.sites.drop(columns="location_quality")  # a plan saved before issue 19
    assert schematic_note(old, "zh") == ""
