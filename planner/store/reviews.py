"""Site review decisions: table ``review_decisions``.

Append-only: one row per decision (who, when, what, why), never changed; a site's
state is the replay of its rows (:func:`planner.plan.review.replay`). ``UNIQUE
(scenario_id, tier, site_id, version)`` makes two concurrent writers of the same site
collide instead of overwriting each other, and a decision on sites someone else changed
since they were shown is refused as a whole (:class:`ReviewConflict`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from planner.accounts.roles import LOCAL
from planner.findings import Finding
from planner.i18n import PlannerError, Text
from planner.plan.review import (
    REVIEW_ACTION_LABEL,
    Decision,
    MoveTarget,
    SiteReview,
    check_decision,
    next_state,
    replay,
)
from planner.store.database import Connection, Database, IntegrityError, Row, _now, _returned_id

__all__ = ["ReviewConflict", "ReviewTables"]

#: Review action (:data:`planner.plan.review.ACTIONS`) -> its name.


class ReviewTables(Database):
    """Recording review decisions and reading a scenario's review history."""

    def record_review(
        self,
        scenario_id: int,
        plan_id: int | None,
        reviewer: str,
        action: str,
        sites: Sequence[tuple[str, str]],
        seen: Mapping[tuple[str, str], int],
        reason: str = "",
        move_to: MoveTarget | None = None,
    ) -> list[Decision]:
        """Store one reviewer's decision on one or more sites, all or nothing.

        Parameters
        ----------
        scenario_id, plan_id
            The scenario whose sites are reviewed and the plan shown to the reviewer.
        reviewer, action, reason, move_to
            See :mod:`planner.plan.review`.
        sites
            ``(tier, site_id)`` pairs.
        seen
            The version of each site the reviewer acted on (:attr:`SiteReview.version`;
            a missing site counts as 0, never reviewed).

        Returns
        -------
        list of Decision
            The stored events.

        Raises
        ------
        ReviewConflict
            When any site has events newer than the version seen (another reviewer got
            there first); nothing is stored and the error lists their decisions.
        PlannerError
            Invalid decision (:func:`planner.plan.review.check_decision`), a locked site,
            or ``store.no_scenario``.
        """
        self._authorise("review.comment" if action == "comment" else "review.decide")
        if self.actor != LOCAL:
            # with accounts the decision is the logged-in reviewer's, whatever was typed
            reviewer = self.actor.shown
        sites = list(dict.fromkeys((str(t), str(s)) for t, s in sites))
        check_decision(action, reviewer, sites, reason, move_to)
        reviewer, reason = reviewer.strip(), str(reason or "").strip()
        now = _now()
        moved = json.dumps(move_to.to_dict()) if move_to is not None else None
        user, role = self._acting(reviewer)
        try:
            with self._write() as conn:
                self._require(conn, "scenarios", int(scenario_id), "store.no_scenario")
                if plan_id is not None:
                    self._require(conn, "plans", int(plan_id), "store.no_plan")
                history = self._site_history(conn, int(scenario_id), sites)
                newer = [
                    d
                    for key in sites
                    for d in history.get(key, [])
                    if d.version > int(seen.get(key, 0))
                ]
                if newer:
                    raise ReviewConflict(newer)
                stored = []
                for tier, site_id in sites:
                    events = history.get((tier, site_id), [])
                    version = events[-1].version + 1 if events else 1
                    decision = Decision(
                        scenario_id=int(scenario_id),
                        plan_id=int(plan_id) if plan_id is not None else None,
                        tier=tier,
                        site_id=site_id,
                        action=action,
                        reviewer=reviewer,
                        reason=reason,
                        version=version,
                        created_at=now,
                        move_to=move_to,
                        user_name=user,
                        user_role=role,
                    )
                    state = replay(events).get((tier, site_id))
                    next_state(state, decision)  # refuses a locked site's status change
                    cur = conn.execute(
                        "INSERT INTO review_decisions (scenario_id, plan_id, tier, site_id, "
                        "action, reviewer, reason, move_to, version, created_at, user_name, "
                        "user_role) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        (
                            decision.scenario_id, decision.plan_id, tier, site_id, action,
                            reviewer, reason, moved, version, now, user, role,
                        ),
                    )  # fmt: skip
                    stored.append(replace(decision, id=_returned_id(cur)))
        except IntegrityError as err:
            # Writers are serialised (the write lock) and the scenario and plan were
            # checked inside the transaction, so this is not expected; either way it is
            # never a silent overwrite.
            raise PlannerError("store.busy") from err
        return stored

    def _site_history(
        self, conn: Connection, scenario_id: int, sites: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], list[Decision]]:
        wanted = set(sites)
        rows = conn.execute(
            "SELECT * FROM review_decisions WHERE scenario_id = ? ORDER BY version",
            (scenario_id,),
        ).fetchall()
        out: dict[tuple[str, str], list[Decision]] = {}
        for row in rows:
            key = (row["tier"], row["site_id"])
            if key in wanted:
                out.setdefault(key, []).append(_decision(row))
        return out

    def review_history(
        self, scenario_id: int, tier: str | None = None, site_id: str | None = None
    ) -> list[Decision]:
        """Every review event of the scenario (or of one site), oldest first."""
        query = "SELECT * FROM review_decisions WHERE scenario_id = ?"
        args: list[Any] = [int(scenario_id)]
        if tier is not None:
            query += " AND tier = ?"
            args.append(tier)
        if site_id is not None:
            query += " AND site_id = ?"
            args.append(str(site_id))
        with self._read() as conn:
            rows = conn.execute(query + " ORDER BY id", args).fetchall()
        return [_decision(row) for row in rows]

    def review_states(self, scenario_id: int) -> dict[tuple[str, str], SiteReview]:
        """Current review state of every reviewed site of the scenario."""
        return replay(self.review_history(scenario_id))


def _decision(row: Row) -> Decision:
    return Decision(
        id=int(row["id"]),
        scenario_id=int(row["scenario_id"]),
        plan_id=row["plan_id"],
        tier=row["tier"],
        site_id=row["site_id"],
        action=row["action"],
        reviewer=row["reviewer"],
        reason=row["reason"],
        version=int(row["version"]),
        created_at=row["created_at"],
        move_to=MoveTarget.from_dict(json.loads(row["move_to"])) if row["move_to"] else None,
        user_name=row["user_name"] or row["reviewer"],  # a row from before accounts
        user_role=row["user_role"],
    )


def _conflict_line(decision: Decision) -> Finding:
    """One decision another reviewer made, for the list under :class:`ReviewConflict`."""
    d = decision
    reason = Text("store.review_conflict_reason", reason=d.reason) if d.reason else ""
    return Finding(
        "store.review_conflict_line",
        {
            "site": d.site_id,
            "reviewer": d.reviewer,
            "at": d.created_at[:19].replace("T", " ") + " UTC",
            # an action the planner does not know (an older database) shows as stored
            "action": Text(REVIEW_ACTION_LABEL.get(d.action, d.action)),
            "reason": reason,
        },
    )


class ReviewConflict(PlannerError):
    """Another reviewer changed some of the sites since they were shown.

    Attributes
    ----------
    decisions
        The other reviewers' events the caller had not seen.
    """

    def __init__(self, decisions: Sequence[Decision]) -> None:
        self.decisions = tuple(decisions)
        sites = {(d.tier, d.site_id) for d in self.decisions}
        super().__init__(
            "store.review_conflict",
            details=[_conflict_line(d) for d in self.decisions],
            count=len(sites),
        )
