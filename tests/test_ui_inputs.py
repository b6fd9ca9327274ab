"""Bad input in every form field gets a message in the UI language, never a traceback.

Every input of the scenario page (each number, the name, the choices that only make
sense together, the site lists and every column of the per-county table) and of the
import panel (uploads, coordinate system, column choices, the save form) is fed bad
values through Streamlit's AppTest; each case names the message the planner must see,
in Chinese and, after switching the language, in English.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import pytest

from planner.data.regions import load_region
from planner.scenario import default_scenario
from planner.store import Store

pytestmark = pytest.mark.usefixtures("planner_home")


def _run(at):
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(at) -> str:
    """Everything the page says, the import report's HTML table as plain text."""
    kinds = (at.markdown, at.caption, at.success, at.error, at.warning, at.info)
    text = "\n".join(str(e.value) for kind in kinds for e in kind)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


# --- the scenario page ------------------------------------------------------------------------


def _scenario_script() -> None:
    from planner.ui.pages import scenario as scenario_page
    from planner.ui.state import sidebar

    sidebar()
    scenario_page.render()


def _scenario_app():
    from streamlit.testing.v1 import AppTest

    return _run(AppTest.from_function(_scenario_script, default_timeout=120))


def _widget(at, kind: str, path: str):
    (found,) = [w for w in at.get(kind) if w.key and w.key.endswith("." + path)]
    return found


def _number(path: str, value) -> Callable:
    return lambda at: _widget(at, "number_input", path).set_value(value)


def _cleared(path: str) -> Callable:
    """The field emptied: the browser then sends no number and Streamlit reads the
    widget's default, 0, so an emptied count is a count of 0."""
    return lambda at: _widget(at, "number_input", path).set_value(None)


def _text(kind: str, path: str, value: str) -> Callable:
    return lambda at: _widget(at, kind, path).set_value(value)


def _choice(path: str, value: str) -> Callable:
    return lambda at: _widget(at, "selectbox", path).set_value(value)


def _tick(path: str) -> Callable:
    return lambda at: _widget(at, "checkbox", path).check()


def _cells(**cells) -> Callable:
    """Edit the per-county table's first row as typed, e.g. ``st_min="abc"``."""

    def set_(at):
        editor = at.data_editor[0]
        at.session_state[editor.key] = {
            "edited_rows": {"0": cells},
            "added_rows": [],
            "deleted_rows": [],
        }

    return set_


def _budget(value) -> Callable:
    """Edit the per-county budget table's first row as typed."""

    def set_(at):
        editor = at.data_editor[1]
        at.session_state[editor.key] = {
            "edited_rows": {"0": {"budget": value}},
            "added_rows": [],
            "deleted_rows": [],
        }

    return set_


def _all(*setters: Callable) -> Callable:
    def set_(at):
        for setter in setters:
            setter(at)

    return set_


@dataclass(frozen=True)
class Case:
    """One bad input: how to enter it, what the planner is told, and whether it blocks."""

    id: str
    enter: Callable
    zh: str
    en: str
    blocks: bool = True


