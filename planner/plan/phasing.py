"""A phased plan (:mod:`planner.run.phasing`) as the pages show it: the network as of
a year, and the roll-out's status and price of phasing in words.

Plans without a ``phasing`` section have no ``year`` on their sites and no ``years``
block in their KPIs; every function here leaves them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from planner import format as fmt
from planner.i18n import t
from planner.plan import Plan
from planner.plan.kpi import area_kpis
from planner.plan.quality import plan_quality

__all__ = ["phasing_lines", "plan_as_of", "plan_years"]


def plan_years(plan: Plan) -> list[int]:
    """The years of ``plan``'s roll-out, earliest first (empty without phasing)."""
    return [int(y["year"]) for y in plan.kpis.get("years") or [] if y.get("year") is not None]


def plan_as_of(plan: Plan, year: int) -> Plan:
    """``plan``'s network as built by the end of ``year``.

    Sites opened after ``year`` are left out, with their station → centre lines. A
    site without a year (not part of the roll-out) stays, as it does in every year.
    With the demand's ``covered_year`` (written by the phased run), each community's
    ``covered`` flag and the county and township indicators are those of the year's
    network, so maps colour townships by coverage as of that year (distances stay the
    whole plan's).

    Parameters
    ----------
    plan
        A phased plan (its sites carry ``year``); any other plan is returned as is.
    year
        The last year counted.
    """
    sites = plan.sites
    if sites is None or "year" not in sites.columns:
        return plan
    years = pd.to_numeric(sites["year"], errors="coerce")
    kept = sites[years.isna() | (years <= year)]
    demand, townships, counties = plan.demand, plan.township_kpis, plan.county_kpis
    if demand is not None and "covered_year" in demand.columns and len(kept) < len(sites):
        # coverage as of the year (a community counts once a station within its radius
        # is built); distances stay the whole plan's
        first = pd.to_numeric(demand["covered_year"], errors="coerce")
        demand = demand.assign(covered=(first <= year).fillna(False).to_numpy(dtype=bool))
        live = kept[kept["status"].astype(str) != "existing_close"] if "status" in kept else kept
        townships = area_kpis(demand, live, "township_code")
        counties = area_kpis(demand, live, "county_code")
    links = plan.links
    if links is not None and len(links) and "station_id" in links.columns:
        stations = set(kept.loc[kept["tier"] == "station", "site_id"].astype(str))
        centres = set(kept.loc[kept["tier"] == "sorting_centre", "site_id"].astype(str))
        inside = links["station_id"].astype(str).isin(stations)
        if "centre_id" in links.columns:
            inside &= links["centre_id"].astype(str).isin(centres)
        links = links[inside]
    return replace(
        plan, sites=kept, links=links, demand=demand, township_kpis=townships,
        county_kpis=counties,
    )  # fmt: skip


def phasing_lines(kpis: Mapping[str, Any], lang: str) -> tuple[str, list[str]]:
    """The roll-out's status and its price of phasing, as sentences.

    Returns
    -------
    tuple
        ``(level, lines)``: the level of :func:`planner.plan.quality.plan_quality` for
        the phasing model alone, and its sentences (empty without phasing).
    """
    ph = kpis.get("phasing")
    if not ph:
        return "none", []
    level, quality = plan_quality(
        [{"tier": "phasing", "status": ph.get("status"), "gap": ph.get("gap")}], lang
    )
    lines = [t("phasing.ui.order", lang, quality=quality)]
    price = fmt.figure(ph.get("price_of_phasing_pct"))
    if price is not None:
        if price <= 0.05:  # rounding of the two services, not a real difference
            lines.append(t("phasing.ui.price_none", lang))
        else:
            lines.append(t("phasing.ui.price", lang, pct=fmt.number(price, 1)))
    return level, lines
