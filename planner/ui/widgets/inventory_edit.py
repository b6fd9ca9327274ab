"""Correcting the inventory of existing sites on the Data page, one site at a time, with
an audit trail.

An edit changes the region on screen (the session's working copy, as an applied import
does); it is kept when the planner saves the region as a pack, and its audit rows —
who, when, the value before and after, why — are written then, under the saved
region's id (:meth:`planner.store.Store.record_inventory_edits`). Discarding the working
copy discards the edits with it. The trail shows the stored rows and the edits not yet
saved.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

import pandas as pd
import streamlit as st

from planner.data.checks import SITE_VALUE_KEYS
from planner.data.checks.report import FIELD_KEYS
from planner.data.checks.schema import SITE_KIND_VALUES, SITE_VALUES
from planner.data.edit.inventory import EDITABLE, MAX_TEXT, SiteEdit, edit_site, site_values
from planner.data.regions import Region
from planner.i18n import PlannerError, value_label
from planner.store.inventory import edit_note
from planner.ui.auth import can, not_allowed
from planner.ui.labels import IMPORT_STATUS_LABEL
from planner.ui.state import WORKING_REGION, lang, store, tr

__all__ = ["drop_pending_edits", "edit_panel", "save_pending_edits"]

logger = logging.getLogger(__name__)

#: Edits applied to the working copy and not saved yet: a list of dicts (region id,
#: the fields changed, author, reason, time).
PENDING = "inventory_edits_pending"
_FLASH = "inventory_edit_flash"
_ROUND = "inventory_edit_round"
_AUTHOR = "inventory_edit_author"
_STATUSES = ("existing_keep", "existing_close")
#: Field -> its value labels, for the choice fields.
_WORDS: dict[str, dict[str, str]] = {
    "status": {s: IMPORT_STATUS_LABEL[s] for s in _STATUSES},
    **SITE_VALUE_KEYS,
}
_OPTIONS: dict[str, tuple[str, ...]] = {
    "kind": SITE_KIND_VALUES,
    "status": _STATUSES,
    **SITE_VALUES,
}


def _key(name: str, site: str) -> str:
    return f"inv_edit_{name}_{site}_{st.session_state.get(_ROUND, 0)}"


def _word(field: str, value: str) -> str:
    if field in _WORDS and value:
        return value_label(_WORDS[field], value, lang())
    return value


def edit_panel(region: Region) -> None:
    """The form that corrects one site of ``region``'s inventory, and the trail."""
    if not can("region.edit"):  # the store refuses the edit anyway
        st.info(not_allowed("region.edit"))
        return
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        getattr(st, flash[0])(flash[1])
    _pending(region.id)  # forget the edits of a working copy dropped meanwhile
    sites = region.sites
    if sites is None or not len(sites):
        return
    with st.expander(tr("ui.inv.edit_title")):
        st.caption(tr("ui.inv.edit_help"))
        ids = sites["site_id"].astype(str).tolist()
        names = dict(zip(ids, sites["name"].astype(str), strict=True)) if "name" in sites else {}
        site = st.selectbox(
            tr("ui.inv.edit_site"),
            ids,
            format_func=lambda s: f"{s} · {names.get(s, '')}",
            key="inv_edit_site",
        )
        if site is None:
            return
        _form(region, str(site))
    _trail(region)


def _form(region: Region, site: str) -> None:
    before = site_values(region, site)
    values: dict[str, Any] = {}
    with st.form(f"inv_edit_form_{site}_{st.session_state.get(_ROUND, 0)}", border=False):
        columns = st.columns(3)
        for i, field in enumerate(EDITABLE):
            where = columns[i % 3]
            label = tr(FIELD_KEYS[field])
            if field in _OPTIONS:
                options = list(_OPTIONS[field])
                current = before[field] if before[field] in options else options[-1]
                values[field] = where.selectbox(
                    label,
                    options,
                    index=options.index(current),
                    format_func=lambda v, f=field: _word(f, v),
                    key=_key(field, site),
                )
            else:
                values[field] = where.text_input(
                    label, value=before[field], max_chars=MAX_TEXT, key=_key(field, site)
                )
        a, b = st.columns([1, 2])
        author = a.text_input(tr("ui.inv.author"), key=_AUTHOR, max_chars=100)
        reason = b.text_input(tr("ui.inv.edit_reason"), key=_key("reason", site))
        submitted = st.form_submit_button(tr("ui.inv.edit_apply"), type="primary")
    if submitted:
        _apply(region, site, values, author, reason)


