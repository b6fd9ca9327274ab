"""Overrides of existing sites' actions in the store (issue 15): written into the saved
scenario and an append-only audit trail together, refused whole when anything is
missing, and a version-3 database gains the table and keeps its rows."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from planner.i18n import PlannerError
from planner.scenario import Scenario
from planner.scenario.overrides import REVERT, apply_override
from planner.store import MIGRATIONS, SCHEMA_VERSION, Store
from tests.pg_server import execute
from tests.test_existing_network import scenario as small_scenario

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def saved(db_target) -> tuple[Store, int]:
    """A saved scenario on each backend (an SQLite file, a PostgreSQL server)."""
    store = Store(db_target)
    return store, store.save_scenario(small_scenario()).id


def test_migration_4_makes_the_override_table() -> None:
    assert SCHEMA_VERSION >= 4
    fourth = dict(MIGRATIONS)[4]
    assert any("CREATE TABLE site_overrides" in s for s in fourth)


def test_overrides_are_appended_and_change_the_saved_scenario(saved) -> None:
    store, sid = saved
    first, scenario = store.record_override(
        sid, "station", "E3", "close", "keep", "王工", "已补办执照", 0
    )
    assert (first.version, first.old_action, first.new_action) == (1, "close", "keep")
    assert scenario.existing.actions == {"E3": "keep"}
    assert store.get_scenario(sid).scenario.existing.reasons == {"E3": "已补办执照"}

    second, _ = store.record_override(
        sid, "station", "E3", "keep", "upgrade", "李工", "面积需扩建", 1
    )
    other, _ = store.record_override(
        sid, "sorting_centre", "Y1", "close", "keep", "李工", "已整改", 0
    )
    third, scenario = store.record_override(sid, "station", "E3", "upgrade", REVERT, "王工", "", 2)
    assert scenario.existing.actions == {"Y1": "keep"}  # E3's taken back, Y1's stays
    assert scenario.existing.reasons == {"Y1": "已整改"}

    history = store.override_history(sid)
    assert history[0] == first  # the first row is exactly as it was written
    assert [(r.site_id, r.version, r.new_action, r.author) for r in history] == [
        ("E3", 1, "keep", "王工"),
        ("E3", 2, "upgrade", "李工"),
        ("Y1", 1, "keep", "李工"),
        ("E3", 3, REVERT, "王工"),
    ]
    assert [r.id for r in store.override_history(sid, "E3")] == [first.id, second.id, third.id]
    assert store.override_versions(sid) == {"E3": 3, "Y1": 1}
    assert other.tier == "sorting_centre" and all(r.created_at for r in history)
    # the rest of the scenario is untouched
    again = store.get_scenario(sid).scenario
    assert again.stations == small_scenario().stations and again.name == "试城"


def test_nothing_is_stored_when_the_override_is_refused(saved) -> None:
    store, sid = saved
    cases = [
        (("close", "keep", "王工", "  "), "scenario.invalid", "没有填写理由"),
        (("close", "keep", " ", "理由"), "review.no_reviewer", "审核人姓名"),
        (("close", "demolish", "王工", "理由"), "store.override_action", "demolish"),
        (("new", "keep", "王工", "理由"), "store.override_action", "new"),
        (("close", REVERT, "王工", ""), "store.override_none", "E3"),
        (("close", "keep", "王工", "x" * 2001), "review.long_reason", "2000"),
    ]
    for (old, new, author, reason), key, words in cases:
        with pytest.raises(PlannerError) as err:
            store.record_override(sid, "station", "E3", old, new, author, reason, 0)
        assert err.value.key == key and words in err.value.message("zh"), (key, err.value)
    with pytest.raises(PlannerError) as err:
        store.record_override(sid + 1, "station", "E3", "close", "keep", "王工", "理由")
    assert err.value.key == "store.no_scenario"
    assert store.override_history(sid) == []
    assert store.get_scenario(sid).scenario == small_scenario()


def test_a_change_made_on_an_old_version_is_refused(saved) -> None:
    store, sid = saved
    store.record_override(sid, "station", "E3", "close", "keep", "王工", "已补办执照", 0)
    with pytest.raises(PlannerError) as err:  # 李工 still saw the site unchanged
        store.record_override(sid, "station", "E3", "close", "upgrade", "李工", "扩建", 0)
    assert err.value.key == "store.override_conflict"
    assert "王工" in err.value.message("zh") and "E3" in err.value.message("en")
    assert [r.author for r in store.override_history(sid)] == ["王工"]
    assert store.get_scenario(sid).scenario.existing.actions == {"E3": "keep"}


def test_deleting_the_scenario_deletes_its_overrides(saved) -> None:
    store, sid = saved
    store.record_override(sid, "station", "E3", "close", "keep", "王工", "已补办执照", 0)
    store.delete_scenario(sid)
    assert execute(store.path, "SELECT COUNT(*) FROM site_overrides") == [(0,)]


def test_no_code_changes_or_deletes_an_override_row() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "planner").rglob("*.py"))
    assert not re.search(r"(UPDATE|DELETE FROM)\s+site_overrides", text)


def test_apply_override_copies_the_data() -> None:
    data = Scenario().to_dict()
    changed = apply_override(data, "E1", "close", " 租约到期 ")
    assert changed["existing"]["actions"] == {"E1": "close"}
    assert changed["existing"]["reasons"] == {"E1": "租约到期"}
    assert data["existing"]["actions"] == {}  # the original is left as it was
    assert apply_override(changed, "E1", REVERT, "")["existing"] == data["existing"]


def test_version_3_database_gains_the_override_table_and_keeps_its_rows(tmp_path) -> None:
    path = tmp_path / "v3.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT)")
        for version, statements in MIGRATIONS[:3]:
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (?, 'then')", (version,))
        conn.execute(
            "INSERT INTO scenarios (region, name, data, created_at, updated_at) "
            "VALUES ('testville', '试城', ?, 'then', 'then')",
            (small_scenario().to_json(),),
        )
        conn.execute(
            "INSERT INTO review_decisions (scenario_id, plan_id, tier, site_id, action, "
            "reviewer, reason, move_to, version, created_at) "
            "VALUES (1, NULL, 'station', 'E1', 'approve', '张工', '', NULL, 1, 'then')"
        )
        conn.execute(
            "INSERT INTO sweeps (id, region, name, definition, total, created_at, updated_at) "
            "VALUES ('s1', 'testville', '扫描', '{}', 3, 'then', 'then')"
        )
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION >= 4
    (record,) = store.list_scenarios()
    assert record.name == "试城" and record.scenario == small_scenario()
    assert [(d.site_id, d.reviewer) for d in store.review_history(record.id)] == [("E1", "张工")]
    assert [s.name for s in store.list_sweeps()] == ["扫描"]
    assert store.override_history(record.id) == []
    store.record_override(record.id, "station", "E3", "close", "keep", "王工", "已补办执照", 0)
    assert store.get_scenario(record.id).scenario.existing.actions == {"E3": "keep"}
    with sqlite3.connect(path) as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_version")]
    assert versions == [v for v, _ in MIGRATIONS]
