"""The scenario page's phasing section (分年度建设): the years of the roll-out, each
with a budget and cumulative targets, and how the years are chosen.

An empty table (the default) plans no phasing, and the scenario is saved without a
``phasing`` section, as before. The checks are the scenario's
(:func:`planner.scenario.phasing.phasing_problems`, run with every change by the page):
this section only reads the table back. Per-county minimums given in a scenario file
are kept for the years still in the table. The last year's network may be a stored plan
of the region (``phasing.final_plan``): phasing a plan that was already reviewed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from planner.data.regions import Region
from planner.scenario.phasing import PHASING_MODES
from planner.ui.state import lang, store, tr
from planner.ui.widgets.choices import choice
from planner.ui.widgets.form import BoundForm

__all__ = ["YEAR_COLUMNS", "phasing_section", "phasing_table", "read_years"]

#: The table's columns (a year's fields) -> header key.
YEAR_COLUMNS = {
    "year": "phasing.col.year",
    "budget_yuan": "phasing.ui.col.budget_yuan",
    "stations": "phasing.ui.col.stations",
    "sorting_centres": "phasing.ui.col.sorting_centres",
}
#: Mode -> label key.
_MODE_LABEL = {"fixed_final": "phasing.ui.mode.fixed_final", "joint": "phasing.ui.mode.joint"}
_COUNTS = ("year", "stations", "sorting_centres")


def phasing_table(phasing: dict | None) -> pd.DataFrame:
    """The section's years as the table's rows (blank: not given)."""
    years = list((phasing or {}).get("years") or [])
    frame = pd.DataFrame({c: [y.get(c) for y in years] for c in YEAR_COLUMNS})
    for column in _COUNTS:
        frame[column] = pd.array(frame[column], dtype="Int64")
    frame["budget_yuan"] = pd.to_numeric(frame["budget_yuan"], errors="coerce").astype(float)
    return frame


def read_years(table: pd.DataFrame, before: list[dict]) -> tuple[list[dict], list[str]]:
    """The edited table back as the section's years, and the rows it cannot read.

    Blank rows are dropped; a row with figures but no year is a problem. A year keeps
    the per-county minimums ``before`` gave it.
    """
    kept = {y.get("year"): y for y in before}
    years: list[dict] = []
    problems: list[str] = []
    for number, row in enumerate(table.to_dict("records"), start=1):
        cells = {k: (None if v is None or pd.isna(v) else v) for k, v in row.items()}
        if all(v is None for v in cells.values()):
            continue
        if cells["year"] is None:
            problems.append(tr("phasing.ui.no_year", row=number))
            continue
        entry: dict[str, Any] = {
            k: v for k, v in kept.get(int(cells["year"]), {}).items() if k.startswith("county_")
        }
        entry["year"] = int(cells["year"])
        for column in ("stations", "sorting_centres"):
            if cells[column] is not None:
                entry[column] = int(cells[column])
        if cells["budget_yuan"] is not None:
            entry["budget_yuan"] = float(cells["budget_yuan"])
        years.append(entry)
    return years, problems


def final_plan_labels(region: Region | None, current: str) -> dict[str, str]:
    """Choices of the last year's network -> label: none (the best plan, computed with
    the roll-out), the region's stored plans (newest first), and a reference a
    scenario file gave that is not one of them."""
    labels = {"": tr("phasing.ui.final_plan.none")}
    for rec in store().list_plans(region=region.id) if region is not None else []:
        labels[str(rec.id)] = tr(
            "phasing.ui.final_plan.plan",
            id=rec.id,
            name=rec.scenario_name,
            stations=rec.stations,
            centres=rec.centres,
            date=rec.created_at[:10],
        )
    if current and current not in labels:
        labels[current] = tr("phasing.ui.final_plan.file", ref=current)
    return labels


def phasing_section(form: BoundForm, region: Region | None = None) -> None:
    """The years of the roll-out, the mode and the last year's network, in a bordered
    box; an empty table leaves the scenario without phasing."""
    data = form.data
    before = dict(data.get("phasing") or {})
    with st.container(border=True):
        st.subheader(tr("phasing.sheet.years"), anchor=False)
        st.caption(tr("phasing.ui.caption"))
        key = form.key("phasing.years")
        base_key = key + ".base"
        if (st.session_state.get(base_key) or (None,))[0] != lang():
            # the edits are kept against the table the editor was first given; a new
            # language relabels the columns, which starts the editor afresh (Streamlit
            # gives an editor with added rows a new identity), so it starts from the
            # years the section holds now
            st.session_state[base_key] = (lang(), phasing_table(before))
        whole = {"min_value": 0, "step": 1, "format": "%d"}
        edited = st.data_editor(
            st.session_state[base_key][1],
            key=key,
            hide_index=True,
            num_rows="dynamic",
            # a blank budget or target is no limit (Streamlit would print "None")
            placeholder=tr("ui.sc.sum.unlimited"),
            width="stretch",
            column_config={
                "year": st.column_config.NumberColumn(
                    tr(YEAR_COLUMNS["year"]), min_value=2000, max_value=2100, step=1, format="%d"
                ),
                "budget_yuan": st.column_config.NumberColumn(
                    tr(YEAR_COLUMNS["budget_yuan"]), min_value=0, format="localized"
                ),
                "stations": st.column_config.NumberColumn(tr(YEAR_COLUMNS["stations"]), **whole),
                "sorting_centres": st.column_config.NumberColumn(
                    tr(YEAR_COLUMNS["sorting_centres"]), **whole
                ),
            },
        )
        years, problems = read_years(pd.DataFrame(edited), list(before.get("years") or []))
        form.problems += problems
        mode_key = form.init("phasing.mode", before.get("mode") or PHASING_MODES[0])
        labels = {m: tr(_MODE_LABEL[m]) for m in PHASING_MODES}
        left, right = st.columns(2)
        mode = choice(
            left,
            tr("phasing.ui.mode"),
            list(PHASING_MODES),
            key=mode_key,
            labels=labels,
            help=tr("phasing.ui.mode_help"),
        )
        current = str(before.get("final_plan") or "").strip()
        finals = final_plan_labels(region, current)
        final = choice(
            right,
            tr("phasing.ui.final_plan"),
            list(finals),
            key=form.init("phasing.final_plan", current),
            labels=finals,
            help=tr("phasing.ui.final_plan_help"),
        )
    if years:
        data["phasing"] = {**before, "years": years, "mode": mode, "final_plan": final}
        if not final:  # none chosen: the section is saved as before
            data["phasing"].pop("final_plan")
    else:  # no years: no phasing, and the saved scenario has no section
        data.pop("phasing", None)