ST, CT = "stations", "centres"
SCENARIO_CASES = [
    # basics
    Case("name-empty", _text("text_input", "name", "  "), "情景名称不能为空",
         "The scenario needs a name"),
    Case("name-too-long", _text("text_input", "name", "长" * 101),
         "情景名称太长（101 个字符，最多 100 个）",
         "The scenario name is too long (101 characters, at most 100)"),
    # stations
    Case("stations-zero", _number("stations.count", 0),
         "“回收站点数量（个）”必须大于 0（当前为 0）",
         "“Number of stations” must be greater than 0 (it is 0)"),
    Case("stations-negative", _number("stations.count", -3),
         "“回收站点数量（个）”必须大于 0（当前为 -3）",
         "“Number of stations” must be greater than 0 (it is -3)"),
    Case("stations-empty", _cleared("stations.count"),
         "“回收站点数量（个）”必须大于 0（当前为 0）",
         "“Number of stations” must be greater than 0 (it is 0)"),
    Case("stations-over-candidates", _number("stations.count", 1000),
         "回收站点：需要 1,000 个，但只有 405 个候选点可用（共 405 个候选点，其中 0 个被排除）",
         "Stations: 1,000 asked for, but only 405 candidate sites are available "
         "(405 candidates, 0 excluded)"),
    Case("stations-derived-without-standard",
         _all(_tick("stations.derive"), _choice("stations.capacity_standard", "none")),
         "请填写站点数量，或选择一个配置标准来推算数量",
         "Give a number of stations, or choose a standard to derive it from"),
    Case("capacity-without-standard",
         _all(_tick("stations.use_capacity"), _choice("stations.capacity_standard", "none")),
         "勾选了“站点服务户数不超过配置标准”，但“站点配置标准”选的是“不采用”",
         "“Cap each station at the standard” is ticked but “Households-per-station "
         "standard” is None"),
    Case("urban-radius-zero", _number("stations.radius_urban_m", 0.0),
         "“城镇覆盖半径（米）”必须大于 0（当前为 0.0）",
         "“Urban coverage radius (m)” must be greater than 0 (it is 0.0)"),
    Case("rural-radius-negative", _number("stations.radius_rural_m", -2000.0),
         "“农村覆盖半径（米）”必须大于 0（当前为 -2000.0）",
         "“Rural coverage radius (m)” must be greater than 0 (it is -2000.0)"),
    Case("rural-radius-empty", _cleared("stations.radius_rural_m"),
         "“农村覆盖半径（米）”必须大于 0（当前为 0.0）",
         "“Rural coverage radius (m)” must be greater than 0 (it is 0.0)"),
    Case("urban-radius-huge", _number("stations.radius_urban_m", 500_000.0),
         "“城镇覆盖半径（米）”为 500,000 米（500 公里），明显偏大，请确认单位是米",
         "“Urban coverage radius (m)” is 500,000 m (500 km), which is very large",
         blocks=False),
    Case("every-community-rule", _choice("stations.one_per_community", "all"),
         "“每个村/社区至少 1 个站点（每个村和社区）”需要至少 405 个站点，但全市只有 80 个",
         "“At least one station in every community (Every community and village)” needs "
         "405 stations, but the city total is 80", blocks=False),
    Case("village-share-over-100", _number("stations.min_village_share", 150.0),
         "“村/社区覆盖率下限（%）”必须在 0 到 100 之间（当前为 150）",
         "“Minimum share of villages and communities covered (%)” must be between 0 and 100 "
         "(it is 150)"),
    Case("village-share-negative", _number("stations.min_village_share", -10.0),
         "“村/社区覆盖率下限（%）”必须在 0 到 100 之间（当前为 -10）",
         "“Minimum share of villages and communities covered (%)” must be between 0 and 100 "
         "(it is -10)"),
    # sorting centres
    Case("centres-zero", _number("centres.count", 0),
         "“分拣中心数量（个）”必须大于 0（当前为 0）",
         "“Number of sorting centres” must be greater than 0 (it is 0)"),
    Case("centres-negative", _number("centres.count", -1),
         "“分拣中心数量（个）”必须大于 0（当前为 -1）",
         "“Number of sorting centres” must be greater than 0 (it is -1)"),
    Case("centres-empty", _cleared("centres.count"),
         "“分拣中心数量（个）”必须大于 0（当前为 0）",
         "“Number of sorting centres” must be greater than 0 (it is 0)"),
    Case("centres-over-candidates", _number("centres.count", 30),
         "分拣中心：需要 30 个，但只有 22 个候选点可用",
         "Sorting centres: 30 asked for, but only 22 candidate sites are available"),
    Case("capacity-zero", _number("centres.capacity_t_per_day", 0.0),
         "“单个分拣中心处理能力（吨/天）”必须大于 0（当前为 0.0）",
         "“Capacity of one centre (t/day)” must be greater than 0 (it is 0.0)"),
    Case("fixed-cost-negative", _number("centres.fixed_cost", -100.0),
         "“每个分拣中心的固定成本（吨·公里当量）”不能为负数（当前为 -100.0）",
         "“Fixed cost per centre (tonne-km equivalent)” must not be negative (it is -100.0)"),
    # markets (集散交易市场)
    Case("markets-over-centres", _number("markets.count", 3),
         "集散交易市场数 3 多于分拣中心数 2（多 1 个）",
         "3 markets are more than the 2 sorting centres (over by 1)"),
    Case("market-capacity-zero", _number("markets.capacity_t_per_day", 0.0),
         "“单个集散交易市场能力（吨/天）”必须大于 0（当前为 0.0）",
         "“Capacity of one market (t/day)” must be greater than 0 (it is 0.0)"),
    Case("market-fixed-cost-negative", _number("markets.fixed_cost", -100.0),
         "“每个集散交易市场的固定成本（吨·公里当量）”不能为负数（当前为 -100.0）",
         "“Fixed cost per market (tonne-km equivalent)” must not be negative (it is -100.0)"),
    # advanced
    Case("urban-generation-negative", _number("generation.urban_kg_per_person_day", -0.1),
         "“城镇人均再生资源产生量（千克/人·天）”不能为负数（当前为 -0.1）",
         "“Urban recyclables (kg per person per day)” must not be negative (it is -0.1)"),
    Case("rural-generation-huge", _number("generation.rural_kg_per_person_day", 150.0),
         "“农村人均再生资源产生量（千克/人·天）”为 150，明显偏大",
         "“Rural recyclables (kg per person per day)” is 150, which is very large",
         blocks=False),
    Case("circuity-zero", _number("circuity", 0.0), "“绕行系数”必须大于 0（当前为 0.0）",
         "“Circuity factor” must be greater than 0 (it is 0.0)"),
    Case("circuity-below-one", _number("circuity", 0.5),
         "“绕行系数”不能小于 1（道路距离不会短于直线距离；当前为 0.5）",
         "“Circuity factor” cannot be less than 1 (a road is never shorter than the "
         "straight line; it is 0.5)"),
    Case("circuity-huge", _number("circuity", 12.0), "“绕行系数”为 12，明显偏大",
         "“Circuity factor” is 12, which is unusually large", blocks=False),
    Case("grid-negative", _number("dense_grid_m", -100.0),
         "“城区加密候选点间距（米，0 为不加密）”不能为负数（当前为 -100.0）",
         "“Extra urban candidate spacing (m, 0 = none)” must not be negative (it is -100.0)"),
    Case("grid-too-fine", _number("dense_grid_m", 1.0),
         "“城区加密候选点间距（米，0 为不加密）”为 1 米，过密，会产生过多候选点",
         "“Extra urban candidate spacing (m, 0 = none)” of 1 m is too fine"),
    Case("time-limit-zero", _number("solver.time_limit_s", 0.0),
         "“每个模型的计算时间上限（秒）”必须大于 0（当前为 0.0）",
         "“Time limit per model (s)” must be greater than 0 (it is 0.0)"),
    Case("time-limit-huge", _number("solver.time_limit_s", 1e7),
         "“每个模型的计算时间上限（秒）”不能超过 86,400 秒（24 小时；当前为 10,000,000）",
         "“Time limit per model (s)” may not exceed 86,400 s (24 hours; it is 10,000,000)"),
    Case("gap-over-100", _number("solver.gap", 150.0),
         "“可接受的最优性差距（%）”必须不小于 0 且小于 100（当前为 150）",
         "“Acceptable optimality gap (%)” must be at least 0 and less than 100 (it is 150)"),
    Case("gap-negative", _number("solver.gap", -1.0),
         "“可接受的最优性差距（%）”必须不小于 0 且小于 100（当前为 -1）",
         "“Acceptable optimality gap (%)” must be at least 0 and less than 100 (it is -1)"),
    # an id that is not a candidate blocks: a run would refuse it (it was ignored once)
    Case("required-unknown-site", _text("text_area", "stations.required_sites", "abc, 123"),
         "“必须保留的站点编号”中有 2 个编号不是候选点：abc、123",
         "Unknown site ids in “Stations that must be kept (site ids)” (2): abc, 123"),
    Case("excluded-unknown-centre", _text("text_area", "centres.excluded_sites", "350582001"),
         "“排除的分拣中心编号”中有 1 个编号不是候选点：350582001（候选点编号如 t350582001）",
         "(candidate ids look like t350582001)"),
    Case("required-and-excluded",
         _all(_text("text_area", "stations.required_sites", "350582001004"),
              _text("text_area", "stations.excluded_sites", "350582001004")),
         "1 个站点同时被设为“必须保留”和“排除”（例如 350582001004）",
         "1 sites are both required and excluded (e.g. 350582001004)"),
    Case("required-over-count",
         _all(_number("centres.count", 2),
              _text("text_area", "centres.required_sites",
                    "t350582001 t350582002 t350582003")),
         "分拣中心：必须保留的有 3 个，超过全市数量 2",
         "Sorting centres: 3 must be kept, more than the city total of 2"),
    # existing sites and costs
    Case("station-floor-area-negative", _number("existing.station_min_floor_area_m2", -5.0),
         "“回收站点最小面积（平方米，自定）”不能为负数（当前为 -5.0）",
         "“Station minimum floor area (m², own figure)” must not be negative (it is -5.0)"),
    Case("centre-floor-area-negative", _number("existing.centre_min_floor_area_m2", -1.0),
         "“分拣中心最小面积（平方米，自定）”不能为负数（当前为 -1.0）",
         "“Sorting centre minimum floor area (m², own figure)” must not be negative "
         "(it is -1.0)"),
    Case("station-new-cost-negative", _number("costs.station_new_yuan", -1.0),
         "“回收站点·新建（元/个）”不能为负数（当前为 -1.0）",
         "“Station · new (yuan each)” must not be negative (it is -1.0)"),
    Case("station-upgrade-cost-negative", _number("costs.station_upgrade_yuan", -1.0),
         "“回收站点·标准化改造（元/个）”不能为负数（当前为 -1.0）",
         "“Station · upgrade (yuan each)” must not be negative (it is -1.0)"),
    Case("station-closure-cost-negative", _number("costs.station_closure_yuan", -1.0),
         "“回收站点·关停补偿（元/个）”不能为负数（当前为 -1.0）",
         "“Station · closure (yuan each)” must not be negative (it is -1.0)"),
    Case("station-operation-cost-negative",
         _number("costs.station_operation_yuan_per_year", -1.0),
         "“回收站点·运营（元/个·年）”不能为负数（当前为 -1.0）",
         "“Station · running (yuan each per year)” must not be negative (it is -1.0)"),
    Case("centre-new-cost-negative", _number("costs.centre_new_yuan", -1.0),
         "“分拣中心·新建（元/个）”不能为负数（当前为 -1.0）",
         "“Sorting centre · new (yuan each)” must not be negative (it is -1.0)"),
    Case("centre-upgrade-cost-negative", _number("costs.centre_upgrade_yuan", -1.0),
         "“分拣中心·改造（元/个）”不能为负数（当前为 -1.0）",
         "“Sorting centre · upgrade (yuan each)” must not be negative (it is -1.0)"),
    Case("centre-closure-cost-negative", _number("costs.centre_closure_yuan", -1.0),
         "“分拣中心·关停补偿（元/个）”不能为负数（当前为 -1.0）",
         "“Sorting centre · closure (yuan each)” must not be negative (it is -1.0)"),
    Case("centre-operation-cost-negative",
         _number("costs.centre_operation_yuan_per_year", -1.0),
         "“分拣中心·运营（元/个·年）”不能为负数（当前为 -1.0）",
         "“Sorting centre · running (yuan each per year)” must not be negative (it is -1.0)"),
    Case("budget-negative", _number("costs.budget_yuan", -1.0),
         "“总预算（元，一次性费用）”不能为负数（当前为 -1.0）",
         "“Total budget (yuan, one-off)” must not be negative (it is -1.0)"),
    Case("budget-table-text", _budget("abc"),
         "“晋江市 · 预算（元）”必须是不小于 0 的金额（当前为 abc）",
         "“晋江市 · Budget (yuan)” must be an amount of 0 or more (it is abc)"),
    Case("budget-table-negative", _budget(-5),
         "“晋江市 · 预算（元）”不能为负数（当前为 -5.0）",
         "“晋江市 · Budget (yuan)” must not be negative (it is -5.0)"),
    # the per-county table, column by column
    Case("table-text", _cells(st_min="abc"),
         "“晋江市 · 站点下限”必须是不小于 0 的整数（当前为 abc）",
         "“晋江市 · Stations min” must be a whole number, 0 or more (it is abc)"),
    Case("table-negative-max", _cells(st_max=-5),
         "“晋江市 · 站点上限”必须是不小于 0 的整数（当前为 -5）",
         "“晋江市 · Stations max” must be a whole number, 0 or more (it is -5)"),
    Case("table-negative-min", _cells(ct_min=-1),
         "“晋江市 · 分拣中心下限”必须是不小于 0 的整数（当前为 -1）",
         "“晋江市 · Centres min” must be a whole number, 0 or more (it is -1)"),
    Case("table-fraction", _cells(ct_max=1.5),
         "“晋江市 · 分拣中心上限”必须是不小于 0 的整数（当前为 1.5）",
         "“晋江市 · Centres max” must be a whole number, 0 or more (it is 1.5)"),
    Case("table-huge", _cells(st_max=10**9),
         "“晋江市 · 站点上限”不能超过 1,000,000（当前为 1,000,000,000）",
         "“晋江市 · Stations max” may not exceed 1,000,000 (it is 1,000,000,000)"),
    Case("table-min-above-max", _cells(st_min=50, st_max=10),
         "回收站点：晋江市 的下限 50 大于上限 10",
         "Stations: 晋江市's minimum of 50 exceeds its maximum of 10"),
    Case("table-min-over-total", _cells(st_min=100),
         "回收站点：各区县下限合计 100，超过全市数量 80",
         "Stations: the county minimums add up to 100, more than the city total 80"),
    Case("table-min-over-candidates", _all(_number("centres.count", 30), _cells(ct_min=25)),
         "分拣中心：晋江市 的下限 25 超过该区县的候选点数 22",
         "Sorting centres: 晋江市's minimum of 25 exceeds its 22 candidate sites"),
    Case("table-max-under-total", _cells(st_max=60),
         "回收站点：各区县上限合计只有 60，少于全市数量 80，无法全部布置",
         "Stations: the county maximums add up to only 60, fewer than the city total 80",
         blocks=False),
]  # fmt: skip


