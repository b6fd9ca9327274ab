"""The scenario page's standalone facility kinds: which kinds to plan, and for each
how many sites, its coverage radius and per-county minimum (``Scenario.kinds``).

A table the planner adds rows to and removes them from. The kind column offers every
standalone kind of the catalogue (:func:`planner.scenario.kind_list.kind_choices`: the
built-in files and the planner's own in ``$PLANNER_HOME/kinds``), so a new kind file
appears here without code. An empty cell keeps the kind's own figure. A scenario
without kinds has no ``kinds`` section in its stored form, as before.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from planner.i18n import PlannerError
from planner.scenario.kind_list import kind_choices
from planner.ui.state import lang, tr
from planner.ui.widgets.form import BoundForm

__all__ = ["KIND_COLUMNS", "kind_section"]

#: The table's columns, as ``PlannedKind`` names them.
KIND_COLUMNS = ("kind", "count", "radius_urban_m", "radius_rural_m", "per_county_min")
_WHOLE = ("count", "per_county_min")
#: An entry's candidate lists, which the table does not show but keeps.
_SITE_LISTS = ("required_sites", "excluded_sites")


def _cell(value: Any, whole: bool) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value) if whole else float(value)


def _labels() -> dict[str, str]:
    """``{label: kind_id}``: the kind's name in the page's language, then its id."""
    try:
        kinds = kind_choices()
    except PlannerError as err:  # a broken file: say so, offer nothing
        st.error(err.message(lang()))
        return {}
    return {f"{k.name.get(lang(), k.id)} ({k.id})": k.id for k in kinds.values()}


def kind_section(form: BoundForm) -> None:
    """The kinds table, in a bordered box after the market tier."""
    data = form.data
    entries = data.get("kinds") if isinstance(data.get("kinds"), list) else []
    labels = _labels()
    names = {v: k for k, v in labels.items()}
    with st.container(border=True):
        st.subheader(tr("kinds.report.heading"), anchor=False)
        st.caption(tr("ui.sc.kinds.caption"))
        base_key = form.key("kinds") + ".base"
        if base_key not in st.session_state:
            # the editor's edits are kept against the table it was first given
            st.session_state[base_key] = pd.DataFrame(
                [
                    {
                        "kind": names.get(str(e.get("kind")), str(e.get("kind"))),
                        **{c: e.get(c) for c in KIND_COLUMNS[1:]},
                    }
                    for e in entries
                    if isinstance(e, dict)
                ],
                columns=list(KIND_COLUMNS),
            ).astype({c: "float64" for c in KIND_COLUMNS[1:]})
        edited = st.data_editor(
            st.session_state[base_key],
            key=form.key("kinds"),
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            column_config={
                "kind": st.column_config.SelectboxColumn(
                    tr("export.col.facility_kind"), options=list(labels), required=True
                ),
                "count": st.column_config.NumberColumn(
                    tr("ui.sc.kinds.count"), min_value=1, step=1, help=tr("ui.sc.kinds.count_help")
                ),
                "radius_urban_m": st.column_config.NumberColumn(
                    tr("ui.sc.kinds.radius_urban_m"), min_value=1, step=100
                ),
                "radius_rural_m": st.column_config.NumberColumn(
                    tr("ui.sc.kinds.radius_rural_m"), min_value=1, step=100
                ),
                "per_county_min": st.column_config.NumberColumn(
                    tr("ui.sc.kinds.per_county_min"), min_value=0, step=1
                ),
            },
        )
    kept = {
        str(e.get("kind")): {k: e[k] for k in _SITE_LISTS if e.get(k)}
        for e in entries
        if isinstance(e, dict)
    }
    rows = []
    for rec in edited.to_dict("records"):
        label = rec.get("kind")
        if not isinstance(label, str) or not label:
            continue  # a row being added: no kind chosen yet
        row = {"kind": labels.get(label, label)}
        # site lists (a file's, or the review's) are not in the table: kept per kind
        row.update(kept.get(row["kind"], {}))
        for column in KIND_COLUMNS[1:]:
            value = _cell(rec.get(column), column in _WHOLE)
            if value is not None:
                row[column] = value
        rows.append(row)
    if rows:
        data["kinds"] = rows
    else:
        data.pop("kinds", None)
