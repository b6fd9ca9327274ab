"""Accounts and roles: the permission matrix through the store the app calls, password
hashes, the login rate limit and session expiry (with a clock, never by sleeping)."""

from __future__ import annotations

import datetime as dt

import pytest

from planner.accounts import ACTIONS, LOCAL, PERMISSIONS, ROLES, Actor, allowed, check
from planner.i18n import PlannerError
from planner.store import Store
from planner.store.users import FAILURE_WINDOW, MAX_FAILURES, SESSION_LIFETIME

T0 = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse 7"

#: The matrix written out again by hand, so a change of PERMISSIONS must be deliberate.
EXPECTED = {
    "region.import": {"admin", "planner"},
    "region.edit": {"admin", "planner"},
    "scenario.save": {"admin", "planner"},
    "scenario.delete": {"admin", "planner"},
    "override.record": {"admin", "planner", "reviewer"},
    "run.start": {"admin", "planner"},
    "run.stop": {"admin", "planner"},
    "sweep.start": {"admin", "planner"},
    "sweep.stop": {"admin", "planner"},
    "review.decide": {"admin", "reviewer"},
    "review.comment": {"admin", "reviewer"},
    "review.rerun": {"admin", "reviewer"},
    "users.manage": {"admin"},
    "export.read": {"admin", "planner", "reviewer", "viewer"},
}


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "planner.sqlite")


def test_matrix_is_the_documented_one():
    assert {a: set(r) for a, r in PERMISSIONS.items()} == EXPECTED
    assert tuple(EXPECTED) == ACTIONS


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(EXPECTED))
def test_every_action_and_role(action, role):
    actor = Actor("zhang", role, "张三")
    if role in EXPECTED[action]:
        assert allowed(actor, action)
        check(actor, action)
        return
    assert not allowed(actor, action)
    with pytest.raises(PlannerError) as err:
        check(actor, action)
    assert err.value.key == "auth.forbidden"
    zh, en = err.value.message("zh"), err.value.message("en")
    assert "张三" in zh and "无权" in zh and "{" not in zh
    assert "may not" in en and "{" not in en
    # the message names the roles that may
    for allowed_role in EXPECTED[action]:
        assert allowed_role in en


def test_local_actor_is_an_admin():
    assert LOCAL.role == "admin"
    assert all(allowed(LOCAL, a) for a in ACTIONS)


def test_no_account_means_local_mode(store):
    assert not store.has_accounts()
    assert store.actor == LOCAL
    store.add_user("alice", "reviewer", PASSWORD, now=T0)
    assert store.has_accounts()


def test_password_is_hashed_and_verifies(store):
    from planner.accounts import verify_password

    store.add_user("alice", "reviewer", PASSWORD, now=T0)
    with store._read() as conn:
        row = conn.execute("SELECT * FROM users WHERE name = 'alice'").fetchone()
    stored = row["password_hash"]
    assert stored != PASSWORD and PASSWORD not in stored
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "x")
    # nowhere else in the file either
    files = [store.path, store.path.with_name(store.path.name + "-wal")]
    raw = b"".join(f.read_bytes() for f in files if f.exists())
    assert PASSWORD.encode() not in raw


def test_short_password_bad_role_and_duplicate_refused(store):
    with pytest.raises(PlannerError) as err:
        store.add_user("alice", "reviewer", "short")
    assert err.value.key == "auth.password_short"
    with pytest.raises(PlannerError) as err:
        store.add_user("alice", "boss", PASSWORD)
    assert err.value.key == "auth.bad_role"
    store.add_user("alice", "reviewer", PASSWORD)
    with pytest.raises(PlannerError) as err:
        store.add_user("alice", "viewer", PASSWORD)
    assert err.value.key == "auth.name_taken"
    for bad, key in (("", "auth.bad_name"), ("two words", "auth.bad_name"),
                     ("local", "auth.reserved_name")):  # fmt: skip
        with pytest.raises(PlannerError) as err:
            store.add_user(bad, "viewer", PASSWORD)
        assert err.value.key == key
    assert [u.role for u in store.list_users()] == ["reviewer"]


def test_only_an_admin_manages_accounts(store):
    store.add_user("root", "admin", PASSWORD)
    planner = store.as_actor(Actor("li", "planner"))
    with pytest.raises(PlannerError) as err:
        planner.add_user("mallory", "admin", PASSWORD)
    assert err.value.key == "auth.forbidden"
    with pytest.raises(PlannerError):
        planner.set_role("root", "viewer")
    assert [u.name for u in store.list_users()] == ["root"]
    assert store.get_user("root").role == "admin"


def test_login_logout_and_session(store):
    store.add_user("alice", "reviewer", PASSWORD, display_name="爱丽丝", now=T0)
    result = store.login("alice", PASSWORD, now=T0)
    assert result.user.name == "alice" and result.user.actor == Actor("alice", "reviewer", "爱丽丝")
    assert store.get_user("alice").last_login_at.startswith("2026-12-07T08:00")
    assert store.session_user(result.token, now=T0).name == "alice"
    with store._read() as conn:
        hashes = [r[0] for r in conn.execute("SELECT token_hash FROM sessions")]
    assert hashes and result.token not in hashes
    store.logout(result.token)
    assert store.session_user(result.token, now=T0) is None


