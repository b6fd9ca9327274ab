"""The scenario page's market tier (集散交易市场): how many markets, their capacity and
fixed cost, one per county, and the sites a market must take or may not.

Laid out like the sorting-centre tier. A scenario without a market tier (count 0) has
no ``markets`` section in its stored form (:meth:`planner.scenario.Scenario.to_dict`),
so the section's defaults are put into the form's data first; a count left at 0 is
saved without it, as before.

With a market tier, a table gives each county a minimum and a maximum number of
markets (``markets.county_min`` / ``county_max``), as the per-county table does for
stations and centres; the scenario's checks say when a minimum exceeds the places a
market may take in that county or the minimums add up to more than the city's markets.
"""

from __future__ import annotations

import html
from dataclasses import asdict
from typing import Any

import pandas as pd
import streamlit as st

from planner import format as fmt
from planner.data.regions import Region
from planner.scenario import MarketTier
from planner.scenario.form import parse_sites
from planner.scenario.markets import market_sites_per_county
from planner.ui.state import tr
from planner.ui.widgets.form import BoundForm

__all__ = ["COUNTY_COLUMNS", "FIELD_HELP", "market_county_table", "market_section"]

#: Form field -> help key, for the fields of this section.
FIELD_HELP = {
    "markets.count": "ui.sc.markets.count_help",
    "markets.capacity_t_per_day": "ui.sc.markets.capacity_t_per_day_help",
    "markets.fixed_cost": "ui.sc.markets.fixed_cost_help",
    "markets.one_per_county": "ui.sc.markets.one_per_county_help",
    "markets.required_sites": "ui.sc.markets.sites_help",
    "markets.excluded_sites": "ui.sc.markets.sites_help",
}


def _defaults() -> dict:
    """The market section as a scenario's dict holds it (lists, not tuples)."""
    data = asdict(MarketTier())
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


#: The per-county table's limit columns -> the scenario field each fills.
COUNTY_COLUMNS = {"mk_min": "county_min", "mk_max": "county_max"}
#: Each limit column's header key.
_COLUMN_LABEL = {"mk_min": "ui.sc.col.mk_min", "mk_max": "ui.sc.col.mk_max"}


def market_county_table(region: Region, markets: dict) -> pd.DataFrame:
    """The market tier's per-county limits as the table's rows (blank: none), with the
    places a market may take in each county."""
    codes = region.counties["code"].astype(str).tolist()
    places = market_sites_per_county(region)
    frame = pd.DataFrame(
        {
            "code": codes,
            "county": region.counties["name"].astype(str).tolist(),
            "places": [places.get(c, 0) for c in codes],
            **{
                column: [(markets.get(field) or {}).get(c) for c in codes]
                for column, field in COUNTY_COLUMNS.items()
            },
        }
    )
    for column in COUNTY_COLUMNS:
        frame[column] = pd.array(frame[column], dtype="Int64")
    return frame


def _limits(table: pd.DataFrame) -> dict[str, dict[str, int]]:
    """The edited table back as ``county_min`` / ``county_max`` (a minimum of 0 is none)."""
    out: dict[str, dict[str, int]] = {}
    for column, field in COUNTY_COLUMNS.items():
        values = {}
        for code, value in zip(table["code"], table[column], strict=True):
            if value is None or pd.isna(value):
                continue
            if field == "county_min" and int(value) <= 0:
                continue
            values[str(code)] = int(value)
        out[field] = values
    return out


def _cell_problems(table: pd.DataFrame, edits: Any) -> list[str]:
    """Cells typed as anything but a whole number >= 0 (the editor would quietly drop
    or round them)."""
    if not isinstance(edits, dict):
        return []
    found = []
    for row, cells in (edits.get("edited_rows") or {}).items():
        for column, value in (cells or {}).items():
            if column not in COUNTY_COLUMNS or value is None:
                continue
            try:
                number = float(value) if not isinstance(value, bool) else float("nan")
            except (TypeError, ValueError):
                number = float("nan")
            if not (number >= 0 and number == int(number)):
                county = str(table["county"].iloc[int(row)])
                field = f"{county} · {tr(_COLUMN_LABEL[column])}"
                found.append(tr("ui.sc.cell_number", field=field, value=str(value)))
    return found


def _county_editor(form: BoundForm, region: Region) -> None:
    """Per-county minimum and maximum number of markets."""
    markets = form.data["markets"]
    key = form.key("markets.county_table")
    base_key = key + ".base"
    if base_key not in st.session_state:
        # the editor's edits are kept against the table it was first given
        st.session_state[base_key] = market_county_table(region, markets)
    base = st.session_state[base_key]
    number = {"min_value": 0, "step": 1, "format": "%d"}
    edited = st.data_editor(
        base,
        key=key,
        hide_index=True,
        num_rows="fixed",
        disabled=["code", "county", "places"],
        placeholder=tr("ui.sc.sum.unlimited"),
        width="stretch",
        column_config={
            "code": st.column_config.TextColumn(tr("term.code")),
            "county": st.column_config.TextColumn(tr("term.county")),
            "places": st.column_config.NumberColumn(
                tr("ui.sc.col.mk_places"), help=tr("ui.sc.markets.places_help")
            ),
            **{
                column: st.column_config.NumberColumn(tr(label), **number)
                for column, label in _COLUMN_LABEL.items()
            },
        },
    )
    form.problems += _cell_problems(base, st.session_state.get(key))
    markets.update(_limits(edited))
    count = markets.get("count")
    st.markdown(
        "- "
        + html.escape(
            tr(
                "ui.sc.markets.county_sum",
                minimum=fmt.count(sum(markets["county_min"].values())),
                count=fmt.count(count) if isinstance(count, int) else "?",
            )
        )
    )


def market_section(form: BoundForm, region: Region | None = None) -> None:
    """The market tier's fields, in a bordered box after the sorting centres; with
    ``region`` and a market tier, the per-county table."""
    data = form.data
    if not isinstance(data.get("markets"), dict):
        data["markets"] = _defaults()
    else:  # a section written by hand may leave fields out
        data["markets"] = {**_defaults(), **data["markets"]}
    with st.container(border=True):
        st.subheader(tr("tier.market"), anchor=False)
        st.caption(tr("ui.sc.markets.caption"))
        a, b = st.columns(2)
        form.number(a, "markets.count", integer=True, min_value=0)
        form.number(b, "markets.capacity_t_per_day", step=10.0, format="%.1f")
        form.number(a, "markets.fixed_cost", step=100.0, format="%.0f")
        form.check(b, "markets.one_per_county")
        if int(data["markets"].get("count") or 0) > 0:
            form.lines(a, "markets.required_sites", parse_sites, height=90)
            form.lines(b, "markets.excluded_sites", parse_sites, height=90)
            if region is not None:
                st.caption(tr("ui.sc.markets.county_caption"))
                _county_editor(form, region)
