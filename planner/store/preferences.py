"""What the app remembers between visits: table ``preferences``.

A planner who worked on Wenzhou yesterday expects Wenzhou today, after a restart too.
One machine is one user until accounts exist, so the keys are global; values are short
text (a region id, a language code).
"""

from __future__ import annotations

from planner.store.database import Database, _now

__all__ = ["PREFERENCES", "PreferenceTables"]

#: The preferences the app keeps, and the longest value each may hold.
PREFERENCES = {
    "last_region": 40,
    "start_panel_hidden": 1,
    "map_approval": 60,  # 审图号 printed on maps and reports
    "basemap_statement": 300,  # the base map's statement, likewise
}


class PreferenceTables(Database):
    """Preferences (mixed into :class:`~planner.store.Store`)."""

    def preference(self, key: str) -> str | None:
        """The stored value of preference ``key`` (one of :data:`PREFERENCES`), if any."""
        if key not in PREFERENCES:
            raise KeyError(key)
        with self._read() as conn:
            row = conn.execute("SELECT value FROM preferences WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row["value"])

    def set_preference(self, key: str, value: str) -> None:
        """Remember ``value`` for ``key``; values longer than the key allows are not
        stored (they never come from a planner's choice)."""
        if key not in PREFERENCES:
            raise KeyError(key)
        if len(value) > PREFERENCES[key]:
            return
        with self._write() as conn:
            conn.execute(
                "INSERT INTO preferences (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                (key, value, _now()),
            )
