"""The audit trail of the inventory of existing sites: table ``inventory_edits``.

A planner corrects a site of the inventory on the Data page
(:func:`planner.data.edit.inventory.edit_site`); the corrected inventory is saved with
the region's pack, and every field changed is one row here — who, when, the value
before and after, why. Append-only, as the review decisions and the overrides: rows are
never changed or deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from planner.accounts.roles import LOCAL
from planner.data.edit.inventory import SiteEdit
from planner.i18n import PlannerError
from planner.plan.review import MAX_REASON, MAX_REVIEWER
from planner.store.database import Database, _now, _returned_id

__all__ = ["InventoryEditRecord", "InventoryTables", "edit_note"]


@dataclass(frozen=True)
class InventoryEditRecord:
    """One field of one existing site changed, as stored.

    Attributes
    ----------
    id
        Database id.
    region
        The region's id (its pack holds the inventory).
    site_id, field
        The site and the field (a column of the sites layer).
    old_value, new_value
        As stored in the sites layer, as text (``""``: unknown).
    author, reason
        Who, and why.
    created_at
        ISO timestamp (UTC) of the edit.
    """

    id: int
    region: str
    site_id: str
    field: str
    old_value: str
    new_value: str
    author: str
    reason: str
    created_at: str
    user_name: str = ""
    user_role: str = ""


def edit_note(author: Any, reason: Any) -> tuple[str, str]:
    """The author and reason of an inventory edit, trimmed and checked.

    Raises
    ------
    PlannerError
        ``inventory.edit_no_author``, ``review.long_reviewer``, ``inventory.edit_no_reason``
        or ``review.long_reason``.
    """
    author, reason = str(author or "").strip(), str(reason or "").strip()
    if not author:
        raise PlannerError("inventory.edit_no_author")
    if len(author) > MAX_REVIEWER:
        raise PlannerError("review.long_reviewer", limit=MAX_REVIEWER)
    if not reason:
        raise PlannerError("inventory.edit_no_reason")
    if len(reason) > MAX_REASON:
        raise PlannerError("review.long_reason", limit=MAX_REASON)
    return author, reason


class InventoryTables(Database):
    """Recording edits of a region's inventory and reading their audit trail."""

    def record_inventory_edits(
        self,
        region: str,
        edits: Sequence[SiteEdit],
        author: str,
        reason: str,
        created_at: str | None = None,
    ) -> list[InventoryEditRecord]:
        """Store the audit rows of one edit (all its fields, in one transaction).

        Parameters
        ----------
        region
            The id of the region whose pack holds the edited inventory.
        edits
            The fields changed (:func:`planner.data.edit.inventory.edit_site`).
        author, reason
            Who, and why (:func:`edit_note`).
        created_at
            When the edit was made (ISO, UTC), if earlier than now: an edit made on a
            working copy is recorded when the copy is saved.

        Raises
        ------
        PlannerError
            As :func:`edit_note`; nothing is stored.
        """
        self._authorise("region.edit")
        if self.actor != LOCAL:
            author = self.actor.shown  # with accounts: the logged-in user, whatever was typed
        author, reason = edit_note(author, reason)
        when = created_at or _now()
        user, role = self._acting(author)
        rows = [
            (str(region), e.site_id, e.field, e.old, e.new, author, reason, when, user, role)
            for e in edits
        ]
        stored = []
        with self._write() as conn:
            for row in rows:
                cur = conn.execute(
                    "INSERT INTO inventory_edits (region, site_id, field, old_value, "
                    "new_value, author, reason, created_at, user_name, user_role) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    row,
                )
                stored.append(InventoryEditRecord(_returned_id(cur), *row))
        return stored

    def inventory_history(
        self, region: str, site_id: str | None = None
    ) -> list[InventoryEditRecord]:
        """Every edit of the region's inventory (or of one site), oldest first."""
        query = "SELECT * FROM inventory_edits WHERE region = ?"
        args: list[Any] = [str(region)]
        if site_id is not None:
            query += " AND site_id = ?"
            args.append(str(site_id))
        with self._read() as conn:
            rows = conn.execute(query + " ORDER BY id", args).fetchall()
        return [
            InventoryEditRecord(
                id=int(r["id"]), region=r["region"], site_id=r["site_id"], field=r["field"],
                old_value=r["old_value"], new_value=r["new_value"], author=r["author"],
                reason=r["reason"], created_at=r["created_at"],
                user_name=r["user_name"] or r["author"], user_role=r["user_role"],
            )
            for r in rows
        ]  # fmt: skip
