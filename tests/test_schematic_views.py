"""Web maps draw schematic geometry as schematic (issue 19, item 4): generated township
and community zones dashed, a legend section "示意位置" counting the schematic sites."""

from __future__ import annotations

import dataclasses
import re

import pytest

from planner.data.regions import load_region
from planner.run import run_plan
from planner.scenario import default_scenario
from planner.views import plan_map, to_html
from planner.views.region_map import region_map
from planner.views.schematic import SCHEMATIC_DASH, schematic_flags, schematic_section

pytestmark = pytest.mark.usefixtures("planner_home")

DASHED = f'"dashArray": "{SCHEMATIC_DASH}"'


@pytest.fixture(scope="module")
def jinjiang():
    return load_region("jinjiang")


@pytest.fixture(scope="module")
def plan(jinjiang):
    return run_plan(jinjiang, default_scenario("jinjiang"))


def _official(region):
    """The region as if its townships and communities were an official layer."""
    towns = region.townships.assign(geometry_quality="official")
    comms = region.communities.assign(geometry_quality="official")
    return dataclasses.replace(region, townships=towns, communities=comms)


def _schematic_features(html: str) -> int:
    return len(re.findall(r'"schematic":\s*true', html))


def test_region_map_dashes_generated_zones_and_says_so(jinjiang):
    generated = int(schematic_flags(jinjiang.townships).sum())
    generated += int(schematic_flags(jinjiang.communities).sum())
    assert generated == len(jinjiang.townships) + len(jinjiang.communities)
    html = to_html(region_map(jinjiang, lang="zh"))
    assert _schematic_features(html) == generated
    assert DASHED in html
    assert "示意位置" in html and "虚线：生成的乡镇/村社区范围" in html
    official = to_html(region_map(_official(jinjiang), lang="zh"))
    assert _schematic_features(official) == 0
    assert DASHED not in official and "虚线：生成的乡镇/村社区范围" not in official


@pytest.mark.parametrize("export", [False, True])
def test_plan_map_legend_counts_the_schematic_sites(jinjiang, plan, export):
    shown = plan.sites[plan.sites["action"] != "close"]
    count = int((shown["location_quality"] == "schematic").sum())
    assert 0 < count < len(shown) + 1
    html = to_html(plan_map(plan, jinjiang, lang="en", export=export))
    assert _schematic_features(html) == len(jinjiang.townships)
    assert DASHED in html
    assert "Schematic positions" in html
    assert f"{count:,} sites at generated (schematic) positions" in html
    official = to_html(plan_map(plan, _official(jinjiang), lang="en", export=export))
    assert DASHED not in official and "Dashed: generated township" not in official


def test_schematic_section_leaves_closed_sites_out_and_is_empty_when_all_is_real(plan):
    sites = plan.sites.copy()
    sites["action"] = "new"
    sites["location_quality"] = "schematic"
    sites.loc[sites.index[:3], "action"] = "close"
    sites.loc[sites.index[3:5], "location_quality"] = "real"
    [(title, rows)] = schematic_section("zh", zones=False, sites=sites)
    assert title == "示意位置"
    assert rows == [("#ffffff", f"{len(sites) - 5:,} 个站点位于生成点位（示意位置）", "round")]
    sites["location_quality"] = "real"
    assert schematic_section("zh", zones=False, sites=sites) == []
    assert schematic_section("zh", zones=False, sites=None) == []


def test_app_map_notice_wraps_short_of_the_legend(jinjiang, plan):
    # the browser showed the long note over the legend's last lines (bottom-right)
    from planner.views.layers import NOTICE_MAX_WIDTH

    html = to_html(plan_map(plan, jinjiang, lang="zh"))
    (notice,) = re.findall(r'<div class="planner-notice" style="([^"]*)"', html)
    assert f"max-width:{NOTICE_MAX_WIDTH};" in notice
    (notice,) = re.findall(
        r'<div class="planner-notice" style="([^"]*)"', to_html(region_map(jinjiang))
    )
    assert "max-width:" in notice


@pytest.mark.parametrize(("lang", "sep"), [("zh", "非官方数据；"), ("en", "not official; ")])
def test_app_map_notice_joins_its_sentences_as_the_language_does(jinjiang, plan, lang, sep):
    # the two notes ran together as "…非官方数据 31 个站点…"
    from planner.i18n import t

    html = to_html(plan_map(plan, jinjiang, lang=lang))
    (text,) = re.findall(r'<div class="planner-notice"[^>]*>(.*?)</div>', html, re.DOTALL)
    assert text.strip().startswith(t("map.approximate", lang))
    assert sep in text


def test_clauses_join_as_each_language_writes_them():
    from planner.format import clauses

    assert clauses(["甲", "", "乙"], "zh") == "甲；乙"
    assert clauses(("a", None, "b"), "en") == "a; b"
    assert clauses([], "en") == ""
