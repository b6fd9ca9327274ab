"""The results page's standalone facility kinds: the indicators per kind and the
candidates their siting rules left out, with the reason.

Drawn only for plans with kinds (:mod:`planner.plan.kinds`); the tables are the
planner's (:func:`~planner.plan.kinds.kind_kpi_table`,
:func:`~planner.views.export.kind_tables.exclusion_table`).
"""

from __future__ import annotations

import streamlit as st

from planner.plan import Plan
from planner.plan.kinds import kind_kpi_table, kind_names
from planner.ui.state import lang, tr
from planner.views.export.kind_tables import exclusion_table

__all__ = ["kind_results"]


def kind_results(plan: Plan) -> None:
    """The kinds' indicators and exclusions (nothing for a plan without kinds)."""
    if not kind_names(plan):
        return
    st.subheader(tr("kinds.report.heading"), anchor=False)
    st.dataframe(kind_kpi_table(plan, lang()), hide_index=True, width="stretch")
    if plan.exclusions is not None and len(plan.exclusions):
        table = exclusion_table(plan, lang())
        with st.expander(tr("ui.res.kinds.exclusions", count=len(table))):
            st.dataframe(table, hide_index=True, width="stretch")