@pytest.mark.parametrize("case", SCENARIO_CASES, ids=[c.id for c in SCENARIO_CASES])
def test_bad_scenario_input_gets_a_message(case: Case) -> None:
    at = _scenario_app()
    assert not at.error and not at.warning  # the preset itself is fine
    case.enter(at)
    _run(at)
    shown = at.error if case.blocks else at.warning
    assert len(shown) == 1, _texts(at)
    assert case.zh in shown[0].value, shown[0].value
    save = next(b for b in at.button if b.key == "sc_save")
    assert save.disabled is case.blocks
    assert "Traceback" not in _texts(at)

    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    shown = at.error if case.blocks else at.warning
    assert len(shown) == 1, _texts(at)
    assert case.en in shown[0].value, shown[0].value
    assert not re.search(r"[\u4e00-\u9fff]", shown[0].value.replace("晋江市", "")), (
        "a Chinese word in the English message: " + shown[0].value
    )


def test_every_number_field_and_table_column_is_covered() -> None:
    """The cases above reach every number input and every column of the table."""
    from planner.scenario.form import FIELDS

    at = _scenario_app()
    numbers = {w.key.split(".", 1)[1] for w in at.number_input}
    covered = " ".join(c.id for c in SCENARIO_CASES)
    words = {
        "stations.count": "stations-",
        "stations.radius_urban_m": "urban-radius",
        "stations.radius_rural_m": "rural-radius",
        "centres.count": "centres-",
        "centres.capacity_t_per_day": "capacity-zero",
        "centres.fixed_cost": "fixed-cost",
        "markets.count": "markets-over-centres",
        "markets.capacity_t_per_day": "market-capacity-zero",
        "markets.fixed_cost": "market-fixed-cost",
        "generation.urban_kg_per_person_day": "urban-generation",
        "generation.rural_kg_per_person_day": "rural-generation",
        "circuity": "circuity",
        "dense_grid_m": "grid",
        "solver.time_limit_s": "time-limit",
        "solver.gap": "gap",
        "stations.min_village_share": "village-share",
        "existing.station_min_floor_area_m2": "station-floor-area",
        "existing.centre_min_floor_area_m2": "centre-floor-area",
        "costs.station_new_yuan": "station-new-cost",
        "costs.station_upgrade_yuan": "station-upgrade-cost",
        "costs.station_closure_yuan": "station-closure-cost",
        "costs.station_operation_yuan_per_year": "station-operation-cost",
        "costs.centre_new_yuan": "centre-new-cost",
        "costs.centre_upgrade_yuan": "centre-upgrade-cost",
        "costs.centre_closure_yuan": "centre-closure-cost",
        "costs.centre_operation_yuan_per_year": "centre-operation-cost",
        "costs.budget_yuan": "budget-negative",
    }
    assert numbers == set(words)
    for path, word in words.items():
        assert word in covered and path in FIELDS, path
    ids = {c.id for c in SCENARIO_CASES}
    table = {"st_min": "table-text", "st_max": "table-negative-max",
             "ct_min": "table-negative-min", "ct_max": "table-fraction"}  # fmt: skip
    editable = [c for c in at.data_editor[0].value.columns if c not in ("code", "county")]
    assert editable == list(table) and set(table.values()) <= ids
    budgets = [c for c in at.data_editor[1].value.columns if c not in ("code", "county")]
    assert budgets == ["budget"] and {"budget-table-text", "budget-table-negative"} <= ids
    assert {"name-empty", "name-too-long"} <= ids


