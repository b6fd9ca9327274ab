"""The review page's standalone facility kinds: each kind's sites, per kind.

Listed for the reviewers to see beside the stations and sorting centres they decide
on. Decisions (approve, reject, move) are taken on stations and sorting centres only:
a re-run does not yet honour decisions on a standalone kind, so the page says so
rather than offer a decision that would be dropped.
"""

from __future__ import annotations

import streamlit as st

from planner.data.regions import Region
from planner.plan import Plan
from planner.plan.kinds import kind_name, kind_names
from planner.ui.state import lang, tr
from planner.views.export.kind_tables import kind_table

__all__ = ["kind_review"]


def kind_review(plan: Plan, region: Region | None) -> None:
    """A tab per standalone kind with its sites (nothing for a plan without kinds)."""
    kinds = list(kind_names(plan))
    if not kinds:
        return
    st.subheader(tr("kinds.report.heading"), anchor=False)
    st.caption(tr("ui.rev.kinds.note"))
    tabs = st.tabs([kind_name(plan, kind, lang()) for kind in kinds])
    for tab, kind in zip(tabs, kinds, strict=True):
        tab.dataframe(kind_table(plan, kind, lang(), region), hide_index=True, width="stretch")
