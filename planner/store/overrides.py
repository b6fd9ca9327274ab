"""Overrides of existing sites' actions: table ``site_overrides``.

A planner or reviewer may set an existing site's action (keep, upgrade, close) against
the compliance standard's, with a reason, or take the override back
(:mod:`planner.scenario.overrides`). :meth:`OverrideTables.record_override` writes the
change into the saved scenario (``existing.actions`` / ``existing.reasons``) and one
row of the audit trail — who, when, the action before and after, why — in the same
transaction. As the review decisions: append-only, never changed; ``UNIQUE
(scenario_id, site_id, version)`` makes two concurrent writers of the same site collide,
and a change made on a version someone else has moved past is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from planner.accounts.roles import LOCAL
from planner.i18n import PlannerError
from planner.plan.review import MAX_REASON, MAX_REVIEWER
from planner.scenario import Scenario
from planner.scenario.existing import EXISTING_ACTIONS
from planner.scenario.overrides import OVERRIDE_CHOICES, REVERT, apply_override
from planner.store.database import Database, IntegrityError, Row, _now, _returned_id

__all__ = ["OverrideRecord", "OverrideTables"]


@dataclass(frozen=True)
class OverrideRecord:
    """One change of an existing site's action, as stored.

    Attributes
    ----------
    id
        Database id.
    scenario_id
        The scenario whose ``existing.actions`` changed.
    tier, site_id
        The site.
    old_action
        Its action as shown when the change was made (the standard's, or an earlier
        override).
    new_action
        ``keep``, ``upgrade``, ``close``, or :data:`~planner.scenario.overrides.REVERT`
        (the override taken back: the standard decides again).
    author, reason
        Who, and why.
    version
        The site's version after this change (1 for its first).
    created_at
        ISO timestamp (UTC).
    """

    id: int
    scenario_id: int
    tier: str
    site_id: str
    old_action: str
    new_action: str
    author: str
    reason: str
    version: int
    created_at: str
    user_name: str = ""
    user_role: str = ""


class OverrideTables(Database):
    """Recording overrides of existing sites' actions and reading their audit trail."""

    def record_override(
        self,
        scenario_id: int,
        tier: str,
        site_id: str,
        old_action: str,
        new_action: str,
        author: str,
        reason: str = "",
        seen: int | None = None,
    ) -> tuple[OverrideRecord, Scenario]:
        """Set (or take back) the override of one existing site, with its audit row.

        Parameters
        ----------
        scenario_id
            The saved scenario.
        tier, site_id
            The existing site.
        old_action, new_action
            The action shown before the change, and the one chosen (one of
            :data:`~planner.scenario.overrides.OVERRIDE_CHOICES`).
        author, reason
            Who, and why; an override needs a reason (the scenario's validation).
        seen
            The site's version the author acted on (0: never overridden); ``None``
            skips the check.

        Returns
        -------
        (OverrideRecord, Scenario)
            The audit row and the scenario as saved now.

        Raises
        ------
        PlannerError
            ``review.no_reviewer`` / ``review.long_reviewer`` (the author's name),
            ``review.long_reason``, ``store.override_action``, ``store.override_none``
            (nothing to take back), ``store.override_conflict`` (someone else changed
            the site since ``seen``), ``store.no_scenario``, or ``scenario.invalid``
            (an override without a reason); nothing is stored.
        """
        self._authorise("override.record")
        if self.actor != LOCAL:
            author = self.actor.shown  # with accounts: the logged-in user, whatever was typed
        author, reason = str(author or "").strip(), str(reason or "").strip()
        site_id = str(site_id)
        if not author:
            raise PlannerError("review.no_reviewer")
        if len(author) > MAX_REVIEWER:
            raise PlannerError("review.long_reviewer", limit=MAX_REVIEWER)
        if len(reason) > MAX_REASON:
            raise PlannerError("review.long_reason", limit=MAX_REASON)
        for action, choices in ((new_action, OVERRIDE_CHOICES), (old_action, EXISTING_ACTIONS)):
            if action not in choices:
                raise PlannerError(
                    "store.override_action", action=action, choices="/".join(choices)
                )
        now = _now()
        user, role = self._acting(author)
        try:
            with self._write() as conn:
                row = conn.execute(
                    "SELECT data FROM scenarios WHERE id = ?", (int(scenario_id),)
                ).fetchone()
                if row is None:
                    raise PlannerError("store.no_scenario", id=scenario_id)
                last = conn.execute(
                    "SELECT * FROM site_overrides WHERE scenario_id = ? AND site_id = ? "
                    "ORDER BY version DESC LIMIT 1",
                    (int(scenario_id), site_id),
                ).fetchone()
                version = int(last["version"]) if last else 0
                if seen is not None and version > int(seen):
                    raise PlannerError(
                        "store.override_conflict",
                        site=site_id,
                        author=last["author"],
                        at=last["created_at"][:19].replace("T", " ") + " UTC",
                    )
                data = json.loads(row["data"])
                if new_action == REVERT and site_id not in (
                    data.get("existing", {}).get("actions") or {}
                ):
                    raise PlannerError("store.override_none", site=site_id)
                scenario = Scenario.from_dict(apply_override(data, site_id, new_action, reason))
                conn.execute(
                    "UPDATE scenarios SET data = ?, updated_at = ? WHERE id = ?",
                    (scenario.to_json(), now, int(scenario_id)),
                )
                cur = conn.execute(
                    "INSERT INTO site_overrides (scenario_id, tier, site_id, old_action, "
                    "new_action, author, reason, version, created_at, user_name, user_role) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (
                        int(scenario_id), str(tier), site_id, old_action, new_action, author,
                        reason, version + 1, now, user, role,
                    ),
                )  # fmt: skip
                record = OverrideRecord(
                    id=_returned_id(cur),
                    scenario_id=int(scenario_id),
                    tier=str(tier),
                    site_id=site_id,
                    old_action=old_action,
                    new_action=new_action,
                    author=author,
                    reason=reason,
                    version=version + 1,
                    created_at=now,
                    user_name=user,
                    user_role=role,
                )
        except IntegrityError as err:
            # Writers are serialised (the write lock), so this is not expected; either
            # way it is never a silent overwrite.
            raise PlannerError("store.busy") from err
        return record, scenario

    def override_history(
        self, scenario_id: int, site_id: str | None = None
    ) -> list[OverrideRecord]:
        """Every override change of the scenario (or of one site), oldest first."""
        query = "SELECT * FROM site_overrides WHERE scenario_id = ?"
        args: list[Any] = [int(scenario_id)]
        if site_id is not None:
            query += " AND site_id = ?"
            args.append(str(site_id))
        with self._read() as conn:
            rows = conn.execute(query + " ORDER BY id", args).fetchall()
        return [_record(row) for row in rows]

    def override_versions(self, scenario_id: int) -> dict[str, int]:
        """The latest version of every overridden site of the scenario (0: none)."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT site_id, MAX(version) AS v FROM site_overrides WHERE scenario_id = ? "
                "GROUP BY site_id",
                (int(scenario_id),),
            ).fetchall()
        return {row["site_id"]: int(row["v"]) for row in rows}


def _record(row: Row) -> OverrideRecord:
    return OverrideRecord(
        id=int(row["id"]),
        scenario_id=int(row["scenario_id"]),
        tier=row["tier"],
        site_id=row["site_id"],
        old_action=row["old_action"],
        new_action=row["new_action"],
        author=row["author"],
        reason=row["reason"],
        version=int(row["version"]),
        created_at=row["created_at"],
        user_name=row["user_name"] or row["author"],  # a row from before accounts
        user_role=row["user_role"],
    )