def test_a_name_already_used_is_refused_before_saving(planner_home) -> None:
    store = Store(planner_home / "planner.sqlite")
    store.save_scenario(default_scenario("jinjiang"))
    at = _scenario_app()
    at.sidebar.selectbox(key="scenario_id").set_value(0)  # a new scenario
    _run(at)
    name = _widget(at, "text_input", "name")
    assert name.value == "晋江市 2027 年目标 (2)"  # a new scenario gets a free name
    name.set_value("晋江市 2027 年目标")
    _run(at)
    (error,) = at.error
    assert "已有名为“晋江市 2027 年目标”的情景，请换一个名称" in error.value
    assert next(b for b in at.button if b.key == "sc_save").disabled
    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    assert "A scenario named “晋江市 2027 年目标” exists already" in at.error[0].value
    assert len(store.list_scenarios()) == 1


def test_fixing_the_input_clears_the_message() -> None:
    at = _scenario_app()
    _widget(at, "number_input", "centres.count").set_value(30)
    _cells(st_min="abc")(at)
    _run(at)
    assert len(at.error[0].value.splitlines()) == 3  # the heading and two problems
    _widget(at, "number_input", "centres.count").set_value(2)
    _cells(st_min=10)(at)
    _run(at)
    assert not at.error
    assert any("参数检查通过" in s.value for s in at.success)
    assert not next(b for b in at.button if b.key == "sc_save").disabled


