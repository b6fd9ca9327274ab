"""The scenario page's section on existing sites and costs, and the compliance check with
its overrides (issue 15), driven with Streamlit's AppTest on the small region 试城 of
:mod:`tests.test_existing_network` (saved as a user region, so the page can load it)."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.data.regions import save_region
from planner.i18n import PlannerError
from planner.scenario import Scenario
from planner.scenario.form import (
    assumed_costs,
    budget_cell_problems,
    budget_table,
    county_budgets,
    scenario_problems,
    standard_summary,
)
from planner.store import Store
from tests.test_existing_network import make_region

pytestmark = pytest.mark.usefixtures("planner_home")


def _script() -> None:
    from planner.ui.pages import scenario as scenario_page
    from planner.ui.state import sidebar

    sidebar()
    scenario_page.render()


def _app():
    from streamlit.testing.v1 import AppTest

    save_region(make_region())
    at = AppTest.from_function(_script, default_timeout=120)
    at.session_state["region_id"] = "testville"
    return _run(at)


def _run(at):
    at.run()
    assert not at.exception, at.exception
    return at


def _one(elements, suffix: str):
    found = [e for e in elements if e.key and e.key.endswith(suffix)]
    assert len(found) == 1, [e.key for e in elements]
    return found[0]


def _frame(at, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def _small_counts(at):
    """Five stations and one centre (试城 has 12 villages), so the scenario can be saved."""
    _one(at.checkbox, ".stations.derive").uncheck()
    _run(at)
    _one(at.number_input, ".stations.count").set_value(5)
    _one(at.number_input, ".centres.count").set_value(1)
    return _run(at)


def _save(at):
    at.button(key="sc_save").click()
    _run(at)
    assert any("已保存情景" in s.value for s in at.success), [e.value for e in at.error]
    return at


# --- the form's section -----------------------------------------------------------------------


def test_section_shows_the_standard_and_labels_default_costs_as_assumptions() -> None:
    at = _app()
    standard = _one(at.selectbox, ".existing.standard")
    assert standard.value == "sbt10719"
    assert standard.options == [
        "晋政文〔2024〕98号（晋江 2024）",
        "自定义（仅按规划人员设定）",
        "SB/T 10719-2012 再生资源回收站点建设管理规范",
    ]
    text = _captions(at)
    assert "来源：SB/T 10719-2012《再生资源回收站点建设管理规范》" in text
    assert "回收站点最小面积：10 平方米。固定回收站点营业面积一般应不少于10平方米" in text
    assert "分拣中心最小面积：未规定（不检查面积，可在下方自定）。Not given by" in text
    # every unit cost is still the default: each says so, and the count is given
    new = _one(at.number_input, ".costs.station_new_yuan")
    assert (new.label, new.value) == ("回收站点·新建（元/个）（规划假设）", 50_000.0)
    assert "8 项单价仍是默认的规划假设" in text
    # the planner's floor areas and the budget start empty: the standard's, no ceiling
    assert _one(at.number_input, ".existing.station_min_floor_area_m2").value is None
    assert _one(at.number_input, ".costs.budget_yuan").value is None
    mode = _one(at.radio, ".existing.count_mode")
    assert mode.value == "total" and mode.options == ["全网总数", "新改扩建"]

    # a standard that gives no floor area says 未规定 for stations too
    standard.set_value("jinjiang2024")
    new.set_value(60_000.0)
    _run(at)
    text = _captions(at)
    assert "来源：晋江市人民政府 晋政文〔2024〕98号" in text
    assert "回收站点最小面积：未规定（不检查面积，可在下方自定）。The policy text gives no" in text
    new = _one(at.number_input, ".costs.station_new_yuan")
    assert (new.label, new.value) == ("回收站点·新建（元/个）", 60_000.0)  # the city's figure
    assert "7 项单价仍是默认的规划假设" in _captions(at)

    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    upgrade = _one(at.number_input, ".costs.station_upgrade_yuan")
    assert upgrade.label == "Station · upgrade (yuan each) (planning assumption)"
    assert _one(at.selectbox, ".existing.standard").value == "jinjiang2024"
    assert "Station minimum floor area (m², own figure)" in [n.label for n in at.number_input]


def test_budget_count_mode_and_the_rest_are_saved_and_load_again(planner_home) -> None:
    at = _small_counts(_app())
    _one(at.radio, ".existing.count_mode").set_value("new_or_rebuilt")
    _one(at.number_input, ".costs.budget_yuan").set_value(2_500_000.0)
    _one(at.selectbox, ".existing.standard").set_value("jinjiang2024")
    _one(at.number_input, ".existing.station_min_floor_area_m2").set_value(8.0)
    _one(at.number_input, ".costs.centre_new_yuan").set_value(3_000_000.0)
    _one(at.number_input, ".stations.min_village_share").set_value(70.0)
    budgets = at.data_editor[1]
    assert list(budgets.value["county"]) == ["西县", "东县"]
    at.session_state[budgets.key] = {
        "edited_rows": {"1": {"budget": 400_000}},
        "added_rows": [],
        "deleted_rows": [],
    }
    _run(at)
    assert not at.error
    _save(at)

    (record,) = Store(planner_home / "planner.sqlite").list_scenarios("testville")
    s = record.scenario
    assert s.existing.count_mode == "new_or_rebuilt"
    assert s.existing.standard == "jinjiang2024"
    assert s.existing.station_min_floor_area_m2 == 8.0
    assert s.existing.centre_min_floor_area_m2 is None
    assert s.costs.budget_yuan == 2_500_000.0
    assert s.costs.centre_new_yuan == 3_000_000.0 and s.costs.station_new_yuan == 50_000.0
    assert s.costs.county_budget_yuan == {"350902": 400_000.0}
    assert s.stations.min_village_share == 0.7

    again = _app()  # a new session, as after restarting the app
    assert again.sidebar.selectbox(key="scenario_id").value == record.id
    assert _one(again.radio, ".existing.count_mode").value == "new_or_rebuilt"
    assert _one(again.selectbox, ".existing.standard").value == "jinjiang2024"
    assert _one(again.number_input, ".costs.budget_yuan").value == 2_500_000.0
    assert _one(again.number_input, ".existing.station_min_floor_area_m2").value == 8.0
    assert _one(again.number_input, ".existing.centre_min_floor_area_m2").value is None
    assert _one(again.number_input, ".stations.min_village_share").value == 70.0
    assert _one(again.number_input, ".costs.centre_new_yuan").label == "分拣中心·新建（元/个）"
    table = again.data_editor[1].value
    assert table["budget"].isna().tolist() == [True, False]
    assert table["budget"].iloc[1] == 400_000.0
    assert "有未保存的修改" not in _captions(again)  # read back exactly as saved

    # clearing the budget is "no ceiling" again
    _one(again.number_input, ".costs.budget_yuan").set_value(None)
    _run(again)
    _save(again)
    stored = Store(planner_home / "planner.sqlite").get_scenario(record.id).scenario
    assert stored.costs.budget_yuan is None


def test_budget_cells_and_shares_are_checked_in_plain_words() -> None:
    at = _small_counts(_app())
    budgets = at.data_editor[1]
    at.session_state[budgets.key] = {
        "edited_rows": {"0": {"budget": -5}},
        "added_rows": [],
        "deleted_rows": [],
    }
    _run(at)
    (error,) = at.error
    assert "“西县 · 预算（元）”必须是不小于 0 的金额（当前为 -5）" in error.value
    assert "“西县 · 预算（元）”不能为负数（当前为 -5.0）" in error.value  # the scenario's own
    assert "costs.county_budget_yuan" not in error.value and "Traceback" not in error.value
    assert at.button(key="sc_save").disabled
    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    (error,) = at.error
    assert "“西县 · Budget (yuan)” must be an amount of 0 or more (it is -5)" in error.value


def test_scenario_problems_show_the_village_share_in_percent_and_costs_by_label() -> None:
    region = make_region()
    data = Scenario(region="testville").to_dict()
    data["stations"]["min_village_share"] = 1.5
    data["costs"]["station_upgrade_yuan"] = -1.0
    data["existing"]["standard"] = "gb2099"
    scenario, messages = scenario_problems(data, region, "zh")
    assert scenario is None
    assert "“村/社区覆盖率下限（%）”必须在 0 到 100 之间（当前为 150）" in messages
    assert "“回收站点·标准化改造（元/个）”不能为负数（当前为 -1.0）" in messages
    choices = '“合规标准”只能取 jinjiang2024/planner_defined/sbt10719（当前为 "gb2099"）'
    assert choices in messages
    _, messages = scenario_problems(data, region, "en")
    field = "“Minimum share of villages and communities covered (%)”"
    assert f"{field} must be between 0 and 100 (it is 150)" in messages


# --- the form's plain functions ---------------------------------------------------------------


def test_budget_table_round_trip_and_cell_checks() -> None:
    region = make_region()
    data = Scenario(region="testville").to_dict()
    data["costs"]["county_budget_yuan"] = {"350901": 120_000.0}
    table = budget_table(region, data)
    assert table["budget"].dtype == "Float64" and table["budget"].iloc[0] == 120_000.0
    assert pd.isna(table["budget"].iloc[1])
    table.loc[1, "budget"] = 0.0  # a ceiling of nothing is a ceiling
    assert county_budgets(table) == {"350901": 120_000.0, "350902": 0.0}
    edits = {"edited_rows": {"0": {"budget": "很多"}, "1": {"budget": 5}}}
    assert budget_cell_problems(table, edits, region, "zh") == [
        "“西县 · 预算（元）”必须是不小于 0 的金额（当前为 很多）"
    ]


def test_assumed_costs_and_the_standards_summary() -> None:
    data = Scenario().to_dict()
    assert len(assumed_costs(data)) == 8
    data["costs"]["station_new_yuan"] = 45_000.0
    data["costs"]["budget_yuan"] = 1.0  # a budget is not a unit cost
    assert "costs.station_new_yuan" not in assumed_costs(data) and len(assumed_costs(data)) == 7
    lines = standard_summary("planner_defined", "en")
    assert lines[0] == "Source: Set by the planner in the scenario (no published standard) (2026)"
    assert lines[1].startswith("Stations: minimum floor area not given (not checked;")
    (unknown,) = standard_summary("nope", "zh")
    assert unknown == "没有名为“nope”的合规标准（可选：jinjiang2024/planner_defined/sbt10719）"


# --- the compliance check and the overrides ---------------------------------------------------


def test_compliance_check_lists_each_site_with_its_action_and_reasons() -> None:
    at = _app()
    counts = _frame(at, "关停")
    stations = counts.set_index("层级").loc["回收站点"].to_dict()
    assert stations == {"标准化改造": 1, "保留": 1, "关停": 2}
    assert counts.set_index("层级").loc["分拣中心", "关停"] == 1
    table = _frame(at, "处置").set_index("站点编号")
    assert table["处置"].to_dict() == {
        "E1": "保留", "E2": "标准化改造", "E3": "关停", "E4": "关停", "Y1": "关停"
    }  # fmt: skip
    assert table.loc["E2", "原因"] == "面积不足标准"
    assert table.loc["E4", "原因"] == "已停用；未标准化；消防情况待核实"
    assert table.loc["E2", "区县"] == "东县" and table.loc["Y1", "最小面积（平方米）"] == "—"
    # a new scenario is saved before overrides are recorded
    assert any("请先保存情景，再修改现有站点的处置" in i.value for i in at.info)
    # the preview follows the form: the planner's own floor area of 5 m² keeps E2
    _one(at.number_input, ".existing.station_min_floor_area_m2").set_value(5.0)
    _run(at)
    assert _frame(at, "处置").set_index("站点编号").loc["E2", "处置"] == "保留"
    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    table = _frame(at, "Action").set_index("Site id")
    assert table.loc["E3", "Action"] == "Close"
    assert table.loc["E3", "Reasons"] == "no business licence or registration"


def test_override_needs_a_reason_then_is_saved_and_audited(planner_home) -> None:
    at = _save(_small_counts(_app()))
    store = Store(planner_home / "planner.sqlite")
    (record,) = store.list_scenarios("testville")
    at.selectbox(key="sc_ov_site").set_value("E3")
    at.radio(key="sc_ov_action").set_value("keep")
    at.text_input(key="sc_ov_author").set_value("王工")
    at.button(key="sc_ov_submit").click()
    _run(at)
    (error,) = at.error
    assert "修改未保存" in error.value
    assert "现有站点 E3 的处置被人工修改，但没有填写理由：请写明理由（审计记录需要）" in error.value
    assert store.override_history(record.id) == []
    assert store.get_scenario(record.id).scenario.existing.actions == {}
    assert "还没有人工修改。" in _captions(at)

    at.text_input(key="sc_ov_reason").set_value("已补办执照")
    at.button(key="sc_ov_submit").click()
    _run(at)
    assert not at.error
    assert any("已记录：王工 将站点 E3 的处置改为“保留”" in s.value for s in at.success)
    (override,) = store.override_history(record.id)
    assert (override.site_id, override.tier, override.old_action, override.new_action) == (
        "E3", "station", "close", "keep"
    )  # fmt: skip
    assert (override.author, override.reason, override.version) == ("王工", "已补办执照", 1)
    saved = store.get_scenario(record.id).scenario.existing
    assert saved.actions == {"E3": "keep"} and saved.reasons == {"E3": "已补办执照"}
    table = _frame(at, "处置").set_index("站点编号")
    assert table.loc["E3", "处置"] == "保留"
    assert table.loc["E3", "原因"] == "无营业执照/备案；人工调整"
    assert table.loc["E3", "人工修改理由"] == "已补办执照"
    audit = _frame(at, "原处置")
    assert audit[["审核人", "站点编号", "原处置", "新处置", "原因/备注"]].values.tolist() == [
        ["王工", "E3", "关停", "保留", "已补办执照"]
    ]
    assert at.text_input(key="sc_ov_reason").value == ""  # ready for the next one
    assert "有未保存的修改" not in _captions(at)  # the form knows the scenario changed

    # without a name nothing is stored either
    at.text_input(key="sc_ov_author").set_value("")
    at.selectbox(key="sc_ov_site").set_value("E1")
    at.radio(key="sc_ov_action").set_value("close")
    at.text_input(key="sc_ov_reason").set_value("租约到期")
    at.button(key="sc_ov_submit").click()
    _run(at)
    assert "请先填写审核人姓名" in at.error[0].value
    assert len(store.override_history(record.id)) == 1

    # taking the override back: the standard decides again, and the trail keeps both
    at.text_input(key="sc_ov_author").set_value("李工")
    at.selectbox(key="sc_ov_site").set_value("E3")
    _run(at)
    assert at.radio(key="sc_ov_action").options[-1] == "撤销人工修改（按标准判定）"
    at.radio(key="sc_ov_action").set_value("standard")
    at.text_input(key="sc_ov_reason").set_value("执照未通过复核")
    at.button(key="sc_ov_submit").click()
    _run(at)
    first, second = store.override_history(record.id)
    assert first == override  # append-only: the first row is as it was
    assert (second.old_action, second.new_action, second.author, second.version) == (
        "keep", "standard", "李工", 2
    )  # fmt: skip
    assert store.get_scenario(record.id).scenario.existing.actions == {}
    assert _frame(at, "处置").set_index("站点编号").loc["E3", "处置"] == "关停"
    audit = _frame(at, "原处置")
    assert audit["新处置"].tolist() == ["撤销人工修改（按标准判定）", "保留"]  # newest first


def test_overrides_wait_for_unsaved_changes_to_the_standard() -> None:
    at = _save(_small_counts(_app()))
    assert at.button(key="sc_ov_submit")
    _one(at.selectbox, ".existing.standard").set_value("planner_defined")
    _run(at)
    assert any("合规标准、最小面积或处置有未保存的修改" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "sc_ov_submit"]


def _stale_save(planner_home):
    """A saved scenario open on the page; a reviewer overrides E3 from another session;
    the planner then changes the station count to 6 and presses save."""
    at = _save(_small_counts(_app()))
    store = Store(planner_home / "planner.sqlite")
    (record,) = store.list_scenarios("testville")
    store.record_override(record.id, "station", "E3", "close", "keep", "李工", "已补办执照", 0)
    _one(at.number_input, ".stations.count").set_value(6)
    _run(at)
    at.button(key="sc_save").click()
    return _run(at), store, record


def test_stale_scenario_edit_does_not_overwrite_a_reviewers_override(planner_home) -> None:
    at, store, record = _stale_save(planner_home)
    (error,) = at.error
    assert "在您打开之后已被修改" in error.value and "复制为新情景" in error.value
    kept = store.get_scenario(record.id).scenario
    assert kept.existing.actions == {"E3": "keep"} and kept.stations.count == 5
    assert at.button(key="sc_load_latest")
    # the planner's edit is not lost: saved as a copy, it has it
    at.button(key="sc_clone").click()
    _run(at)
    copy = next(r for r in store.list_scenarios("testville") if r.id != record.id)
    assert copy.scenario.stations.count == 6


def test_load_latest_reopens_the_stored_scenario_after_a_refused_save(planner_home) -> None:
    at, store, record = _stale_save(planner_home)
    at.button(key="sc_load_latest").click()
    _run(at)
    assert not [b for b in at.button if b.key == "sc_load_latest"]
    assert _one(at.number_input, ".stations.count").value == 5  # the stored count
    _one(at.number_input, ".stations.count").set_value(7)
    _run(at)
    _save(at)  # now based on the latest: saved, the override kept
    kept = store.get_scenario(record.id).scenario
    assert kept.stations.count == 7 and kept.existing.actions == {"E3": "keep"}


def test_store_refuses_a_save_based_on_an_older_scenario(planner_home) -> None:
    store = Store(planner_home / "planner.sqlite")
    first = store.save_scenario(Scenario.from_dict({"region": "testville", "name": "甲"}))
    seen = first.scenario
    store.record_override(first.id, "station", "E3", "close", "keep", "李工", "已补办执照", 0)
    edit = Scenario.from_dict({**seen.to_dict(), "circuity": 1.4})
    with pytest.raises(PlannerError) as err:
        store.save_scenario(edit, first.id, expected=seen)
    assert err.value.key == "store.scenario_changed" and err.value.params["name"] == "甲"
    assert store.get_scenario(first.id).scenario.existing.actions == {"E3": "keep"}
    current = store.get_scenario(first.id).scenario
    again = Scenario.from_dict({**current.to_dict(), "circuity": 1.4})
    saved = store.save_scenario(again, first.id, expected=current)
    assert saved.scenario.circuity == 1.4 and saved.scenario.existing.actions == {"E3": "keep"}
    # without an expected scenario (the CLI, scripts) a save overwrites, as before
    assert store.save_scenario(edit, first.id).scenario.existing.actions == {}
