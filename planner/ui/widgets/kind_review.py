"""The review page's standalone facility kinds: each kind's sites, per kind.

The decisions on a kind's sites are taken in the review table with the stations,
centres and markets (each kind its own review tier,
:mod:`planner.plan.review_kinds`); these tabs show each kind's own columns (demand
served, the point of interest it shares a site with).
"""

from __future__ import annotations

import geopandas as gpd
import streamlit as st

from planner import format as fmt
from planner.data.regions import Region
from planner.plan import Plan
from planner.plan.kinds import kind_name, kind_names
from planner.plan.review_kinds import MARKET, MARKET_PREFIX
from planner.scenario import Scenario
from planner.ui.state import lang, tr
from planner.views.export.kind_tables import kind_table

__all__ = ["kind_labels", "kind_review", "review_candidates"]


def kind_labels(*plans: Plan) -> dict[str, str]:
    """``{kind_id: name}`` in the page's language of the plans' standalone kinds (the
    review tiers of their sites)."""
    out: dict[str, str] = {}
    for plan in plans:
        out.update({k: kind_name(plan, k, lang()) for k in kind_names(plan)})
    return out


def review_candidates(region: Region, scenario: Scenario, tier: str) -> gpd.GeoDataFrame:
    """Where a market or a standalone kind's site may move: the market candidates (the
    centre candidates, with the market's ``site_id``), or the kind's candidates its
    siting rules keep."""
    from planner.data.kinds import load_kinds
    from planner.instance.candidates import centre_candidates
    from planner.instance.siting import apply_siting_rules
    from planner.run.kinds import kind_candidates

    if tier == MARKET:
        cand = centre_candidates(region)
        cand = cand[cand["status"] != "existing_close"]
        return cand.assign(site_id=MARKET_PREFIX + cand["site_id"].astype(str))
    kind = load_kinds()[tier]
    cand = kind_candidates(region, kind, scenario)
    return apply_siting_rules(cand, kind, region.zones, region.metric_crs).kept


def kind_review(plan: Plan, region: Region | None) -> None:
    """A tab per standalone kind with its sites (nothing for a plan without kinds)."""
    kinds = list(kind_names(plan))
    if not kinds:
        return
    st.subheader(tr("kinds.report.heading"), anchor=False)
    st.caption(tr("ui.rev.kinds.note"))
    tabs = st.tabs([kind_name(plan, kind, lang()) for kind in kinds])
    for tab, kind in zip(tabs, kinds, strict=True):
        table = kind_table(plan, kind, lang(), region)
        # an empty cell (no neighbour shared) reads as "—", never "None"
        table = table.astype(object).where(table.notna(), fmt.MISSING)
        tab.dataframe(table, hide_index=True, width="stretch")