# --- the import panel -------------------------------------------------------------------------


def _import_script() -> None:
    from planner.ui.pages.imports import render_import_panel
    from planner.ui.state import current_region, sidebar

    sidebar()
    render_import_panel(current_region())


def _import_app(target: str = "counties", **choices):
    from streamlit.testing.v1 import AppTest

    at = _run(AppTest.from_function(_import_script, default_timeout=120))
    at.selectbox(key="imp_target@zh").set_value(target)
    _run(at)
    for key, value in choices.items():
        at.selectbox(key=f"{key}@zh").set_value(value)
    return _run(at)


def _upload(at, name: str, data: bytes, slot: str = "imp_replace"):
    (uploader,) = [u for u in at.file_uploader if u.key and u.key.startswith(slot)]
    uploader.upload(name, data, "application/octet-stream")
    return _run(at)


@pytest.fixture(scope="module")
def counties_geojson() -> bytes:
    return load_region("jinjiang").counties[["code", "name", "geometry"]].to_json().encode()


def _zip(**files: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _csv(**columns) -> bytes:
    return pd.DataFrame(columns).to_csv(index=False).encode("utf-8")


BAD_FILES = [
    ("counties", "empty.geojson", b"", "文件“empty.geojson”是空的，没有任何数据。",
     "The file “empty.geojson” is empty: it holds no data."),
    ("counties", "none.geojson", b'{"type": "FeatureCollection", "features": []}',
     "文件“none.geojson”是空的，没有任何数据。", "The file “none.geojson” is empty"),
    ("counties", "broken.geojson", b'{"type": "FeatureCollection", "features": [ oops',
     "文件“broken.geojson”已损坏或格式不正确，无法读取。",
     "The file “broken.geojson” is damaged or not in the format its name says"),
    ("counties", "noise.gpkg", bytes(range(256)) * 4,
     "文件“noise.gpkg”已损坏或格式不正确，无法读取。", "The file “noise.gpkg” is damaged"),
    ("counties", "broken.kml", b"<kml><Document><Placemark>",
     "文件“broken.kml”已损坏或格式不正确，无法读取。", "The file “broken.kml” is damaged"),
    ("counties", "fake.xlsx", b"not a workbook",
     "文件“fake.xlsx”已损坏或格式不正确，无法读取。", "The file “fake.xlsx” is damaged"),
    ("counties", "readme.zip", _zip(**{"readme.txt": b"hello"}),
     "压缩包“readme.zip”的 1 个文件中没有 Shapefile（.shp 文件）",
     "None of the 1 file in the zip file “readme.zip” is a Shapefile"),
    ("counties", "alone.shp", b"\x00" * 100, "“alone.shp”只是 Shapefile 的一部分",
     "“alone.shp” is only one part of a Shapefile"),
    ("communities", "points.csv", _csv(代码=["350582001001"], 名称=["某村"]),
     "表格“points.csv”中找不到经纬度列",
     "No longitude/latitude columns were found in the table “points.csv”"),
    ("communities", "text.csv",
     _csv(代码=["350582001001"], 名称=["某村"], 经度=["东经"], 纬度=["北纬"]),
     "1 行的坐标不是数字", "1 row has coordinates that are not numbers"),
    ("population", "words.csv", _csv(代码=["350582"], 常住人口=["很多"]),
     "1 个区县的人口不是数字（例如 350582: 很多）", "not numeric"),
    ("population", "negative.csv", _csv(代码=["350582"], 常住人口=[-5]),
     "1 个区县的人口是负数（例如 350582: -5）", "is negative"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("target", "name", "data", "zh", "en"), BAD_FILES, ids=[b[1] for b in BAD_FILES]
)
def test_bad_upload_gets_a_message(target, name, data, zh, en) -> None:
    choices = {"imp_population_level": "counties"} if target == "population" else {}
    at = _import_app(target, **choices)
    _upload(at, name, data)
    (refused,) = at.error
    assert refused.value == "未导入：文件有需要修正的问题（见下），已加载的数据没有任何改动。"
    text = _texts(at)
    assert zh in text, text
    assert "Traceback" not in text
    assert not [b for b in at.button if b.key and "apply" in b.key]
    assert "working_region" not in at.session_state

    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    text = _texts(at)
    assert "Not imported" in at.error[0].value
    assert en in text, text


def _mapping(at, field: str):
    (choice,) = [s for s in at.selectbox if s.key and f"_map_{field}_" in s.key]
    return choice


def test_population_table_columns_and_join_choice() -> None:
    at = _import_app("population", imp_population_level="counties")
    _upload(at, "pop.csv", _csv(代码=["350582"], 名称=["晋江市"], 常住人口=[2_000_000]))
    assert any("检查通过：1 个区县可以导入" in s.value for s in at.success)
    # the population taken from the name column: names are not numbers
    _mapping(at, "population").set_value("名称")
    _run(at)
    assert at.error[0].value.startswith("未导入")
    assert "1 个区县的人口不是数字（例如 350582: 晋江市）" in _texts(at)
    assert "人口 ← 名称" in _texts(at)
    _mapping(at, "population").set_value("")
    _run(at)
    assert any("检查通过" in s.value for s in at.success)
    # the population column taken as the code: no population left, and said so
    _mapping(at, "code").set_value("常住人口")
    _run(at)
    assert at.error[0].value.startswith("未导入")
    assert "缺少必需的列“人口”（population）" in _texts(at)
    _mapping(at, "code").set_value("")
    # match on names, but the table has none
    _run(at)
    (join,) = [r for r in at.radio if r.key and "_join_" in r.key]
    join.set_value("name")
    _mapping(at, "name").set_value("代码")
    _run(at)
    assert at.error[0].value.startswith("未导入")
    assert "人口表的 1 行没有一行能按名称与区县图层对上" in _texts(at)
    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    assert at.error[0].value.startswith("Not imported")
    assert "Traceback" not in _texts(at)


@pytest.mark.parametrize(
    ("code", "zh", "en"),
    [
        ("", "已选择“EPSG 代码（投影坐标）”：请填写代码（例如 4549）后再检查文件。",
         "You chose “EPSG code (projected)”: enter the code (e.g. 4549)"),
        ("abc", "无法识别的坐标系“EPSG:abc”", "Unknown coordinate system 'EPSG:abc'"),
        ("99999", "无法识别的坐标系“EPSG:99999”", "EPSG:99999"),
        ("-1", "无法识别的坐标系“EPSG:-1”", "EPSG:-1"),
        ("4549", "全部 1 个区县都在本地区边界以外", "lie outside the region"),
    ],
    ids=["empty", "letters", "unknown", "negative", "wrong-system"],
)  # fmt: skip
def test_bad_epsg_code_gets_a_message(code, zh, en, counties_geojson) -> None:
    at = _import_app("counties")
    _upload(at, "区县.geojson", counties_geojson)
    assert any("检查通过" in s.value for s in at.success)
    (crs,) = [s for s in at.selectbox if s.key and "_crs_" in s.key]
    crs.set_value("epsg")
    _run(at)
    (epsg,) = [t for t in at.text_input if t.key and "_epsg_" in t.key]
    epsg.input(code)
    _run(at)
    text = _texts(at)
    assert zh in text, text
    assert not any("检查通过" in s.value for s in at.success)
    assert not [b for b in at.button if b.key and "apply" in b.key]
    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    assert en in _texts(at)


SAVE_CASES = [
    ({"id": "", "zh": "某地"}, "请填写区域标识（例如 ruian）。",
     "Please enter a region id (e.g. ruian)."),
    ({"id": "Bad Id", "zh": "某地"}, "区域标识“Bad Id”无效", "Region id “Bad Id” is invalid"),
    ({"id": "x" * 41, "zh": "某地"}, "无效", "invalid"),
    ({"id": "jinjiang", "zh": "晋江"}, "“jinjiang”是内置区域，不能覆盖",
     "“jinjiang” is a built-in region and cannot be overwritten"),
    ({"id": "shishi", "zh": " "}, "请填写区域的中文名称。",
     "Please enter the region's Chinese name."),
    ({"id": "shishi", "zh": "石狮市", "adcode": "35O581"},
     "行政区划代码应为 6 位数字（例如 330381），当前为“35O581”",
     "The division code must be 6 digits (e.g. 330381), not “35O581”"),
    ({"id": "shishi", "zh": "石狮市", "adcode": "3505811"}, "当前为“3505811”", "“3505811”"),
    ({"id": "taken", "zh": "石狮市"}, "已有标识为“taken”的保存区域。如要替换它，请勾选“覆盖”。",
     "A saved region with the id “taken” exists"),
]  # fmt: skip


SAVE_IDS = ["no-id", "bad-id", "long-id", "built-in-id", "no-name", "letter-adcode",
            "long-adcode", "taken-id"]  # fmt: skip


@pytest.mark.parametrize(("fields", "zh", "en"), SAVE_CASES, ids=SAVE_IDS)
def test_bad_save_form_input_gets_a_message(fields, zh, en, counties_geojson) -> None:
    from dataclasses import replace

    from planner.data.regions import list_regions, save_region

    jinjiang = load_region("jinjiang")
    meta = {**jinjiang.meta, "name_zh": "已占用", "name_en": "Taken"}
    save_region(replace(jinjiang, meta=meta), "taken")
    before = {m["id"] for m in list_regions()}
    at = _import_app("counties")
    _upload(at, "区县.geojson", counties_geojson)

    def save(at):
        form = {t.key.rsplit("_", 2)[-2]: t for t in at.text_input if "_save_" in t.key}
        for name, value in fields.items():
            form[name].input(value)
        (submit,) = [b for b in at.button if b.key is None or "save" in str(b.key)]
        submit.click()
        return _run(at)

    save(at)
    assert any(zh in e.value for e in at.error), _texts(at)
    assert {m["id"] for m in list_regions()} == before  # nothing was saved
    assert at.session_state["region_id"] == "jinjiang"
    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    save(at)
    assert any(en in e.value for e in at.error), _texts(at)
    assert {m["id"] for m in list_regions()} == before


def test_new_city_with_a_broken_first_layer(counties_geojson) -> None:
    at = _import_app("counties")
    at.radio(key="imp_mode@zh").set_value("new_city")
    _run(at)
    _upload(at, "区县.geojson", b'{"type": "FeatureCollection", "features": [', "imp_city-counties")
    text = _texts(at)
    assert "文件“区县.geojson”已损坏或格式不正确，无法读取。" in text
    assert "还缺少：乡镇（街道）边界、村（社区）边界或点位。" in text
    assert "Traceback" not in text
    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    text = _texts(at)
    assert "The file “区县.geojson” is damaged" in text and "Still missing" in text
