"""The results page's market tier (集散交易市场): its indicators, and 县县全覆盖 per county
over stations, sorting centres and markets.

Drawn only for plans with a market tier (:mod:`planner.plan.markets`); the tables are
the planner's (:mod:`planner.plan.market_tables`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from planner.data.regions import Region
from planner.plan.market_tables import county_coverage_table, has_market_kpis, market_kpi_table
from planner.ui.state import lang, tr

__all__ = ["market_results"]


def market_results(kpis: Mapping[str, Any], region: Region | None) -> None:
    """The market tier's indicators and the per-county verdict (nothing without one)."""
    if not has_market_kpis(kpis):
        return
    st.subheader(tr("tier.market"), anchor=False)
    st.dataframe(market_kpi_table(kpis, lang()), hide_index=True, width="stretch")
    coverage = kpis.get("county_coverage") or {}
    short = int(coverage.get("short") or 0)
    if short:
        st.warning(tr("ui.res.markets.short", short=short, counties=coverage.get("counties", 0)))
    else:
        st.success(tr("ui.res.markets.complete", counties=coverage.get("counties", 0)))
    names = {}
    if region is not None:
        names = dict(
            zip(region.counties["code"].astype(str), region.counties["name"], strict=False)
        )
    st.dataframe(county_coverage_table(kpis, names, lang()), hide_index=True, width="stretch")
