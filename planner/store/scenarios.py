"""Saved scenarios: table ``scenarios``.

One row per scenario: ``id``, ``region``, ``name`` (unique within a region), ``data``
(the scenario as JSON), ``created_at``, ``updated_at``. Deleting a scenario deletes its
plans, their files and its review decisions (foreign keys with ``ON DELETE CASCADE``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from planner.i18n import PlannerError
from planner.scenario import Scenario
from planner.store.database import Connection, Database, IntegrityError, Row, _now, _returned_id

__all__ = ["ScenarioRecord", "ScenarioTables"]


@dataclass(frozen=True)
class ScenarioRecord:
    """A saved scenario.

    Attributes
    ----------
    id
        Database id.
    region, name
        Region id and display name (unique within the region).
    scenario
        The parameters; ``scenario.name`` equals :attr:`name`.
    created_at, updated_at
        ISO timestamps (UTC).
    plans
        Number of stored plans computed from it.
    user_name, user_role
        Who saved it last, and in which role ("" when saved before accounts).
    """

    id: int
    region: str
    name: str
    scenario: Scenario
    created_at: str
    updated_at: str
    plans: int = 0
    user_name: str = "local"
    user_role: str = ""


class ScenarioTables(Database):
    """Saving, listing, renaming, cloning and deleting scenarios."""

    def list_scenarios(self, region: str | None = None) -> list[ScenarioRecord]:
        """Saved scenarios (of ``region``, or all), oldest first."""
        query = (
            "SELECT s.*, (SELECT COUNT(*) FROM plans p WHERE p.scenario_id = s.id) AS n "
            "FROM scenarios s"
        )
        args: tuple = ()
        if region is not None:
            query += " WHERE s.region = ?"
            args = (region,)
        with self._read() as conn:
            rows = conn.execute(query + " ORDER BY s.id", args).fetchall()
        return [_scenario_record(row) for row in rows]

    def get_scenario(self, scenario_id: int) -> ScenarioRecord:
        """The scenario with ``scenario_id``; ``store.no_scenario`` if there is none."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT s.*, (SELECT COUNT(*) FROM plans p WHERE p.scenario_id = s.id) AS n "
                "FROM scenarios s WHERE s.id = ?",
                (int(scenario_id),),
            ).fetchone()
        if row is None:
            raise PlannerError("store.no_scenario", id=scenario_id)
        return _scenario_record(row)

    def find_scenario(self, region: str, name: str) -> ScenarioRecord | None:
        """The scenario of ``region`` named ``name``, if any."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT id FROM scenarios WHERE region = ? AND name = ?", (region, name.strip())
            ).fetchone()
        return self.get_scenario(row["id"]) if row else None

    def unique_name(self, region: str, base: str, exclude: int | None = None) -> str:
        """``base``, or ``base (2)``, ``base (3)``… — the first name free in ``region``."""
        base = base.strip() or "scenario"
        with self._read() as conn:
            rows = conn.execute("SELECT id, name FROM scenarios WHERE region = ?", (region,))
            taken = {row["name"] for row in rows if exclude is None or row["id"] != int(exclude)}
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base} ({n})"
        return name

    def save_scenario(
        self,
        scenario: Scenario,
        scenario_id: int | None = None,
        expected: Scenario | None = None,
    ) -> ScenarioRecord:
        """Insert ``scenario`` (``scenario_id`` None) or overwrite the saved one.

        The scenario is validated first (:meth:`Scenario.check`); its ``name`` must be
        non-empty and not used by another scenario of the same region.

        Parameters
        ----------
        scenario
            What to save.
        scenario_id
            The saved scenario to overwrite; ``None`` inserts a new one.
        expected
            The saved scenario as the caller last read it, when ``scenario`` is an edit
            of it: if the stored one has changed since (an override recorded by a
            reviewer, another planner's save), nothing is saved and
            ``store.scenario_changed`` says when it changed — a stale edit never
            overwrites someone else's work.

        Raises
        ------
        PlannerError
            ``scenario.invalid``, ``store.empty_name``, ``store.name_taken``,
            ``store.no_scenario`` or ``store.scenario_changed``.
        """
        self._authorise("scenario.save")
        scenario.check()
        name = scenario.name.strip()
        if not name:
            raise PlannerError("store.empty_name")
        scenario = replace(scenario, name=name)
        now = _now()
        user, role = self._acting()
        try:
            with self._write() as conn:
                if scenario_id is None:
                    cur = conn.execute(
                        "INSERT INTO scenarios (region, name, data, created_at, updated_at, "
                        "user_name, user_role) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        (scenario.region, name, scenario.to_json(), now, now, user, role),
                    )
                    scenario_id = _returned_id(cur)
                else:
                    if expected is not None:
                        _check_unchanged(conn, int(scenario_id), expected)
                    cur = conn.execute(
                        "UPDATE scenarios SET region = ?, name = ?, data = ?, updated_at = ?, "
                        "user_name = ?, user_role = ? WHERE id = ?",
                        (
                            scenario.region, name, scenario.to_json(), now, user, role,
                            int(scenario_id),
                        ),
                    )  # fmt: skip
                    if cur.rowcount == 0:
                        raise PlannerError("store.no_scenario", id=scenario_id)
        except IntegrityError as err:
            raise PlannerError("store.name_taken", region=scenario.region, name=name) from err
        return self.get_scenario(scenario_id)

    def rename_scenario(self, scenario_id: int, name: str) -> ScenarioRecord:
        """Give the saved scenario a new name (its stored plans keep theirs)."""
        record = self.get_scenario(scenario_id)
        return self.save_scenario(replace(record.scenario, name=name), scenario_id)

    def clone_scenario(self, scenario_id: int, name: str | None = None) -> ScenarioRecord:
        """Save a copy of the scenario (not its plans) as a new scenario.

        ``name`` defaults to the original's name made unique (``name (2)``).
        """
        record = self.get_scenario(scenario_id)
        name = name if name is not None else self.unique_name(record.region, record.name)
        return self.save_scenario(replace(record.scenario, name=name))

    def delete_scenario(self, scenario_id: int) -> None:
        """Delete the scenario with its plans and their files."""
        self._authorise("scenario.delete")
        self._delete("scenarios", int(scenario_id), "store.no_scenario")


def _check_unchanged(conn: Connection, scenario_id: int, expected: Scenario) -> None:
    """Refuse (``store.scenario_changed``) when the stored scenario is not ``expected``."""
    row = conn.execute(
        "SELECT name, data, updated_at FROM scenarios WHERE id = ?", (scenario_id,)
    ).fetchone()
    if row is None:
        raise PlannerError("store.no_scenario", id=scenario_id)
    if Scenario.from_dict(json.loads(row["data"])) != expected:
        raise PlannerError(
            "store.scenario_changed",
            name=row["name"],
            at=row["updated_at"][:19].replace("T", " ") + " UTC",
        )


def _scenario_record(row: Row) -> ScenarioRecord:
    scenario = Scenario.from_dict(json.loads(row["data"]))
    return ScenarioRecord(
        id=int(row["id"]),
        region=row["region"],
        name=row["name"],
        scenario=replace(scenario, name=row["name"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        plans=int(row["n"]) if "n" in row.keys() else 0,  # noqa: SIM118 (Row)
        user_name=row["user_name"],
        user_role=row["user_role"],
    )