def test_wrong_password_and_unknown_name_read_alike(store):
    store.add_user("alice", "reviewer", PASSWORD)
    with pytest.raises(PlannerError) as wrong:
        store.login("alice", "not the password", now=T0)
    with pytest.raises(PlannerError) as unknown:
        store.login("bob", PASSWORD, now=T0)
    assert wrong.value.key == unknown.value.key == "auth.bad_login"


def test_disabled_user_cannot_log_in_and_loses_sessions(store):
    store.add_user("alice", "reviewer", PASSWORD)
    open_session = store.login("alice", PASSWORD, now=T0)
    store.set_enabled("alice", False, now=T0)
    assert store.session_user(open_session.token, now=T0) is None
    with pytest.raises(PlannerError) as err:
        store.login("alice", PASSWORD, now=T0)
    assert err.value.key == "auth.disabled"
    store.set_enabled("alice", True)
    assert store.login("alice", PASSWORD, now=T0).user.enabled


def test_role_change_and_password_reset(store):
    store.add_user("alice", "reviewer", PASSWORD)
    session = store.login("alice", PASSWORD, now=T0)
    store.set_role("alice", "planner")
    assert store.session_user(session.token, now=T0).role == "planner"  # read afresh
    store.reset_password("alice", "another secret 9")
    assert store.session_user(session.token, now=T0) is None
    with pytest.raises(PlannerError):
        store.login("alice", PASSWORD, now=T0)
    assert store.login("alice", "another secret 9", now=T0).user.role == "planner"


def test_session_expires(store):
    store.add_user("alice", "viewer", PASSWORD)
    session = store.login("alice", PASSWORD, now=T0)
    just_before = T0 + SESSION_LIFETIME - dt.timedelta(seconds=1)
    assert store.session_user(session.token, now=just_before) is not None
    assert store.session_user(session.token, now=T0 + SESSION_LIFETIME) is None
    assert dt.timedelta(hours=12) == SESSION_LIFETIME
    short = store.login("alice", PASSWORD, now=T0, lifetime=dt.timedelta(minutes=5))
    assert store.session_user(short.token, now=T0 + dt.timedelta(minutes=6)) is None


def test_login_rate_limit(store):
    store.add_user("alice", "reviewer", PASSWORD)
    assert MAX_FAILURES == 5 and dt.timedelta(minutes=15) == FAILURE_WINDOW
    for i in range(MAX_FAILURES):
        with pytest.raises(PlannerError) as err:
            store.login("alice", "wrong", now=T0 + dt.timedelta(minutes=i))
        assert err.value.key == "auth.bad_login"
    # the right password is refused too while the limit holds
    with pytest.raises(PlannerError) as err:
        store.login("alice", PASSWORD, now=T0 + dt.timedelta(minutes=5))
    assert err.value.key == "auth.rate_limited"
    assert "2026-12-07 08:15:00 UTC" in err.value.message("en")
    assert "2026-12-07 08:15:00 UTC" in err.value.message("zh")
    # another name is not limited
    store.add_user("bob", "viewer", PASSWORD)
    assert store.login("bob", PASSWORD, now=T0 + dt.timedelta(minutes=5)).user.name == "bob"
    # once the first failure is 15 minutes old, 4 remain in the window: allowed again
    assert store.login("alice", PASSWORD, now=T0 + dt.timedelta(minutes=15, seconds=1))
    # and a success clears the count
    with pytest.raises(PlannerError) as err:
        store.login("alice", "wrong", now=T0 + dt.timedelta(minutes=16))
    assert err.value.key == "auth.bad_login"


def test_migration_keeps_typed_names(tmp_path):
    """A version-6 file's review rows get the typed name as their user."""
    import sqlite3

    from planner.store.migrations import MIGRATIONS

    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT)")
    for version, statements in MIGRATIONS:
        if version <= 6:
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (?, 'then')", (version,))
    conn.execute(
        "INSERT INTO scenarios (region, name, data, created_at, updated_at) "
        "VALUES ('jinjiang', 'a', '{}', 'then', 'then')"
    )
    conn.execute(
        "INSERT INTO review_decisions (scenario_id, tier, site_id, action, reviewer, reason, "
        "version, created_at) VALUES (1, 'station', 's1', 'approve', '张三', '', 1, 'then')"
    )
    conn.commit()
    conn.close()
    store = Store(path)
    with store._read() as conn:
        assert conn.execute("SELECT user_name FROM scenarios").fetchone()[0] == "local"
    [decision] = store.review_history(1)
    assert (decision.reviewer, decision.user_name, decision.user_role) == ("张三", "张三", "")
