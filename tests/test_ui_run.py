"""Runs in background processes (planner.ui.jobs.runs / planner.ui.jobs.worker) and the run page."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from planner.scenario import default_scenario
from planner.ui.jobs import runs as jobs

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("planner_home")]


def _wait(job: jobs.Job, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while job.poll() == "running":
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.2)
    return job.poll()


def test_a_run_reports_its_stages_and_stores_the_plan(store) -> None:
    record = store.save_scenario(default_scenario("jinjiang"))
    job = jobs.start(store.path, record.id, record.scenario)
    seen = set()
    while job.poll() == "running":
        seen.add(job.progress()[0])
        time.sleep(0.05)
    assert job.poll() == "done", job.result
    assert seen & {"run.stage.stations", "run.stage.centres", "ui.run.stage.loading"}
    plan = store.get_plan(job.result["plan_id"])
    assert plan.scenario_id == record.id and (plan.stations, plan.centres) == (80, 2)
    assert plan.status == "optimal" and plan.seconds > 0
    assert not job.folder.exists()  # the job folder is cleaned up
    assert jobs.get(job.id) is job and job not in jobs.running()


def test_a_run_can_be_stopped_and_stores_nothing(store) -> None:
    record = store.save_scenario(default_scenario("wenzhou"))  # long enough to stop mid-run
    job = jobs.start(store.path, record.id, record.scenario)
    deadline = time.monotonic() + 60
    while job.progress()[0] not in ("run.stage.instance", "run.stage.stations"):
        assert time.monotonic() < deadline and job.poll() == "running"
        time.sleep(0.1)
    assert jobs.running(record.id) == [job]
    job.stop()
    assert job.poll() == "stopped" and job.result == {"state": "stopped"}
    assert job.proc.returncode is not None
    assert store.list_plans() == []
    assert jobs.running() == []


def test_a_failing_run_explains_itself_in_both_languages(store) -> None:
    record = store.save_scenario(default_scenario("jinjiang"))
    job = jobs.start(store.path, record.id, replace(record.scenario, region="atlantis"))
    assert _wait(job) == "failed"
    message = job.result["message"]
    assert "找不到区域“atlantis”" in message["zh"]
    assert "No region named “atlantis”" in message["en"]
    assert "Traceback" not in message["zh"] + message["en"]
    assert store.list_plans() == []


def test_too_many_runs_at_once_is_refused(store, monkeypatch) -> None:
    from planner.i18n import PlannerError

    record = store.save_scenario(default_scenario("jinjiang"))
    monkeypatch.setattr(jobs, "MAX_RUNS", 1)
    first = jobs.start(store.path, record.id, record.scenario)
    try:
        with pytest.raises(PlannerError) as err:
            jobs.start(store.path, record.id, record.scenario)
        assert err.value.key == "ui.jobs.too_many"
    finally:
        first.stop()


# --- the page ------------------------------------------------------------------------------


def _run_script() -> None:
    from planner.ui.pages import run as run_page
    from planner.ui.state import sidebar

    sidebar()
    run_page.render()


def _app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_run_script, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _until_finished(at, timeout: float = 180):
    deadline = time.monotonic() + timeout
    while any(b.key and b.key.startswith("run_stop_") for b in at.button):
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.5)
        at.run()
        assert not at.exception, at.exception
    return at


def test_run_page_without_a_saved_scenario() -> None:
    at = _app()
    assert any("请先在“情景设置”页保存一个情景" in i.value for i in at.info)
    assert not any(b.key == "run_start" for b in at.button)


def test_run_page_runs_and_shows_status_and_gap(store) -> None:
    record = store.save_scenario(default_scenario("jinjiang"))
    at = _app()
    assert at.sidebar.selectbox(key="scenario_id").value == record.id
    assert "晋江市 2027 年目标" in at.subheader[0].value
    next(b for b in at.button if b.key == "run_start").click()
    at.run()
    assert not at.exception, at.exception
    assert any("正在计算" in m.value for m in at.markdown)
    _until_finished(at)
    text = "\n".join(s.value for s in at.success)
    assert "80 个回收站点、2 个分拣中心" in text and "结果已保存" in text
    tiers = at.dataframe[0].value
    assert list(tiers["层级"]) == ["回收站点", "分拣中心"]
    assert set(tiers["状态"]) == {"达到精度要求"}
    assert tiers["与最优的差距"].str.endswith("%").all()
    history = at.dataframe[1].value
    assert len(history) == 1 and history["回收站点"].tolist() == ["80"]
    assert len(store.list_plans(scenario_id=record.id)) == 1


def test_infeasible_scenario_is_explained(store) -> None:
    scenario = default_scenario("jinjiang").with_changes(**{"stations.count": 10})
    record = store.save_scenario(replace(scenario, name="只有 10 个站点"))
    at = _app()
    next(b for b in at.button if b.key == "run_start").click()
    at.run()
    _until_finished(at)
    errors = "\n".join(e.value for e in at.error)
    assert "没有得到可行方案" in errors
    assert "22" in errors and "10" in errors  # 22 townships, 10 stations allowed
    assert "Traceback" not in errors
    (plan,) = store.list_plans(scenario_id=record.id)
    assert plan.status == "infeasible" and not plan.has_plan
