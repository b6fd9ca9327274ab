"""The results page's roll-out by year (分年度建设): the model's status and price of
phasing in words, the per-year table, a chart of coverage and spending by year, and
the year the map shows the network as of.

Drawn only for phased plans (their KPIs have a ``years`` block, see
:mod:`planner.run.phasing`); the figures are the plan's, the table the workbook's
per-year sheet (:func:`planner.views.export.phasing_tables.year_table`).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner.plan import Plan
from planner.plan.phasing import phasing_lines, plan_years
from planner.ui.state import lang, tr
from planner.ui.widgets.charts import KNEE_COLOUR, LINE_COLOUR, show_chart
from planner.ui.widgets.choices import choice
from planner.views.export.phasing_tables import YEAR_SHEET_COLUMNS, year_table

__all__ = ["MAP_YEAR", "map_year", "phasing_results"]

#: The session key of the map's year.
MAP_YEAR = "results_map_year"


def phasing_results(plan: Plan) -> None:
    """The roll-out's status, per-year table and chart (nothing without phasing)."""
    if not plan_years(plan):
        return
    st.subheader(tr("phasing.sheet.years"), anchor=False)
    level, lines = phasing_lines(plan.kpis, lang())
    {"best": st.success, "near": st.success, "stopped": st.warning}.get(level, st.error)(
        "  \n".join(lines)
    )
    table = year_table(plan, lang())
    formats = {c.header(lang()): _format(c.key, c.kind) for c in YEAR_SHEET_COLUMNS}
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={k: st.column_config.NumberColumn(format=v) for k, v in formats.items()},
        key="results_years",
    )
    _chart(plan)


def _format(key: str, kind: str) -> str:
    if key == "year":  # a label: "localized" printed 2,025
        return "%d"
    return {"pct": "percent", "int": "localized", "money": "localized"}.get(kind, "plain")


def _chart(plan: Plan) -> None:
    """Coverage (left axis) and cumulative one-off spending (right axis) by year."""
    import altair as alt

    rows = pd.DataFrame(plan.kpis["years"])
    year, coverage, spent = (
        tr("phasing.col.year"),
        tr("ui.res.coverage_pct"),
        tr("phasing.col.cumulative_cost_yuan"),
    )
    frame = pd.DataFrame(
        {
            year: rows["year"].astype(str),
            coverage: 100.0 * pd.to_numeric(rows["coverage_share"], errors="coerce"),
            spent: pd.to_numeric(rows["cumulative_cost_yuan"], errors="coerce"),
        }
    )
    base = alt.Chart(frame).encode(x=alt.X(f"{year}:O", title=year, axis=alt.Axis(labelAngle=0)))
    bars = base.mark_bar(color=LINE_COLOUR, opacity=0.35).encode(
        y=alt.Y(f"{spent}:Q", title=spent),
        tooltip=[alt.Tooltip(f"{year}:O"), alt.Tooltip(f"{spent}:Q", format=",.0f")],
    )
    line = base.mark_line(point=True, color=KNEE_COLOUR).encode(
        y=alt.Y(f"{coverage}:Q", title=coverage, scale=alt.Scale(domain=[0, 100])),
        tooltip=[alt.Tooltip(f"{year}:O"), alt.Tooltip(f"{coverage}:Q", format=".1f")],
    )
    show_chart(tr("phasing.ui.chart"), alt.layer(bars, line).resolve_scale(y="independent"))


def map_year(where, plan: Plan) -> int | None:
    """The year the map shows the network as of, chosen in ``where``; ``None`` (the
    whole plan) without phasing or for the last year, which is the whole plan."""
    years = plan_years(plan)
    if not years:
        return None
    if st.session_state.get(MAP_YEAR) not in years:
        st.session_state[MAP_YEAR] = years[-1]
    year = choice(
        where,
        tr("phasing.ui.map_year"),
        years,
        key=MAP_YEAR,
        labels={y: str(y) for y in years},
        help=tr("phasing.ui.map_year_help"),
    )
    return None if year == years[-1] else int(year)
