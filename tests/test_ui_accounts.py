"""The app with accounts (AppTest): the login form and nothing else before a login, a
viewer's review page without decision buttons (and the store refusing a forced
decision), and the local-mode banner when no account exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.accounts import Actor
from planner.i18n import PlannerError
from planner.plan import Plan
from planner.scenario import default_scenario
from planner.store import Store

pytestmark = pytest.mark.usefixtures("planner_home")
ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "viewer password"


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


def _review_script() -> None:
    from planner.ui.auth import gate
    from planner.ui.pages import review as review_page
    from planner.ui.state import sidebar

    gate()
    sidebar()
    review_page.render()


def _texts(at) -> str:
    kinds = (at.title, at.markdown, at.caption, at.success, at.error, at.warning, at.info)
    return "\n".join(str(e.value) for kind in kinds for e in kind)


def _button_keys(at) -> set[str]:
    return {b.key for b in at.button}


def test_with_an_account_the_app_shows_the_login_form_and_nothing_else(planner_home):
    from streamlit.testing.v1 import AppTest

    Store(planner_home / "planner.sqlite").add_user("alice", "viewer", PASSWORD)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["登录 · 再生资源回收网络规划"]
    assert {w.key for w in at.text_input} == {"login_name", "login_password"}
    assert not at.sidebar.selectbox and not at.selectbox and not at.dataframe
    at.text_input(key="login_name").set_value("alice")
    at.text_input(key="login_password").set_value("wrong password")
    at.button[0].click()
    at.run()
    assert [e.value for e in at.error] == ["账号或密码错误"]
    assert {w.key for w in at.text_input} == {"login_name", "login_password"}
    at.text_input(key="login_password").set_value(PASSWORD)
    at.button[0].click()
    at.run()
    assert not at.exception, at.exception
    assert "login_name" not in {w.key for w in at.text_input}
    assert at.sidebar.selectbox  # the region picker: the pages are there now
    assert "已登录：alice（查看者）" in [c.value for c in at.sidebar.caption]
    assert "auth_logout" in _button_keys(at)
    at.button(key="auth_logout").click()
    at.run()
    assert {w.key for w in at.text_input} == {"login_name", "login_password"}


def test_viewer_sees_no_decision_buttons_and_a_forced_decision_is_refused(stored):
    from streamlit.testing.v1 import AppTest

    from planner.ui.auth import TOKEN

    store, scenario_id, record = stored
    store.add_user("wang", "viewer", PASSWORD, display_name="王五")
    token = store.login("wang", PASSWORD).token
    at = AppTest.from_function(_review_script, default_timeout=180)
    at.session_state[TOKEN] = token
    at.run()
    assert not at.exception, at.exception
    keys = _button_keys(at)
    assert "review_submit" not in keys and "review_rerun" not in keys
    assert "您的角色（查看者）不能在此页记录审核决定" in _texts(at)
    assert "已登录：王五（查看者）" in [c.value for c in at.sidebar.caption]
    # the page is read-only for a viewer, but the site table and the trail are there
    assert at.dataframe
    # the store the page calls refuses the decision whatever the page shows
    site = store.load_plan(record.id).stations["site_id"].iloc[0]
    viewer = store.as_actor(store.session_user(token).actor)
    with pytest.raises(PlannerError) as err:
        viewer.record_review(scenario_id, record.id, "王五", "approve", [("station", site)], {})
    assert err.value.key == "auth.forbidden"
    assert store.review_history(scenario_id) == []


def test_reviewer_decides_as_the_logged_in_user(stored):
    from streamlit.testing.v1 import AppTest

    from planner.ui.auth import TOKEN

    store, scenario_id, record = stored
    store.add_user("li", "reviewer", PASSWORD, display_name="李四（供销社）")
    at = AppTest.from_function(_review_script, default_timeout=180)
    at.session_state[TOKEN] = store.login("li", PASSWORD).token
    at.run()
    assert not at.exception, at.exception
    assert at.text_input(key="review_reviewer").value == "李四（供销社）"
    assert at.text_input(key="review_reviewer").disabled
    site = store.load_plan(record.id).stations["site_id"].iloc[0]
    at.multiselect(key="review_pick").set_value([f"station|{site}"])
    at.radio(key="review_action").set_value("approve")
    at.run()
    at.button(key="review_submit").click()
    at.run()
    assert not at.exception, at.exception
    [decision] = store.review_history(scenario_id)
    assert (decision.reviewer, decision.user_name, decision.user_role) == (
        "李四（供销社）", "li", "reviewer",
    )  # fmt: skip


@pytest.mark.usefixtures("stored")
def test_without_accounts_the_banner_shows_and_decisions_work():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_review_script, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    assert any("单机模式：未启用账号" in i.value for i in at.sidebar.info)
    assert "review_submit" in _button_keys(at)
    assert "auth_logout" not in _button_keys(at)


def test_session_expiry_brings_the_login_back(stored):
    import datetime as dt

    from streamlit.testing.v1 import AppTest

    from planner.ui.auth import TOKEN

    store, _, _ = stored
    store.add_user("li", "reviewer", PASSWORD)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=13)
    at = AppTest.from_function(_review_script, default_timeout=180)
    at.session_state[TOKEN] = store.login("li", PASSWORD, now=past).token
    at.run()
    assert not at.exception, at.exception
    assert [w.value for w in at.warning] == ["登录已过期，请重新登录"]
    assert {w.key for w in at.text_input} == {"login_name", "login_password"}


def test_forced_actions_of_the_ui_layer_are_refused():
    """Jobs the pages start check the role too (run, re-run, sweep)."""
    from planner.ui.jobs import runs

    viewer = Actor("wang", "viewer")
    with pytest.raises(PlannerError) as err:
        runs.start(Path("x.sqlite"), 1, default_scenario("jinjiang"), actor=viewer)
    assert err.value.key == "auth.forbidden"
    reviewer = Actor("li", "reviewer")
    with pytest.raises(PlannerError):
        runs.start(Path("x.sqlite"), 1, default_scenario("jinjiang"), actor=reviewer)
    assert not runs.running()
