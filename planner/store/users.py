"""Accounts, login attempts and sessions: tables ``users``, ``login_attempts`` and
``sessions``.

No row in ``users`` means single-user local mode (:data:`planner.accounts.LOCAL`). A
password is kept only as its argon2 hash; a session token only as its SHA-256, so a
copy of the file logs no one in. Failed logins are rate-limited per name: after
:data:`MAX_FAILURES` failures within :data:`FAILURE_WINDOW`, further attempts are
refused until the oldest of them is that old. Every time-dependent method takes
``now`` (UTC), so the limit and the expiry are tested with a clock, not by sleeping.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from planner.accounts.passwords import hash_password, verify_password
from planner.accounts.roles import LOCAL, Actor, check, check_role
from planner.i18n import PlannerError
from planner.store.database import Connection, Database, IntegrityError, Row

__all__ = [
    "FAILURE_WINDOW",
    "MAX_FAILURES",
    "SESSION_LIFETIME",
    "LoginResult",
    "UserRecord",
    "UserTables",
]

#: Failed logins of one name allowed within :data:`FAILURE_WINDOW`.
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
#: How long a session lasts after login.
SESSION_LIFETIME = dt.timedelta(hours=12)
_NAME_MAX = 40


def _utc(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)


def _stamp(moment: dt.datetime) -> str:
    # One fixed format, so the stored times compare as text in SQL.
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class UserRecord:
    """One account (never its password hash)."""

    id: int
    name: str
    display_name: str
    role: str
    enabled: bool
    created_at: str
    updated_at: str
    last_login_at: str | None

    @property
    def actor(self) -> Actor:
        """The account as the one who acts."""
        return Actor(self.name, self.role, self.display_name)


@dataclass(frozen=True)
class LoginResult:
    """A successful login: the account and its session token (give it to the browser
    session only; the database keeps its hash)."""

    user: UserRecord
    token: str
    expires_at: str


def _user(row: Row) -> UserRecord:
    return UserRecord(
        id=int(row["id"]),
        name=row["name"],
        display_name=row["display_name"],
        role=row["role"],
        enabled=bool(row["enabled"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        last_login_at=row["last_login_at"],
    )


def _check_name(name: str) -> str:
    name = str(name).strip()
    if not name or len(name) > _NAME_MAX or any(c.isspace() for c in name):
        raise PlannerError("auth.bad_name", name=name, length=_NAME_MAX)
    if name == LOCAL.name:  # the local mode's actor: an account of that name would pass for it
        raise PlannerError("auth.reserved_name", name=name)
    return name


class UserTables(Database):
    """Accounts, logins and sessions (mixed into :class:`~planner.store.Store`).

    Managing accounts is the ``users.manage`` action: refused unless the store's actor
    is an admin (the local actor is one, so the command line of the machine's owner
    may always manage accounts).
    """

    def has_accounts(self) -> bool:
        """Whether any account exists (else the app runs in single-user local mode)."""
        with self._read() as conn:
            return conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def list_users(self) -> list[UserRecord]:
        """Every account, by name."""
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM users ORDER BY name").fetchall()
        return [_user(row) for row in rows]

    def get_user(self, name: str) -> UserRecord:
        """The account ``name``; ``auth.no_user`` when there is none."""
        with self._read() as conn:
            row = conn.execute("SELECT * FROM users WHERE name = ?", (str(name),)).fetchone()
        if row is None:
            raise PlannerError("auth.no_user", name=name)
        return _user(row)

    def add_user(
        self,
        name: str,
        role: str,
        password: str,
        display_name: str = "",
        now: dt.datetime | None = None,
    ) -> UserRecord:
        """Add an account; its password is stored hashed.

        Raises
        ------
        PlannerError
            ``auth.bad_name``, ``auth.bad_role``, ``auth.password_short``,
            ``auth.name_taken``, or ``auth.forbidden`` for an actor who is no admin.
        """
        check(self.actor, "users.manage")
        name, role = _check_name(name), check_role(role)
        digest = hash_password(password)
        stamp = _stamp(_utc(now))
        try:
            with self._write() as conn:
                conn.execute(
                    "INSERT INTO users (name, display_name, role, enabled, password_hash, "
                    "created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?)",
                    (name, str(display_name).strip(), role, digest, stamp, stamp),
                )
        except IntegrityError as err:
            raise PlannerError("auth.name_taken", name=name) from err
        return self.get_user(name)

    def _update_user(self, name: str, now: dt.datetime | None, sql: str, *args) -> UserRecord:
        check(self.actor, "users.manage")
        with self._write() as conn:
            cur = conn.execute(
                f"UPDATE users SET {sql}, updated_at = ? WHERE name = ?",
                (*args, _stamp(_utc(now)), str(name)),
            )
            if cur.rowcount == 0:
                raise PlannerError("auth.no_user", name=name)
            if sql.startswith(("enabled", "password_hash")):
                # a disabled account or a new password ends the open sessions
                conn.execute(
                    "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?)",
                    (str(name),),
                )
        return self.get_user(name)

    def set_role(self, name: str, role: str, now: dt.datetime | None = None) -> UserRecord:
        """Give account ``name`` role ``role``."""
        return self._update_user(name, now, "role = ?", check_role(role))

    def set_enabled(self, name: str, enabled: bool, now: dt.datetime | None = None) -> UserRecord:
        """Enable or disable account ``name`` (disabling ends its sessions)."""
        return self._update_user(name, now, "enabled = ?", int(bool(enabled)))

    def reset_password(
        self, name: str, password: str, now: dt.datetime | None = None
    ) -> UserRecord:
        """Give account ``name`` a new password (ends its sessions)."""
        return self._update_user(name, now, "password_hash = ?", hash_password(password))

    # --- logging in ------------------------------------------------------------------

    def _failures(self, conn: Connection, name: str, moment: dt.datetime) -> list[str]:
        """Times of ``name``'s failed logins within the window, after its last success."""
        since = _stamp(moment - FAILURE_WINDOW)
        last_ok = conn.execute(
            "SELECT MAX(at) FROM login_attempts WHERE name = ? AND succeeded = 1", (name,)
        ).fetchone()[0]
        since = max(since, last_ok or "")
        rows = conn.execute(
            "SELECT at FROM login_attempts WHERE name = ? AND succeeded = 0 AND at > ? "
            "AND at <= ? ORDER BY at",
            (name, since, _stamp(moment)),
        ).fetchall()
        return [row[0] for row in rows]

    def login(
        self,
        name: str,
        password: str,
        now: dt.datetime | None = None,
        lifetime: dt.timedelta = SESSION_LIFETIME,
    ) -> LoginResult:
        """Check ``name`` and ``password`` and open a session.

        Raises
        ------
        PlannerError
            ``auth.rate_limited`` (with the time to retry) after too many failures,
            ``auth.bad_login`` for an unknown name or a wrong password (the same words
            for both), ``auth.disabled`` for a disabled account.
        """
        moment = _utc(now)
        name = str(name).strip()
        with self._write() as conn:
            failures = self._failures(conn, name, moment)
            if len(failures) >= MAX_FAILURES:
                retry = dt.datetime.fromisoformat(failures[-MAX_FAILURES]) + FAILURE_WINDOW
                raise PlannerError(
                    "auth.rate_limited",
                    name=name,
                    count=len(failures),
                    minutes=int(FAILURE_WINDOW.total_seconds() // 60),
                    retry=retry.strftime("%Y-%m-%d %H:%M:%S") + " UTC",
                )
            row = conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
            ok = row is not None and verify_password(row["password_hash"], password)
            conn.execute(
                "INSERT INTO login_attempts (name, succeeded, at) VALUES (?, ?, ?)",
                (name, int(ok), _stamp(moment)),
            )
            if ok and row["enabled"]:
                token = secrets.token_urlsafe(32)
                expires = _stamp(moment + lifetime)
                conn.execute(
                    "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) "
                    "VALUES (?, ?, ?, ?)",
                    (_token_hash(token), int(row["id"]), _stamp(moment), expires),
                )
                conn.execute(
                    "UPDATE users SET last_login_at = ? WHERE id = ?",
                    (_stamp(moment), int(row["id"])),
                )
        # raised after the transaction, so the failed attempt is stored
        if not ok:
            raise PlannerError("auth.bad_login")
        if not row["enabled"]:
            raise PlannerError("auth.disabled", name=name)
        return LoginResult(self.get_user(name), token, expires)

    def session_user(self, token: str | None, now: dt.datetime | None = None) -> UserRecord | None:
        """The account of an open session; ``None`` when the token is unknown, expired
        or its account disabled."""
        if not token:
            return None
        with self._read() as conn:
            row = conn.execute(
                "SELECT users.*, sessions.expires_at AS expires FROM sessions "
                "JOIN users ON users.id = sessions.user_id WHERE sessions.token_hash = ?",
                (_token_hash(token),),
            ).fetchone()
        if row is None or not row["enabled"] or row["expires"] <= _stamp(_utc(now)):
            return None
        return _user(row)

    def logout(self, token: str | None) -> None:
        """End the session of ``token`` (nothing when there is none)."""
        if not token:
            return
        with self._write() as conn:
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", (_token_hash(token),))
