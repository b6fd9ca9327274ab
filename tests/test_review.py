"""Site review: decisions, their history, concurrent reviewers, and the re-run diff."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from planner.i18n import PlannerError
from planner.plan import Plan
from planner.plan.review import (
    Decision,
    MoveTarget,
    apply_review,
    check_decision,
    kpi_diff,
    moves_of,
    next_state,
    plan_diff,
    replay,
    run_reviewed,
    scenario_changed,
    site_table,
)
from planner.scenario import default_scenario
from planner.store import MIGRATIONS, SCHEMA_VERSION, ReviewConflict, Store


def _event(action: str, version: int, **kw) -> Decision:
    return Decision(1, None, "station", "s1", action, kw.pop("who", "王工"), version=version, **kw)


# --- states ---------------------------------------------------------------------------------------


def test_replay_follows_the_actions() -> None:
    events = [
        _event("approve", 1),
        _event("comment", 2, reason="门口有消防通道"),
        _event("lock", 3, who="李科长"),
        _event("unlock", 4),
        _event("reject", 5, reason="消防不合格"),
    ]
    state = replay(events)[("station", "s1")]
    assert (state.status, state.locked, state.version, state.comments) == ("rejected", False, 5, 1)
    assert state.reason == "消防不合格" and state.reviewer == "王工"
    # replay sorts by version: the order events arrive in does not matter
    assert replay(reversed(events))[("station", "s1")] == state


def test_lock_blocks_status_changes_until_unlocked() -> None:
    locked = next_state(None, _event("lock", 1, who="李科长"))
    assert locked.status == "approved" and locked.locked and locked.locked_by == "李科长"
    for action in ("approve", "reject", "move", "reset"):
        with pytest.raises(PlannerError) as err:
            next_state(locked, _event(action, 2, reason="x", move_to=MoveTarget("s2")))
        assert err.value.key == "review.locked"
        assert "李科长" in err.value.message("zh") and "解锁" in err.value.message("zh")
        assert "unlock it before" in err.value.message("en")
    commented = next_state(locked, _event("comment", 2, reason="保留"))
    assert commented.locked and commented.comments == 1
    rejected_then_locked = next_state(
        next_state(None, _event("reject", 1, reason="x")), _event("lock", 2)
    )
    assert rejected_then_locked.status == "approved"


def test_move_names_the_replacement() -> None:
    to_candidate = next_state(None, _event("move", 1, reason="河边", move_to=MoveTarget("s9")))
    assert (to_candidate.status, to_candidate.moved_id) == ("moved", "s9")
    to_point = next_state(
        None, _event("move", 3, reason="换址", move_to=MoveTarget(lon=118.5, lat=24.8))
    )
    assert to_point.moved_id == "s1-M3"
    back = next_state(to_point, _event("reset", 4))
    assert (back.status, back.moved_id, back.move_to) == ("pending", None, None)


@pytest.mark.parametrize(
    ("kwargs", "key", "zh"),
    [
        ({"reviewer": " "}, "review.no_reviewer", "审核人"),
        ({"reviewer": "x" * 101}, "review.long_reviewer", "100"),
        ({"action": "delete"}, "review.bad_action", "delete"),
        ({"sites": []}, "review.no_sites", "至少选择"),
        ({"sites": [("depot", "s1")]}, "review.bad_tier", "depot"),
        ({"action": "reject", "reason": ""}, "review.need_reason", "否决"),
        ({"action": "comment", "reason": "  "}, "review.need_reason", "备注"),
        ({"reason": "x" * 2001}, "review.long_reason", "2000"),
        (
            {"action": "move", "reason": "r", "sites": [("station", "a"), ("station", "b")]},
            "review.move_one",
            "2",
        ),
        ({"action": "move", "reason": "r"}, "review.move_target", "经纬度"),
        ({"action": "move", "reason": "r", "move_to": MoveTarget("s1")}, "review.move_same", ""),
        (
            {"action": "move", "reason": "r", "move_to": MoveTarget(lon=200.0, lat=24.0)},
            "review.bad_coordinates",
            "WGS84",
        ),
        (
            {"action": "move", "reason": "r", "move_to": MoveTarget(lon=float("nan"), lat=24.0)},
            "review.bad_coordinates",
            "经度",
        ),
    ],
)
def test_bad_decisions_are_explained(kwargs, key, zh) -> None:
    args = {"action": "approve", "reviewer": "王工", "sites": [("station", "s1")], "reason": ""}
    args.update(kwargs)
    with pytest.raises(PlannerError) as err:
        check_decision(args["action"], args["reviewer"], args["sites"], args["reason"],
                       args.get("move_to"))  # fmt: skip
    assert err.value.key == key
    assert zh in err.value.message("zh")
    assert err.value.message("en") != err.value.message("zh")


# --- the store ------------------------------------------------------------------------------------


@pytest.fixture
def store(db_target) -> Store:
    """An empty store on each backend (an SQLite file, a PostgreSQL server)."""
    return Store(db_target)


@pytest.fixture
def scenario_id(store) -> int:
    return store.save_scenario(default_scenario("jinjiang")).id


def test_decisions_and_history_are_stored(store, scenario_id) -> None:
    sites = [("station", "a"), ("station", "b")]
    stored = store.record_review(scenario_id, None, " 王工 ", "approve", sites, {})
    assert [(d.site_id, d.version, d.reviewer) for d in stored] == [
        ("a", 1, "王工"),
        ("b", 1, "王工"),
    ]
    store.record_review(scenario_id, None, "李科长", "reject", [("station", "b")],
                        {("station", "b"): 1}, reason="消防不合格")  # fmt: skip
    store.record_review(scenario_id, None, "李科长", "move", [("sorting_centre", "t1")], {},
                        reason="用地性质不符", move_to=MoveTarget(lon=118.5, lat=24.8))  # fmt: skip
    history = store.review_history(scenario_id, "station", "b")
    assert [(d.action, d.reviewer, d.reason, d.version) for d in history] == [
        ("approve", "王工", "", 1),
        ("reject", "李科长", "消防不合格", 2),
    ]
    assert all(d.created_at.endswith("+00:00") for d in history)
    states = Store(store.path).review_states(scenario_id)  # another session, same file
    assert {k: s.status for k, s in states.items()} == {
        ("station", "a"): "approved",
        ("station", "b"): "rejected",
        ("sorting_centre", "t1"): "moved",
    }
    assert states[("sorting_centre", "t1")].move_to == MoveTarget(None, 118.5, 24.8)
    with pytest.raises(PlannerError) as err:  # a plan deleted meanwhile
        store.record_review(scenario_id, 999, "王工", "approve", [("station", "x")], {})
    assert err.value.key == "store.no_plan"
    # deleting the scenario deletes its review
    store.delete_scenario(scenario_id)
    assert store.review_history(scenario_id) == []


def test_two_reviewers_conflict_and_nothing_is_lost(store, scenario_id) -> None:
    alice, bob = Store(store.path), Store(store.path)  # two app sessions
    seen_by_bob = {k: s.version for k, s in bob.review_states(scenario_id).items()}
    alice.record_review(scenario_id, None, "王工", "approve", [("station", "a")], {})
    with pytest.raises(ReviewConflict) as err:
        bob.record_review(scenario_id, None, "李科长", "reject",
                          [("station", "a"), ("station", "c")], seen_by_bob,
                          reason="河道旁")  # fmt: skip
    assert [(d.site_id, d.reviewer, d.action) for d in err.value.decisions] == [
        ("a", "王工", "approve")
    ]
    zh = err.value.message("zh")
    assert "1 个站点" in zh and "王工" in zh and "批准" in zh
    assert "another reviewer" in err.value.message("en")
    # the whole batch was refused: c was not written either
    assert [(d.site_id, d.action) for d in store.review_history(scenario_id)] == [("a", "approve")]
    # looking again and deciding again works, and both decisions are kept
    seen = {k: s.version for k, s in bob.review_states(scenario_id).items()}
    bob.record_review(scenario_id, None, "李科长", "reject",
                      [("station", "a"), ("station", "c")], seen, reason="河道旁")  # fmt: skip
    history = store.review_history(scenario_id)
    assert [(d.site_id, d.reviewer, d.action, d.version) for d in history] == [
        ("a", "王工", "approve", 1),
        ("a", "李科长", "reject", 2),
        ("c", "李科长", "reject", 1),
    ]


def test_a_batch_with_a_locked_site_stores_nothing(store, scenario_id) -> None:
    store.record_review(scenario_id, None, "李科长", "lock", [("station", "b")], {})
    seen = {k: s.version for k, s in store.review_states(scenario_id).items()}
    with pytest.raises(PlannerError) as err:
        store.record_review(scenario_id, None, "王工", "reject",
                            [("station", "a"), ("station", "b")], seen, reason="x")  # fmt: skip
    assert err.value.key == "review.locked" and "李科长" in err.value.message("zh")
    assert len(store.review_history(scenario_id)) == 1


_HAMMER = """
import json, sys
from planner.store import ReviewConflict, Store

