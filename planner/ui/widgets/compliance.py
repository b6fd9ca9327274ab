"""The scenario page's compliance check of the existing sites, and the overrides.

When the region has an inventory of existing sites, each is classified by the
scenario's standard (:func:`planner.instance.compliance.classify_sites`, with the
form's current standard and floor areas) and listed with its action and the reasons in
words, with the counts per action. A planner or reviewer may set another action on a
site, with a reason and their name: the scenario's validation says what is missing
(:func:`planner.scenario.form.scenario_problems`), and the change goes into the saved
scenario and the append-only audit trail at once
(:meth:`planner.store.Store.record_override`), which is listed below.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from planner.accounts import LOCAL
from planner.data.regions import Region
from planner.data.standards import load_standard
from planner.i18n import PlannerError
from planner.instance.compliance import classify_sites
from planner.plan.existing_tables import (
    OVERRIDE_LABEL,
    action_counts,
    existing_ids,
    inventory_rows,
    override_rows,
)
from planner.scenario import Scenario
from planner.scenario.existing import EXISTING_ACTIONS
from planner.scenario.form import comparable, scenario_problems
from planner.scenario.overrides import REVERT, apply_override
from planner.ui.auth import can, current_actor, not_allowed
from planner.ui.state import NEW_SCENARIO, lang, store, tr
from planner.ui.widgets.choices import choice, translated
from planner.ui.widgets.views import local_time

__all__ = ["compliance_panel"]

SITE = "sc_ov_site"
ACTION = "sc_ov_action"
REASON = "sc_ov_reason"
AUTHOR = "sc_ov_author"
FLASH = "sc_ov_flash"
#: The parts of the scenario an override is made on: they must be saved first.
_COMPARED = (
    "standard",
    "station_min_floor_area_m2",
    "centre_min_floor_area_m2",
    "actions",
    "reasons",
)


def _submit(
    draft_key: str,
    region: Region,
    scenario_id: int,
    shown: dict[str, tuple[str, str]],
    versions: dict[str, int],
) -> None:
    """Store the override (a button callback: it runs before the page is drawn again).

    ``shown`` is each existing site's tier and action as listed; ``versions`` each
    site's override version as listed (a change someone made since is refused).
    """
    state = st.session_state
    site, action = state.get(SITE), state.get(ACTION)
    reason, author = str(state.get(REASON) or ""), str(state.get(AUTHOR) or "")
    draft = state.get(draft_key)
    if site not in shown or draft is None or draft.get("saved") is None:
        return
    tier, old = shown[site]
    _, problems = scenario_problems(
        apply_override(draft["saved"], site, action, reason), region, lang()
    )
    if not author.strip():
        problems.append(PlannerError("review.no_reviewer").message(lang()))
    if problems:
        lines = "\n".join(f"- {p}" for p in problems)
        state[FLASH] = ("error", tr("ui.existing.override_problems") + "\n" + lines)
        return
    try:
        record, scenario = store().record_override(
            scenario_id, tier, site, old, action, author, reason, versions.get(site, 0)
        )
    except PlannerError as err:
        state[FLASH] = ("error", err.message(lang()))
        return
    saved = scenario.to_dict()
    draft["saved"] = saved
    for part in ("actions", "reasons"):
        draft["data"]["existing"][part] = dict(saved["existing"][part])
    state[REASON] = ""
    label = translated(OVERRIDE_LABEL).get(record.new_action, record.new_action)
    state[FLASH] = (
        "success",
        tr("ui.existing.override_saved", author=record.author, site=site, action=label),
    )


def _override_form(
    draft: dict,
    draft_key: str,
    region: Region,
    scenario_id: int,
    sites: pd.DataFrame,
    classified: pd.DataFrame,
) -> None:
    st.markdown(f"**{tr('ui.existing.override_title')}**")
    st.caption(tr("ui.existing.override_intro"))
    if not can("override.record"):  # the store refuses it anyway
        st.info(not_allowed("override.record"))
        return
    flash = st.session_state.pop(FLASH, None)
    if flash:
        (st.success if flash[0] == "success" else st.error)(flash[1])
    if scenario_id == NEW_SCENARIO or draft.get("saved") is None:
        st.info(tr("ui.existing.save_first"))
        return
    saved, data = comparable(draft["saved"]), comparable(draft["data"])
    if any(saved["existing"].get(k) != data["existing"].get(k) for k in _COMPARED):
        st.info(tr("ui.existing.unsaved_existing"))
        return
    ids = existing_ids(sites, classified)
    if not ids:
        return
    by_id = {
        str(site): (str(tier), str(action))
        for site, tier, action in zip(
            sites["site_id"], sites["tier"], classified["action"], strict=True
        )
    }
    names = dict(zip(sites["site_id"].astype(str), _names(sites), strict=True))
    actions = translated(OVERRIDE_LABEL)
    labels = {i: " · ".join(p for p in (i, names[i], actions[by_id[i][1]]) if p) for i in ids}
    a, b = st.columns([3, 2])
    site = choice(a, tr("ui.existing.site"), ids, key=SITE, labels=labels)
    overridden = data["existing"]["actions"]
    options = [*EXISTING_ACTIONS, *((REVERT,) if site in overridden else ())]
    choice(b, tr("ui.existing.new_action"), options, key=ACTION, labels=actions, kind="radio")
    a, b = st.columns([3, 2])
    a.text_input(
        tr("ui.existing.reason"), key=REASON, max_chars=2000, help=tr("ui.existing.reason_help")
    )
    actor = current_actor()
    if actor != LOCAL:  # with accounts an override is the logged-in user's
        st.session_state[AUTHOR] = actor.shown
    b.text_input(
        tr("ui.rev.reviewer"), key=AUTHOR, max_chars=100, help=tr("ui.rev.reviewer_help"),
        disabled=actor != LOCAL,
    )  # fmt: skip
    versions = store().override_versions(scenario_id)
    st.button(
        tr("ui.existing.submit"),
        key="sc_ov_submit",
        on_click=_submit,
        args=(draft_key, region, scenario_id, {i: by_id[i] for i in ids}, versions),
    )


def _names(sites: pd.DataFrame) -> list[str]:
    if "name" not in sites:
        return [""] * len(sites)
    return ["" if pd.isna(v) else str(v) for v in sites["name"]]


def _audit(scenario_id: int, sites: pd.DataFrame) -> None:
    st.markdown(f"**{tr('ui.existing.audit_title')}**")
    records = store().override_history(scenario_id) if scenario_id != NEW_SCENARIO else []
    if not records:
        st.caption(tr("ui.existing.audit_none"))
        return
    names = dict(zip(sites["site_id"].astype(str), _names(sites), strict=True))
    st.dataframe(
        override_rows(records, names, lang(), local_time), hide_index=True, width="stretch"
    )


def compliance_panel(draft: dict, draft_key: str, region: Region, scenario_id: int) -> None:
    """The compliance check, the override form and the audit trail; nothing when the
    region has no inventory of existing sites.

    ``draft`` is the scenario page's draft (``data``: the form's scenario, ``saved``:
    the saved one), kept in the session under ``draft_key``.
    """
    sites: Any = region.sites
    if sites is None or sites.empty or not {"site_id", "tier"} <= set(sites.columns):
        return
    with st.container(border=True):
        st.subheader(tr("ui.existing.check_title"), anchor=False)
        try:
            existing = Scenario.from_dict(draft["data"]).existing
        except PlannerError:
            st.info(tr("ui.existing.check_needs_valid"))
            return
        name = load_standard(existing.standard).name[lang()]
        st.caption(tr("ui.existing.check_intro", standard=name))
        classified = classify_sites(sites, existing)
        st.dataframe(action_counts(sites, classified, lang()), hide_index=True, width="content")
        st.dataframe(
            inventory_rows(region, sites, classified, existing.reasons, lang()),
            hide_index=True,
            width="stretch",
        )
        _override_form(draft, draft_key, region, scenario_id, sites, classified)
        _audit(scenario_id, sites)