def _apply(region: Region, site: str, values: dict[str, Any], author: str, reason: str) -> None:
    try:
        author, reason = edit_note(author, reason)
        edited, edits = edit_site(region, site, values)
    except PlannerError as err:
        st.error(err.message(lang()))
        return
    if not edits:
        st.info(tr("ui.inv.edit_nothing"))
        return
    st.session_state[WORKING_REGION] = edited
    st.session_state.setdefault(PENDING, []).append(
        {
            "region": region.id,
            "edits": [dataclasses.asdict(e) for e in edits],
            "author": author,
            "reason": reason,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        }
    )
    fields = "、" if lang() == "zh" else ", "
    st.session_state[_FLASH] = (
        "success",
        tr(
            "ui.inv.edit_applied",
            site=site,
            fields=fields.join(tr(FIELD_KEYS[e.field]) for e in edits),
        ),
    )
    st.session_state[_ROUND] = st.session_state.get(_ROUND, 0) + 1
    st.rerun()


def _pending(region_id: str) -> list[dict]:
    """The unsaved edits of region ``region_id``: those of the working copy on screen.
    A working copy dropped meanwhile (another region chosen) takes its edits with it."""
    working = st.session_state.get(WORKING_REGION)
    if not isinstance(working, Region):
        st.session_state.pop(PENDING, None)
        return []
    kept = [e for e in st.session_state.get(PENDING, []) if e["region"] == working.id]
    st.session_state[PENDING] = kept
    return kept if working.id == region_id else []


def _trail(region: Region) -> None:
    """The stored edits of the region's inventory and those not saved yet, newest first."""
    rows = []
    for entry in _pending(region.id):
        for e in entry["edits"]:
            rows.append((entry["at"], e, entry["author"], entry["reason"], False))
    try:
        stored = store().inventory_history(region.id)
    except PlannerError as err:
        st.warning(err.message(lang()))
        stored = []
    for r in stored:
        edit = {"site_id": r.site_id, "field": r.field, "old": r.old_value, "new": r.new_value}
        rows.append((r.created_at, edit, r.author, r.reason, True))
    if not rows:
        return
    rows.sort(key=lambda row: row[0], reverse=True)
    blank = tr("validate.value.unknown")
    table = pd.DataFrame(
        [
            {
                tr("ui.inv.trail.time"): at[:19].replace("T", " ") + " UTC",
                tr("validate.field.site_id"): e["site_id"],
                tr("ui.inv.trail.field"): tr(FIELD_KEYS.get(e["field"], e["field"])),
                tr("ui.inv.trail.old"): _word(e["field"], e["old"]) or blank,
                tr("ui.inv.trail.new"): _word(e["field"], e["new"]) or blank,
                tr("ui.inv.author"): author,
                tr("ui.inv.trail.reason"): reason,
                tr("ui.inv.trail.state"): tr(
                    "ui.inv.trail.saved" if saved else "ui.inv.trail.pending"
                ),
            }
            for at, e, author, reason, saved in rows
        ]
    )
    st.markdown(f"**{tr('ui.inv.trail_title')}**")
    st.dataframe(table, hide_index=True, width="stretch")


def save_pending_edits(working: Region, saved_id: str) -> str | None:
    """Write the audit rows of the edits made to ``working`` under ``saved_id``, the id
    its pack was just saved as; the pending list is emptied. Returns a message when the
    rows could not be written (the pack is saved either way)."""
    pending = _pending(working.id)
    st.session_state.pop(PENDING, None)
    try:
        db = store()
        for entry in pending:
            edits = [SiteEdit(**e) for e in entry["edits"]]
            db.record_inventory_edits(
                saved_id, edits, entry["author"], entry["reason"], entry["at"]
            )
    except PlannerError as err:
        return err.message(lang())
    except Exception as err:  # the pack is saved; say the trail is not
        logger.exception("inventory edits not recorded")
        return tr("ui.inv.trail_failed", message=type(err).__name__)
    return None


def drop_pending_edits() -> None:
    """Forget the edits not saved (the working copy was discarded)."""
    st.session_state.pop(PENDING, None)
