"""Review page (AppTest): decisions, conflicts, history, re-run with diff, exports."""

from __future__ import annotations

import io
import time

import openpyxl
import pytest
from pyproj import Geod

from planner.plan import Plan
from planner.scenario import default_scenario
from planner.store import Store

pytestmark = pytest.mark.usefixtures("planner_home")


@pytest.fixture(scope="module")
def jinjiang_plan() -> Plan:
    from planner.run import run_plan

    return run_plan("jinjiang", default_scenario("jinjiang"))


@pytest.fixture
def stored(planner_home, jinjiang_plan):
    store = Store(planner_home / "planner.sqlite")
    scenario = store.save_scenario(default_scenario("jinjiang"))
    record = store.save_plan(scenario.id, jinjiang_plan, seconds=2.0)
    return store, scenario.id, record


def _script() -> None:
    from planner.ui.pages import review as review_page
    from planner.ui.state import sidebar

    sidebar()
    review_page.render()


def _app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_script, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    return at


def _decide(at, sites: list[str], action: str, reason: str = "", **extra) -> None:
    at.multiselect(key="review_pick").set_value([f"station|{s}" for s in sites])
    at.radio(key="review_action").set_value(action)
    at.text_input(key="review_reason").set_value(reason)
    for key, value in extra.items():
        at.session_state[key] = value
    at.run()
    at.button(key="review_submit").click()
    at.run()
    assert not at.exception, at.exception


def _texts(at) -> str:
    return "\n".join(str(e.value) for e in (*at.success, *at.error, *at.info, *at.caption))


def test_review_page_without_plans() -> None:
    at = _app()
    assert any("还没有可审核的规划结果" in i.value for i in at.info)


def test_decisions_are_recorded_with_who_and_why(stored, jinjiang_plan) -> None:
    store, sid, record = stored
    ids = list(jinjiang_plan.stations["site_id"])
    at = _app()
    assert at.button(key="review_submit").disabled  # no reviewer name yet
    assert "填写审核人姓名" in _texts(at)
    at.text_input(key="review_reviewer").set_value("王工")
    at.run()
    table = next(d.value for d in at.dataframe if "审核状态" in d.value.columns)
    assert len(table) == 82 and set(table["审核状态"]) == {"待审核"}

    _decide(at, ids[:2], "approve")
    assert "已记录：王工 对 2 个站点“批准”" in _texts(at)
    _decide(at, [ids[2]], "reject")  # no reason: refused, nothing stored
    assert "“否决”需要填写原因" in _texts(at)
    _decide(at, [ids[2]], "reject", "消防不合格")
    _decide(at, [ids[3]], "lock")
    _decide(at, [ids[3]], "reject", "想否决")
    assert "已被 王工 锁定" in _texts(at)

    states = store.review_states(sid)
    assert {k[1]: s.status for k, s in states.items()} == {
        ids[0]: "approved",
        ids[1]: "approved",
        ids[2]: "rejected",
        ids[3]: "approved",
    }
    assert states[("station", ids[3])].locked
    rejected = store.review_history(sid, "station", ids[2])
    assert [(d.reviewer, d.action, d.reason, d.plan_id) for d in rejected] == [
        ("王工", "reject", "消防不合格", record.id)
    ]
    table = next(d.value for d in at.dataframe if "审核状态" in d.value.columns)
    row = table.set_index("站点编号").loc[ids[2]]
    assert (row["审核状态"], row["审核人"], row["原因/备注"]) == ("已否决", "王工", "消防不合格")
    # the lock shows in the status, not only in a tick box (issue 22)
    assert table.set_index("站点编号").loc[ids[3], "审核状态"] == "已批准（已锁定）"
    assert table.set_index("站点编号").loc[ids[0], "审核状态"] == "已批准"
    # filter by status: the rejected one alone
    at.multiselect(key="review_f_status").set_value(["rejected"])
    at.run()
    table = next(d.value for d in at.dataframe if "审核状态" in d.value.columns)
    assert list(table["站点编号"]) == [ids[2]]
    # the audit view lists the site's history
    at.selectbox(key="review_audit_site").set_value(ids[2])
    at.run()
    audit = next(d.value for d in at.dataframe if "操作" in d.value.columns)
    assert list(audit["操作"]) == ["否决"] and list(audit["原因/备注"]) == ["消防不合格"]


def test_a_concurrent_decision_is_reported_not_overwritten(stored, jinjiang_plan) -> None:
    store, sid, record = stored
    site = str(jinjiang_plan.stations["site_id"].iloc[5])
    at = _app()
    at.text_input(key="review_reviewer").set_value("李科长")
    at.multiselect(key="review_pick").set_value([f"station|{site}"])
    at.radio(key="review_action").set_value("reject")
    at.text_input(key="review_reason").set_value("河道旁")
    at.run()
    # while 李科长 looks at the page, 王工 decides on the same site in another session
    Store(store.path).record_review(sid, record.id, "王工", "approve", [("station", site)], {})
    at.button(key="review_submit").click()
    at.run()
    text = _texts(at)
    assert "已被其他审核人修改" in text and "王工" in text and "批准" in text
    assert [d.reviewer for d in store.review_history(sid)] == ["王工"]
    # the page now shows the other decision; deciding again is accepted
    _decide(at, [site], "reject", "河道旁")
    assert [(d.reviewer, d.action) for d in store.review_history(sid)] == [
        ("王工", "approve"),
        ("李科长", "reject"),
    ]


