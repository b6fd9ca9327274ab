"""The scenario page's market tier (集散交易市场): how many markets, their capacity and
fixed cost, one per county, and the sites a market must take or may not.

Laid out like the sorting-centre tier. A scenario without a market tier (count 0) has
no ``markets`` section in its stored form (:meth:`planner.scenario.Scenario.to_dict`),
so the section's defaults are put into the form's data first; a count left at 0 is
saved without it, as before.
"""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st

from planner.scenario import MarketTier
from planner.scenario.form import parse_sites
from planner.ui.state import tr
from planner.ui.widgets.form import BoundForm

__all__ = ["FIELD_HELP", "market_section"]

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


def market_section(form: BoundForm) -> None:
    """The market tier's fields, in a bordered box after the sorting centres."""
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
