"""The scenario form's section on the existing network and money (现有站点与成本).

The compliance standard (its name and source, and each tier's minimum floor area with
its source note, 未规定 when it gives none), the planner's own minimum floor areas, how
the counts are read (全网总数 or 新改扩建), the unit costs in yuan (each marked as a
planning assumption while it is still the default), the total budget and a per-county
budget table. Rows are :class:`~planner.ui.widgets.form.BoundForm` rows; labels,
summaries and the table's checks are the planner's (:mod:`planner.scenario.form`). The
number fields have no bounds of their own (a browser would silently put back a value
out of them): the scenario's validation names a negative cost or area in words.
"""

from __future__ import annotations

import streamlit as st

from planner.data.regions import Region
from planner.data.standards import load_standard, standard_ids
from planner.i18n import PlannerError
from planner.scenario import Costs
from planner.scenario.existing import COUNT_MODES
from planner.scenario.form import (
    BUDGET_LABEL,
    COST_ROWS,
    assumed_costs,
    budget_cell_problems,
    budget_table,
    county_budgets,
    standard_summary,
    unknown_budget_counties,
)
from planner.ui.state import keep_choice, lang, tr
from planner.ui.widgets.choices import translated
from planner.ui.widgets.form import BoundForm

__all__ = ["FIELD_HELP", "existing_section"]

#: Form field -> help key, for the fields of this section.
FIELD_HELP = {
    "existing.standard": "ui.existing.standard_help",
    "existing.station_min_floor_area_m2": "ui.existing.floor_area_help",
    "existing.centre_min_floor_area_m2": "ui.existing.floor_area_help",
    "existing.count_mode": "ui.existing.count_mode_help",
    **{path: "ui.existing.unit_cost_help" for row in COST_ROWS for path in row},
    "costs.budget_yuan": "ui.existing.budget_help",
}
#: How counts are read (:data:`planner.scenario.existing.COUNT_MODES`) -> name, and the
#: one line that explains it.
_COUNT_MODE_LABEL = {
    "total": "ui.existing.count_mode.total",
    "new_or_rebuilt": "ui.existing.count_mode.new_or_rebuilt",
}
_COUNT_MODE_NOTE = {
    "total": "ui.existing.count_mode.total_note",
    "new_or_rebuilt": "ui.existing.count_mode.new_or_rebuilt_note",
}


def _optional(value) -> float | None:
    """An optional number field: empty is ``None`` (the standard's figure, no ceiling)."""
    return None if value is None else float(value)


def _standard_names() -> dict[str, str]:
    names = {}
    for standard_id in standard_ids():
        try:
            names[standard_id] = load_standard(standard_id).name[lang()]
        except PlannerError:
            names[standard_id] = standard_id  # the file's problem shows in the validation
    return names


def _standard(form: BoundForm, where) -> None:
    path = "existing.standard"
    names = _standard_names()
    value = form.data["existing"]["standard"]
    keep_choice(form.key(path))
    initial = value if value in names else next(iter(names))
    chosen = form.row(where.selectbox, path, initial, list(names), format_func=names.get)
    for line in standard_summary(chosen, lang()):
        where.caption(line)


def _floor_areas(form: BoundForm, a, b) -> None:
    for where, name in ((a, "station_min_floor_area_m2"), (b, "centre_min_floor_area_m2")):
        form.row(
            where.number_input,
            f"existing.{name}",
            form.data["existing"][name],
            read=_optional,
            value=None,  # may be emptied: None, not the minimum
            step=1.0,
            format="%.1f",
            placeholder=tr("ui.existing.by_standard"),
        )


def _count_mode(form: BoundForm, where) -> None:
    path = "existing.count_mode"
    value = form.data["existing"]["count_mode"]
    keep_choice(form.key(path))
    labels = translated(_COUNT_MODE_LABEL)
    form.row(
        where.radio,
        path,
        value if value in COUNT_MODES else COUNT_MODES[0],
        list(COUNT_MODES),
        format_func=labels.get,
        captions=[tr(_COUNT_MODE_NOTE[mode]) for mode in COUNT_MODES],
    )


def _unit_costs(form: BoundForm) -> None:
    st.markdown(f"**{tr('ui.existing.costs')}**")
    st.caption(tr("ui.existing.costs_note"))
    defaults = Costs()
    a, b = st.columns(2)
    for row in COST_ROWS:
        for where, path in zip((a, b), row, strict=True):
            name = path.split(".")[1]
            # the value being shown: the widget's, else the scenario's
            shown = st.session_state.get(form.key(path), form.data["costs"][name])
            assumed = shown is not None and float(shown) == getattr(defaults, name)
            form.number(
                where,
                path,
                step=1000.0,
                format="%.0f",
                suffix=tr("ui.existing.assumed") if assumed else "",
            )
    left = assumed_costs(form.data)
    if left:
        st.caption(":material/info: " + tr("ui.existing.costs_assumed", count=len(left)))


def _budgets(form: BoundForm, draft: dict, region: Region) -> None:
    data = form.data
    form.row(
        st.number_input,
        "costs.budget_yuan",
        data["costs"]["budget_yuan"],
        read=_optional,
        value=None,
        step=100_000.0,
        format="%.0f",
        placeholder=tr("ui.sc.sum.unlimited"),
    )
    st.markdown(f"**{tr('ui.existing.county_budgets')}**")
    unknown = unknown_budget_counties(region, data)
    if unknown:
        st.caption(tr("ui.sc.unknown_counties", codes=", ".join(unknown)))
    key = form.key("budget_table")
    if key not in st.session_state or "budget_base" not in draft:
        draft["budget_base"] = budget_table(region, data)
    edited = st.data_editor(
        draft["budget_base"],
        key=key,
        hide_index=True,
        num_rows="fixed",
        disabled=["code", "county"],
        placeholder=tr("ui.sc.sum.unlimited"),
        width="stretch",
        column_config={
            "code": st.column_config.TextColumn(tr("term.code")),
            "county": st.column_config.TextColumn(tr("term.county")),
            "budget": st.column_config.NumberColumn(
                tr(BUDGET_LABEL), min_value=0, step=1000, format="%.0f"
            ),
        },
    )
    form.problems += budget_cell_problems(
        draft["budget_base"], st.session_state.get(key), region, lang()
    )
    data["costs"]["county_budget_yuan"] = county_budgets(edited)
    st.caption(tr("ui.existing.county_budgets_help"))


def existing_section(form: BoundForm, draft: dict, region: Region) -> None:
    """Draw the section in a bordered box; every value is written back to ``form.data``."""
    with st.container(border=True):
        st.subheader(tr("ui.existing.section"), anchor=False)
        st.caption(tr("ui.existing.section_intro"))
        a, b = st.columns(2)
        _standard(form, a)
        _count_mode(form, b)
        a, b = st.columns(2)
        _floor_areas(form, a, b)
        _unit_costs(form)
        _budgets(form, draft, region)