def test_move_to_coordinates_outside_the_region_is_refused(stored, jinjiang_plan) -> None:
    store, sid, _ = stored
    site = str(jinjiang_plan.stations["site_id"].iloc[0])
    at = _app()
    at.text_input(key="review_reviewer").set_value("王工")
    at.run()
    at.multiselect(key="review_pick").set_value([f"station|{site}"])
    at.radio(key="review_action").set_value("move")
    at.run()
    at.radio(key="review_move_kind").set_value("point")
    at.run()
    at.number_input(key="review_lon").set_value(121.47)
    at.number_input(key="review_lat").set_value(31.23)
    at.text_input(key="review_reason").set_value("换址")
    at.run()
    at.button(key="review_submit").click()
    at.run()
    assert "不在区域" in _texts(at)
    assert store.review_history(sid) == []
    # the nearest choice is a spot 250 m away (issue 22: nothing was offered within 3.6 km)
    at.radio(key="review_move_kind").set_value("candidate")
    at.run()
    target = at.selectbox(key="review_move_pick").value
    assert target.startswith("pt:")
    at.button(key="review_submit").click()
    at.run()
    (move,) = store.review_history(sid)
    assert move.action == "move" and not move.move_to.site_id
    spot = jinjiang_plan.stations.geometry.iloc[0]
    _, _, metres = Geod(ellps="WGS84").inv(spot.x, spot.y, move.move_to.lon, move.move_to.lat)
    assert metres == pytest.approx(250, abs=2)


def test_rerun_shows_the_diff_and_exports_xlsx(stored, jinjiang_plan) -> None:
    store, sid, record = stored
    ids = list(jinjiang_plan.stations["site_id"])
    store.record_review(sid, record.id, "王工", "reject", [("station", ids[0])], {}, "消防不合格")
    # a plan computed on the run page for this scenario is not shown as this page's news
    from planner.ui.jobs import runs as jobs

    plain = jobs.start(store.path, sid, store.get_scenario(sid).scenario)
    deadline = time.monotonic() + 240
    while plain.poll() == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    at = _app()
    at.session_state["run_jobs"] = {sid: plain.id}
    at.selectbox(key="review_plan").set_value(record.id)
    at.run()
    assert not any("计算完成" in m.value for m in at.success)  # issue 22: a stale box
    at.radio(key="review_mode").set_value("keep")
    at.button(key="review_rerun").click()
    at.run()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(store.list_plans(sid)) < 3:
        time.sleep(0.5)
    # the worker stores the plan just before it exits: wait for the exit too
    while time.monotonic() < deadline and jobs.running(sid):
        time.sleep(0.2)
    at.run()  # the job is done: the page opens the new plan and its diff at once
    assert not at.exception, at.exception
    new = store.list_plans(sid)[0]
    assert new.parent_id == record.id
    assert at.selectbox(key="review_plan").value == new.id
    shown = "\n".join(m.value for m in at.markdown)
    assert "新增 1 个，移除 1 个，迁移 0 个站点。" in shown
    # where the replacement of the rejected site went (issue 22), in its own words
    assert "被拒绝站点的替换位置" in shown
    line = next(x for x in shown.splitlines() if x.startswith("- ") and ids[0] in x)
    assert ("在同一乡镇/街道" in line or "改在同一区县" in line) and "新站点" in line
    diff = next(
        d.value for d in at.dataframe if "变化" in d.value.columns and "新站点" in d.value.columns
    )
    assert set(diff["变化"]) == {"新增", "移除"}
    assert diff.set_index("变化").loc["移除", "站点编号"] == ids[0]
    kpis = next(d.value for d in at.dataframe if "审核前" in d.value.columns)
    assert kpis.set_index("指标").loc["回收站点", "审核后"] == "80"
    # the rejected site is still listed as reviewed, outside this plan
    assert "1 条审核意见涉及本方案中没有的站点" in _texts(at)

    (download,) = [d for d in at.get("download_button") if "xlsx" in d.proto.label]
    assert download.proto.label.endswith("_sites.xlsx")
    # the bytes behind the button (AppTest keeps no media files after a run)
    from planner.data.regions import load_region
    from planner.ui.widgets.export_panel import export_bytes

    name, data, mime = export_bytes(store.load_plan(new.id), load_region("jinjiang"),
                                    ("test", new.id), "xlsx", "zh", "a4")  # fmt: skip
    assert download.proto.label == f"下载 {name}" and mime.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert sum(book[s].max_row - 1 for s in book.sheetnames if "站" in s) >= 80
