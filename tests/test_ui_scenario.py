"""The scenario page, driven with Streamlit's AppTest: presets, validation in plain words,
save / clone / rename / delete, and the per-county table."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.data.regions import load_region
from planner.scenario import default_scenario
from planner.scenario.form import county_limits, county_table, scenario_problems, table_checks
from planner.store import Store

pytestmark = pytest.mark.usefixtures("planner_home")


def _scenario_script() -> None:
    from planner.ui.pages import scenario as scenario_page
    from planner.ui.state import sidebar

    sidebar()
    scenario_page.render()


def _app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_scenario_script, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _one(elements, suffix: str):
    found = [e for e in elements if e.key and e.key.endswith(suffix)]
    assert len(found) == 1, [e.key for e in elements]
    return found[0]


def _texts(at) -> str:
    parts = [e.value for e in (*at.markdown, *at.success, *at.error, *at.warning, *at.info)]
    return "\n".join(str(p) for p in parts)


def _button(at, key: str):
    return next(b for b in at.button if b.key == key)


def _run(at):
    at.run()
    assert not at.exception, at.exception
    return at


def test_fresh_start_shows_the_regions_preset() -> None:
    at = _app()
    assert at.title[0].value == "情景设置：晋江市"
    assert at.sidebar.selectbox(key="scenario_id").value == 0  # new, not saved
    assert _one(at.number_input, ".stations.count").value == 80
    assert _one(at.number_input, ".centres.count").value == 2
    assert _one(at.text_input, ".name").value == "晋江市 2027 年目标"
    assert any("参数检查通过" in s.value for s in at.success)
    table = at.data_editor[0].value
    assert list(table["code"]) == ["350582"]
    assert "回收站点：各区县下限合计 0；上限合计 不限；全市 80" in _texts(at)


def test_validation_messages_in_plain_words() -> None:
    at = _app()
    _one(at.number_input, ".stations.count").set_value(0)
    _one(at.number_input, ".stations.radius_urban_m").set_value(-5.0)
    _run(at)
    (error,) = at.error
    assert "以下参数需要修改后才能保存" in error.value
    assert "“回收站点数量（个）”必须大于 0（当前为 0）" in error.value
    assert "“城镇覆盖半径（米）”必须大于 0（当前为 -5.0）" in error.value
    assert "stations.count" not in error.value and "Traceback" not in _texts(at)
    assert _button(at, "sc_save").disabled
    # the warning about the township rule cannot apply to a count of 0; no crash either
    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    (error,) = at.error
    assert "“Number of stations” must be greater than 0 (it is 0)" in error.value
    assert "“Urban coverage radius (m)” must be greater than 0 (it is -5.0)" in error.value
    # the edits survive the language switch
    assert _one(at.number_input, ".stations.count").value == 0

    _one(at.number_input, ".stations.count").set_value(10)
    _one(at.number_input, ".stations.radius_urban_m").set_value(500.0)
    _run(at)
    assert not at.error
    # fewer stations than townships: saving is allowed, the warning says why it may fail
    assert any("needs 22 stations, but the city total is 10" in w.value for w in at.warning)
    assert not _button(at, "sc_save").disabled


def test_empty_name_and_derived_count() -> None:
    at = _app()
    _one(at.text_input, ".name").set_value("  ")
    _one(at.checkbox, ".stations.derive").check()
    _one(at.selectbox, ".stations.capacity_standard").set_value("none")
    _run(at)
    (error,) = at.error
    assert "情景名称不能为空" in error.value
    assert "请填写站点数量，或选择一个配置标准来推算数量" in error.value
    assert _one(at.number_input, ".stations.count").disabled


def test_save_clone_rename_delete(planner_home) -> None:
    at = _app()
    _button(at, "sc_save").click()
    _run(at)
    store = Store(planner_home / "planner.sqlite")
    (saved,) = store.list_scenarios("jinjiang")
    assert saved.scenario == default_scenario("jinjiang")
    assert at.sidebar.selectbox(key="scenario_id").value == saved.id
    assert any("已保存情景“晋江市 2027 年目标”" in s.value for s in at.success)

    # edit and save again: the same scenario is updated
    _one(at.number_input, ".stations.count").set_value(90)
    _run(at)
    assert "有未保存的修改" in "\n".join(c.value for c in at.caption)
    _button(at, "sc_save").click()
    _run(at)
    assert [r.scenario.stations.count for r in store.list_scenarios()] == [90]

    # clone the form as a new scenario and switch to it
    _one(at.number_input, ".centres.count").set_value(3)
    _run(at)
    _button(at, "sc_clone").click()
    _run(at)
    original, copy = store.list_scenarios()
    assert copy.name == "晋江市 2027 年目标（副本）" and copy.scenario.centres.count == 3
    assert original.scenario.centres.count == 2  # the original is unchanged
    assert at.sidebar.selectbox(key="scenario_id").value == copy.id
    assert _one(at.text_input, ".name").value == "晋江市 2027 年目标（副本）"

    # rename
    at.text_input(key=f"sc_rename_to_{copy.id}").set_value("三个分拣中心")
    _button(at, "sc_rename").click()
    _run(at)
    assert store.get_scenario(copy.id).name == "三个分拣中心"
    assert "三个分拣中心" in at.sidebar.selectbox(key="scenario_id").format_func(copy.id)
    assert _one(at.text_input, ".name").value == "三个分拣中心"

    # a name already used is refused in plain words
    at.text_input(key=f"sc_rename_to_{copy.id}").set_value("晋江市 2027 年目标")
    _button(at, "sc_rename").click()
    _run(at)
    assert any("已有名为“晋江市 2027 年目标”的情景" in e.value for e in at.error)

    # delete needs the confirmation
    assert _button(at, "sc_delete").disabled
    at.checkbox(key=f"sc_delete_confirm_{copy.id}").check()
    _run(at)
    _button(at, "sc_delete").click()
    _run(at)
    assert [r.id for r in store.list_scenarios()] == [original.id]
    assert any("已删除情景“三个分拣中心”" in s.value for s in at.success)
    assert at.sidebar.selectbox(key="scenario_id").value in (original.id, 0)


def test_create_a_second_scenario_and_switch_between_them(planner_home) -> None:
    at = _app()
    _button(at, "sc_save").click()
    _run(at)
    store = Store(planner_home / "planner.sqlite")
    (first,) = store.list_scenarios()
    # a new scenario from the sidebar starts from the region's preset with a free name
    at.sidebar.selectbox(key="scenario_id").set_value(0)
    _run(at)
    assert _one(at.text_input, ".name").value == "晋江市 2027 年目标 (2)"
    assert "尚未保存" in "\n".join(c.value for c in at.caption)
    _one(at.text_input, ".name").set_value("100 个站点")
    _one(at.number_input, ".stations.count").set_value(100)
    _run(at)
    _button(at, "sc_save").click()
    _run(at)
    first_again, second = store.list_scenarios("jinjiang")
    assert first_again.id == first.id and first_again.scenario.stations.count == 80
    assert second.name == "100 个站点" and second.scenario.stations.count == 100
    picker = at.sidebar.selectbox(key="scenario_id")
    assert picker.value == second.id
    assert picker.options == ["（新情景，未保存）", "晋江市 2027 年目标", "100 个站点"]
    # switching loads each scenario's own values
    picker.set_value(first.id)
    _run(at)
    assert _one(at.number_input, ".stations.count").value == 80
    assert _one(at.text_input, ".name").value == "晋江市 2027 年目标"
    at.sidebar.selectbox(key="scenario_id").set_value(second.id)
    _run(at)
    assert _one(at.number_input, ".stations.count").value == 100


def test_saved_scenarios_survive_a_restart(planner_home) -> None:
    at = _app()
    _one(at.number_input, ".stations.count").set_value(85)
    _button(at, "sc_save").click()
    _run(at)
    (saved,) = Store(planner_home / "planner.sqlite").list_scenarios()

    again = _app()  # a new session, as after restarting the app
    assert again.sidebar.selectbox(key="scenario_id").value == saved.id
    assert _one(again.number_input, ".stations.count").value == 85
    assert "已保存" in "\n".join(c.value for c in again.caption)


def test_wenzhou_preset_switches_the_region() -> None:
    at = _app()
    at.selectbox(key="sc_preset_jinjiang").set_value("wenzhou")
    _button(at, "sc_apply_preset").click()
    _run(at)
    assert at.session_state["region_id"] == "wenzhou"
    assert at.title[0].value == "情景设置：温州市"
    assert _one(at.number_input, ".stations.count").value == 1550
    assert _one(at.number_input, ".centres.count").value == 30
    assert len(at.data_editor[0].value) == 12
    assert any("已载入预设“温州 2027 政策目标”" in i.value for i in at.info)
    assert not at.error


def test_county_table_edits_reach_the_scenario() -> None:
    at = _app()
    at.selectbox(key="sc_preset_jinjiang").set_value("wenzhou")
    _button(at, "sc_apply_preset").click()
    _run(at)
    editor = at.data_editor[0]
    codes = list(editor.value["code"])
    # minimums of 280 stations in the six counties with more than 280 communities:
    # 1,680 > 1,550
    big = ["330324", "330326", "330327", "330329", "330381", "330382"]
    at.session_state[editor.key] = {
        "edited_rows": {str(codes.index(c)): {"st_min": 280} for c in big},
        "added_rows": [],
        "deleted_rows": [],
    }
    _run(at)
    text = _texts(at)
    assert "回收站点：各区县下限合计 1,680" in text
    (error,) = at.error
    assert "回收站点：各区县下限合计 1680，超过全市数量 1550" in error.value
    fix = _button(at, "sc_fix_stations")
    assert "1680" in fix.label
    fix.click()
    _run(at)
    assert _one(at.number_input, ".stations.count").value == 1680
    assert not at.error


# --- the table's plain functions ---------------------------------------------------------


def test_county_table_round_trip() -> None:
    region = load_region("wenzhou")
    data = default_scenario("wenzhou").to_dict()
    data["stations"]["county_min"] = {"330302": 50}
    data["centres"]["county_max"] = {"330303": 2}
    table = county_table(region, data)
    assert len(table) == 12 and table["st_min"].dtype == "Int64"
    assert table.loc[table["code"] == "330302", "st_min"].item() == 50
    assert pd.isna(table.loc[table["code"] == "330303", "st_min"].item())

    table.loc[table["code"] == "330303", "st_max"] = 0  # no stations there: kept
    table.loc[table["code"] == "330304", "ct_min"] = 0  # a minimum of 0: dropped
    limits = county_limits(table)
    assert limits == {
        "st_min": {"330302": 50},
        "st_max": {"330303": 0},
        "ct_min": {},
        "ct_max": {"330303": 2},
    }


def test_table_checks_name_the_tier_and_the_county() -> None:
    region = load_region("wenzhou")
    data = default_scenario("wenzhou").to_dict()
    data["centres"]["county_min"] = {"330302": 3}
    data["centres"]["county_max"] = {"330302": 1}
    data["stations"]["county_max"] = {str(c): 10 for c in region.counties["code"]}
    errors, warnings, fixes = table_checks(region, data, "zh")
    assert errors == ["分拣中心：鹿城区 的下限 3 大于上限 1"]
    assert warnings == ["回收站点：各区县上限合计只有 120，少于全市数量 1550，无法全部布置"]
    assert fixes == {}
    _, en_warnings, _ = table_checks(region, data, "en")
    assert "fewer than the city total 1550" in en_warnings[0]

    data["centres"]["count"] = 5  # 12 counties need a centre each
    _, warnings, _ = table_checks(region, data, "en")
    assert any("need 14 sorting centres, but the city total is 5" in w for w in warnings)


def test_scenario_problems_use_labels_and_county_names() -> None:
    region = load_region("wenzhou")
    data = default_scenario("wenzhou").to_dict()
    data["solver"]["time_limit_s"] = 0
    data["stations"]["county_min"] = {"330302": 1.5}
    scenario, messages = scenario_problems(data, region, "zh")
    assert scenario is None
    assert "“鹿城区 · 站点下限”必须是整数（当前为 1.5）" in messages
    assert "“每个模型的计算时间上限（秒）”必须大于 0（当前为 0.0）" in messages
    scenario, messages = scenario_problems(default_scenario("wenzhou").to_dict(), region, "en")
    assert scenario == default_scenario("wenzhou") and messages == []


def test_choices_survive_a_language_switch() -> None:
    at = _app()
    at.sidebar.selectbox(key="region_id").set_value("wenzhou")
    _run(at)
    _one(at.selectbox, ".stations.objective").set_value("mclp")
    _one(at.selectbox, ".solver.name").set_value("cbc")
    _run(at)
    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    assert at.session_state["region_id"] == "wenzhou"
    assert at.title[0].value == "Scenario: Wenzhou"
    assert _one(at.selectbox, ".stations.objective").value == "mclp"
    assert _one(at.selectbox, ".solver.name").value == "cbc"
    at.sidebar.radio(key="lang").set_value("zh")
    _run(at)
    assert at.session_state["region_id"] == "wenzhou"
    assert _one(at.selectbox, ".stations.objective").value == "mclp"


def test_form_checks_count_existing_sites_and_closed_ones() -> None:
    from dataclasses import replace

    import geopandas as gpd
    from shapely.geometry import Point

    from planner.scenario.form import form_checks

    region = load_region("jinjiang")
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["old1", "old2", "old3"],
            "tier": ["station", "station", "sorting_centre"],
            "status": ["existing_keep", "existing_close", "existing_keep"],
        },
        geometry=[Point(118.57, 24.81), Point(118.58, 24.82), Point(118.59, 24.80)],
        crs="EPSG:4326",
    )
    region = replace(region, sites=sites)
    data = default_scenario("jinjiang").to_dict()
    data["existing"]["count_mode"] = "total"  # the counts are the whole network
    data["stations"]["count"] = 407  # 405 communities + 2 existing, 1 of them closed
    data["stations"]["excluded_sites"] = ["350582001004", "nope"]
    errors, _ = form_checks(region, data, "en")
    assert errors == [
        "Unknown site ids in “Stations to exclude (site ids)” (1): nope (candidate ids look "
        "like 350582001004)",
        "Stations: 407 asked for, but only 405 candidate sites are available "
        "(407 candidates, 2 excluded)",
    ]
    data["stations"]["excluded_sites"] = ["350582001004"]
    data["stations"]["count"] = 405
    data["centres"]["count"] = 1
    data["centres"]["required_sites"] = ["t350582001"]  # plus the kept existing centre
    errors, _ = form_checks(region, data, "zh")
    assert errors == ["分拣中心：必须保留的有 2 个，超过全市数量 1"]
    # 新改扩建 (Jinjiang's default): the kept station old1 comes on top of the count
    data["existing"]["count_mode"] = "new_or_rebuilt"
    data["centres"]["required_sites"] = []
    data["stations"]["count"] = 406
    errors, _ = form_checks(region, data, "en")
    assert errors == [
        "Stations: 406 new or rebuilt + 1 kept asked for, but only 405 candidate sites are "
        "available (407 candidates, 2 excluded)"
    ]


def test_the_radius_says_what_it_does_and_the_coverage_preset_uses_it() -> None:
    """Issue 22: changing the radius of a p-median scenario moved no site, unannounced."""
    at = _app()
    captions = "\n".join(c.value for c in at.caption)
    assert "**不使用服务半径**" in captions  # the default objective is p-median
    at.selectbox(key="sc_preset_jinjiang").set_value("jinjiang_coverage")
    _button(at, "sc_apply_preset").click()
    _run(at)
    assert _one(at.selectbox, ".stations.objective").value == "mclp"
    assert _one(at.text_input, ".name").value == "晋江市 2027 年目标（半径覆盖）"
    captions = "\n".join(c.value for c in at.caption)
    assert "服务半径决定选址：先让半径内的人口最多" in captions
    assert "不使用服务半径" not in captions


def test_under_the_coverage_objective_the_radius_moves_sites() -> None:
    from dataclasses import replace

    from planner.run import run_plan
    from planner.scenario.form import preset_scenario

    coverage = preset_scenario("jinjiang_coverage", "jinjiang", "x")
    assert coverage.stations.objective == "mclp" and coverage.stations.count == 80
    wider = replace(coverage, stations=replace(coverage.stations, radius_urban_m=300.0,
                                               radius_rural_m=1000.0))  # fmt: skip
    a, b = run_plan("jinjiang", coverage), run_plan("jinjiang", wider)
    assert all(r.status == "optimal" for r in (*a.results, *b.results))
    assert set(a.stations["site_id"]) != set(b.stations["site_id"])
