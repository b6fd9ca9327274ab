"""The permission matrix on the server side: every store write the app calls, as each
role, is allowed and stored with the acting user, or refused with ``auth.forbidden``
and nothing is stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pytest

from planner.accounts import LOCAL, PERMISSIONS, ROLES, Actor
from planner.data.edit.inventory import SiteEdit
from planner.i18n import PlannerError
from planner.scenario import default_scenario
from planner.store import Store

SCENARIO = default_scenario("jinjiang")


def _plan_folder(tmp_path):
    """A minimal stored-plan folder (save_plan reads kpis.json and the files' bytes)."""
    folder = tmp_path / "plan"
    folder.mkdir(exist_ok=True)
    meta = {"scenario": {"region": "jinjiang", "name": "a"}, "kpis": {"stations": 3},
            "results": [{"tier": "station", "status": "optimal"}]}  # fmt: skip
    (folder / "kpis.json").write_text(json.dumps(meta), encoding="utf-8")
    (folder / "plan.gpkg").write_bytes(b"not read here")
    return folder


@pytest.fixture
def setup(tmp_path, db_target):
    """A store with one scenario and one plan (made in local mode), and a plan folder;
    on each backend (an SQLite file, a PostgreSQL server)."""
    store = Store(db_target)
    scenario_id = store.save_scenario(replace(SCENARIO, name="a")).id
    folder = _plan_folder(tmp_path)
    plan_id = store.save_plan(scenario_id, folder).id
    store.start_sweep("sw1", "jinjiang", "sweep", {}, [])
    return store, scenario_id, plan_id, folder


#: Store write -> (action, call, read back the acting user's name of what it stored).
WRITES: dict[str, tuple[str, Callable]] = {
    "save scenario": (
        "scenario.save",
        lambda s, sid, pid, f: s.save_scenario(replace(SCENARIO, name="b")).user_name,
    ),
    "rename scenario": (
        "scenario.save",
        lambda s, sid, pid, f: s.rename_scenario(sid, "renamed").user_name,
    ),
    "delete scenario": ("scenario.delete", lambda s, sid, pid, f: s.delete_scenario(sid)),
    "delete plan": ("scenario.delete", lambda s, sid, pid, f: s.delete_plan(pid)),
    "store a run's plan": ("run.start", lambda s, sid, pid, f: s.save_plan(sid, f).user_name),
    "store a review re-run": (
        "review.rerun",
        lambda s, sid, pid, f: s.save_plan(sid, f, parent_id=pid, review={"mode": "keep"}),
    ),
    "decide": (
        "review.decide",
        lambda s, sid, pid, f: (
            s.record_review(sid, pid, "typed", "approve", [("station", "s1")], {})[0].user_name
        ),
    ),
    "comment": (
        "review.comment",
        lambda s, sid, pid, f: (
            s.record_review(
                sid, pid, "typed", "comment", [("station", "s1")], {}, reason="looks fine"
            )[0].user_name
        ),
    ),
    "override": (
        "override.record",
        lambda s, sid, pid, f: (
            s.record_override(sid, "station", "e1", "keep", "close", "typed", reason="unsafe")[
                0
            ].user_name
        ),
    ),
    "inventory edit": (
        "region.edit",
        lambda s, sid, pid, f: (
            s.record_inventory_edits(
                "jinjiang", [SiteEdit("e1", "address", "", "1 Road")], "typed", "surveyed"
            )[0].user_name
        ),
    ),
    "start sweep": (
        "sweep.start",
        lambda s, sid, pid, f: s.start_sweep("sw2", "jinjiang", "sweep 2", {}, []),
    ),
    "delete sweep": ("sweep.stop", lambda s, sid, pid, f: s.delete_sweep("sw1")),
    "add account": (
        "users.manage",
        lambda s, sid, pid, f: s.add_user("newcomer", "viewer", "long enough").name,
    ),
}


def _counts(store: Store) -> dict[str, int]:
    tables = ("scenarios", "plans", "review_decisions", "site_overrides", "inventory_edits",
              "sweeps", "users")  # fmt: skip
    with store._read() as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("write", list(WRITES))
def test_store_write_as_each_role(setup, write, role):
    store, scenario_id, plan_id, folder = setup
    action, call = WRITES[write]
    actor = Actor("zhang", role, "张三")
    acting = store.as_actor(actor)
    before = _counts(store)
    if role in PERMISSIONS[action]:
        stored_by = call(acting, scenario_id, plan_id, folder)
        if isinstance(stored_by, str) and write != "add account":
            assert stored_by == "zhang"
        return
    with pytest.raises(PlannerError) as err:
        call(acting, scenario_id, plan_id, folder)
    assert err.value.key == "auth.forbidden"
    assert "张三" in err.value.message("zh")
    assert _counts(store) == before  # nothing stored


def test_reviewer_cannot_edit_scenarios_viewer_cannot_decide(setup):
    store, scenario_id, plan_id, _ = setup
    reviewer = store.as_actor(Actor("li", "reviewer"))
    with pytest.raises(PlannerError, match="may not save a scenario"):
        reviewer.save_scenario(replace(SCENARIO, name="mine"), scenario_id)
    viewer = store.as_actor(Actor("wang", "viewer"))
    with pytest.raises(PlannerError, match="may not record a review decision"):
        viewer.record_review(scenario_id, plan_id, "wang", "approve", [("station", "s1")], {})
    assert store.review_history(scenario_id) == []
    assert store.get_scenario(scenario_id).name == "a"


def test_account_name_is_stored_not_the_typed_one(setup):
    store, scenario_id, plan_id, _ = setup
    reviewer = store.as_actor(Actor("li", "reviewer", "李四（供销社）"))
    [decision] = reviewer.record_review(
        scenario_id, plan_id, "张三", "approve", [("station", "s1")], {}
    )
    [read] = store.review_history(scenario_id)
    assert (read.reviewer, read.user_name, read.user_role) == ("李四（供销社）", "li", "reviewer")
    assert decision == read


def test_local_mode_keeps_the_typed_name(setup):
    store, scenario_id, plan_id, _ = setup
    assert store.actor == LOCAL
    store.record_review(scenario_id, plan_id, "张三", "approve", [("station", "s1")], {})
    [read] = store.review_history(scenario_id)
    assert (read.reviewer, read.user_name, read.user_role) == ("张三", "张三", "admin")
    record = store.list_scenarios("jinjiang")[0]
    assert (record.user_name, record.user_role) == ("local", "admin")
    assert store.list_plans(scenario_id)[0].user_name == "local"


@pytest.mark.parametrize("role", ROLES)
def test_region_files_are_written_only_by_planning_roles(planner_home, role):
    """Region packs and road files live outside the database: their writers check too."""
    from planner.data.edit.region import save_as_region
    from planner.data.regions import load_region
    from planner.data.roads import remove_road_file

    actor = Actor("zhao", role)
    may = role in PERMISSIONS["region.import"]
    path, message = save_as_region(
        load_region("jinjiang"), "my-city", name_zh="我的城市", lang="en", actor=actor
    )
    assert (path is not None) == may
    if not may:
        assert message.startswith("zhao (") and "may not import region data" in message
        assert not (planner_home / "regions" / "my-city").exists()
    if role in PERMISSIONS["region.edit"]:
        assert remove_road_file("my-city", actor=actor) is False  # there is none
    else:
        with pytest.raises(PlannerError) as err:
            remove_road_file("my-city", actor=actor)
        assert err.value.key == "auth.forbidden"