db, scenario_id, who, rounds = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
store = Store(db)
done = conflicts = 0
for k in range(rounds):
    seen = store.review_states(scenario_id).get(("station", "hot"))
    version = seen.version if seen else 0
    try:
        store.record_review(scenario_id, None, who, "comment" if k % 2 else "approve",
                            [("station", "hot")], {("station", "hot"): version}, reason=str(k))
        done += 1
    except ReviewConflict:
        conflicts += 1
print(json.dumps([done, conflicts]))
"""


def test_concurrent_processes_never_overwrite(store, scenario_id) -> None:
    """Three reviewers in three processes decide on one site as fast as they can."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _HAMMER, str(store.path), str(scenario_id), f"r{i}", "40"],
            stdout=subprocess.PIPE,
            env=env,
            cwd=root,
        )
        for i in range(3)
    ]
    results = [json.loads(p.communicate(timeout=600)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    done = sum(r[0] for r in results)
    history = store.review_history(scenario_id, "station", "hot")
    assert sum(r[0] + r[1] for r in results) == 120
    assert len(history) == done > 0  # every accepted decision is there, once
    assert [d.version for d in history] == list(range(1, done + 1))  # no gap, no duplicate
    for i, (n, _) in enumerate(results):
        assert sum(d.reviewer == f"r{i}" for d in history) == n


def test_version_1_database_is_upgraded_in_place(tmp_path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT)")
        for statement in MIGRATIONS[0][1]:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (1, 'then')")
        conn.execute(
            "INSERT INTO scenarios (region, name, data, created_at, updated_at) "
            "VALUES ('jinjiang', '旧情景', ?, 'then', 'then')",
            (default_scenario("jinjiang").to_json(),),
        )
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION == MIGRATIONS[-1][0] >= 2
    (record,) = store.list_scenarios()
    assert record.name == "旧情景"
    store.record_review(record.id, None, "王工", "approve", [("station", "a")], {})
    assert store.review_states(record.id)[("station", "a")].status == "approved"


# --- the review cycle on a real plan --------------------------------------------------------------


@pytest.fixture(scope="module")
def jinjiang() -> Plan:
    from planner.run import run_plan

    return run_plan("jinjiang", default_scenario("jinjiang"))


def _nearest_unused(plan: Plan, site_id: str) -> str:
    from planner.data.regions import load_region

    comms = load_region("jinjiang").communities.to_crs(32650)
    used = set(plan.stations["site_id"])
    here = plan.stations.set_index("site_id").to_crs(32650).geometry[site_id]
    free = comms[~comms["code"].isin(used)]
    return str(free.iloc[int(np.argmin(free.representative_point().distance(here)))]["code"])


def _states(decisions: list[tuple]) -> dict:
    events = [
        Decision(1, 1, tier, site, action, "王工", reason, version=i + 1, move_to=move)
        for i, (tier, site, action, reason, move) in enumerate(decisions)
    ]
    return replay(events)


def test_full_review_cycle_changes_exactly_what_was_decided(jinjiang) -> None:
    ids = list(jinjiang.stations["site_id"])
    approved, locked, rejected, moved_c, moved_p = ids[:5]
    target = _nearest_unused(jinjiang, moved_c)
    spot = jinjiang.stations.set_index("site_id").geometry[moved_p]
    centre_out = str(jinjiang.centres["site_id"].iloc[0])
    states = _states(
        [
            ("station", approved, "approve", "", None),
            ("station", locked, "lock", "", None),
            ("station", rejected, "reject", "消防不合格", None),
            ("station", moved_c, "move", "在河道边", MoveTarget(target)),
            ("station", moved_p, "move", "换到路口", MoveTarget(lon=spot.x + 0.002, lat=spot.y)),
            ("sorting_centre", centre_out, "reject", "用地不符", None),
        ]
    )
    new, reviewed = run_reviewed("jinjiang", jinjiang.scenario, states, jinjiang, "keep")
    assert new.status in ("optimal", "time_limit_feasible")
    point_id = f"{moved_p}-M5"
    assert reviewed.moves == {("station", moved_c): target, ("station", moved_p): point_id}
    diff = plan_diff(jinjiang, new, reviewed.moves)
    stations = diff[diff["tier"] == "station"]
    assert sorted(stations.loc[stations["change"] == "removed", "site_id"]) == [rejected]
    moved = stations[stations["change"] == "moved"].set_index("site_id")
    assert moved["new_site_id"].to_dict() == {moved_c: target, moved_p: point_id}
    assert 150 < moved.loc[moved_p, "moved_m"] < 250  # 0.002° of longitude at 24.8°N
    added = stations.loc[stations["change"] == "added", "site_id"].tolist()
    assert len(added) == 1 and added[0] not in ids  # one station replaces the rejected one
    centres = diff[diff["tier"] == "sorting_centre"]
    assert centres.loc[centres["change"] == "removed", "site_id"].tolist() == [centre_out]
    assert (centres["change"] == "added").sum() == 1
    assert len(diff) == 6
    # approved and locked sites stay; the new point carries its county from the map
    new_ids = set(new.stations["site_id"])
    assert {approved, locked, target, point_id} <= new_ids and rejected not in new_ids
    new_point = new.stations.set_index("site_id").loc[point_id]
    assert new_point["county_code"] == "350582"
    # indicators before and after
    kpis = kpi_diff(jinjiang.kpis, new.kpis).set_index("indicator")
    assert kpis.loc["stations", "before"] == kpis.loc["stations", "after"] == 80
    assert kpis.loc["coverage_share", "change"] == pytest.approx(
        new.kpis["coverage_share"] - jinjiang.kpis["coverage_share"]
    )


def test_reoptimise_mode_fixes_only_reviewed_sites(jinjiang) -> None:
    ids = list(jinjiang.stations["site_id"])
    states = _states(
        [("station", ids[0], "reject", "x", None), ("station", ids[1], "approve", "", None)]
    )
    keep = apply_review(jinjiang.scenario, states, jinjiang, "keep").scenario
    free = apply_review(jinjiang.scenario, states, jinjiang, "reoptimise").scenario
    assert len(keep.stations.required_sites) == 79 and ids[0] not in keep.stations.required_sites
    assert free.stations.required_sites == (ids[1],)
    assert free.stations.excluded_sites == (ids[0],)
    assert len(keep.centres.required_sites) == 2
    new, _ = run_reviewed("jinjiang", jinjiang.scenario, states, jinjiang, "reoptimise")
    assert ids[1] in set(new.stations["site_id"]) and ids[0] not in set(new.stations["site_id"])


def test_site_table_joins_the_review(jinjiang) -> None:
    sid = str(jinjiang.stations["site_id"].iloc[3])
    table = site_table(jinjiang, _states([("station", sid, "reject", "河边", None)]))
    assert len(table) == 82
    row = table.set_index("site_id").loc[sid]
    assert (row["status"], row["reason"], row["version"]) == ("rejected", "河边", 1)
    assert (table["status"] == "pending").sum() == 81


def test_worker_reruns_honouring_the_review(tmp_path, jinjiang) -> None:
    """The app's path: a worker process applies the stored review and stores the diff's
    inputs with the new plan."""
    from planner.ui.jobs import runs as jobs

    store = Store(tmp_path / "planner.sqlite")
    sid = store.save_scenario(default_scenario("jinjiang")).id
    parent = store.save_plan(sid, jinjiang)
    rejected = str(jinjiang.stations["site_id"].iloc[0])
    store.record_review(sid, parent.id, "王工", "reject", [("station", rejected)], {},
                        reason="消防不合格")  # fmt: skip
    job = jobs.start(store.path, sid, store.get_scenario(sid).scenario,
                     review={"parent_id": parent.id, "mode": "keep"})  # fmt: skip
    deadline = time.monotonic() + 300
    while job.poll() == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert job.poll() == "done", job.result
    record = store.get_plan(job.result["plan_id"])
    assert record.parent_id == parent.id and record.review["mode"] == "keep"
    assert record.review["versions"] == {f"station/{rejected}": 1}
    new = store.load_plan(record.id)
    diff = plan_diff(store.load_plan(parent.id), new, moves_of(record.review))
    assert diff.loc[diff["change"] == "removed", "site_id"].tolist() == [rejected]
    assert (diff["change"] == "added").sum() == 1
    assert json.loads(json.dumps(record.review)) == record.review
    # the re-run's scenario carries the review's site lists, yet the saved scenario was
    # not edited: the results page must not say it was (issue 22)
    saved = store.get_scenario(sid).scenario
    assert record.scenario.stations.excluded_sites == (rejected,)
    assert not scenario_changed(record.scenario, record.review, saved)
    edited = replace(saved, stations=replace(saved.stations, count=79))
    assert scenario_changed(record.scenario, record.review, edited)


def test_scenario_changed_tells_review_lists_from_edits(jinjiang) -> None:
    ids = list(jinjiang.stations["site_id"])
    saved = jinjiang.scenario
    reviewed = apply_review(saved, _states([("station", ids[0], "reject", "x", None)]),
                            jinjiang, "keep").scenario  # fmt: skip
    assert not scenario_changed(saved, None, saved)
    assert scenario_changed(reviewed, None, saved)  # a plain run: any difference counts
    # a re-run stored before the base scenario was kept: only the site lists are ignored
    legacy = {"mode": "keep", "versions": {}, "moves": []}
    assert not scenario_changed(reviewed, legacy, saved)
    radius = replace(saved, stations=replace(saved.stations, radius_urban_m=600.0))
    assert scenario_changed(reviewed, legacy, radius)


def test_move_outside_region_is_refused() -> None:
    from planner.data.regions import load_region
    from planner.plan.review import check_in_region

    region = load_region("jinjiang")
    check_in_region(MoveTarget(lon=118.58, lat=24.80), region)  # Jinjiang city centre
    with pytest.raises(PlannerError) as err:
        check_in_region(MoveTarget(lon=121.47, lat=31.23), region)  # Shanghai
    assert "不在区域" in err.value.message("zh") and "GCJ-02" in err.value.message("en")


def test_review_map_escapes_names_and_reasons(jinjiang) -> None:
    from planner.views import to_html
    from planner.views.review_map import review_map

    sid = str(jinjiang.stations["site_id"].iloc[0])
    hostile = "<script>alert('x')</script>"
    states = replay([Decision(1, 1, "station", sid, "reject", "<b>王工</b>", hostile, version=1)])
    table = site_table(jinjiang, states)
    table.loc[table["site_id"] == sid, "name"] = "<img src=x onerror=alert(1)>"
    html_text = to_html(review_map(jinjiang, table[table["status"] != "pending"]))
    assert "<script>alert(" not in html_text and "<img src=x" not in html_text
    assert "&lt;script&gt;alert(" in html_text and "&lt;b&gt;王工&lt;/b&gt;" in html_text
    assert "审核状态" in html_text  # the legend
