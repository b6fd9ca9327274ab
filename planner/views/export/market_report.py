"""The scenario report's section on the market tier (集散交易市场) and 县县全覆盖.

Written only for plans with a market tier: the tier's parameters, each market with the
centres it serves and its load against its capacity, the tier's indicators, and per
county whether a station, a sorting centre and a market serve it
(:mod:`planner.plan.markets`).
"""

from __future__ import annotations

from typing import Any

from planner.format import count, number, share
from planner.i18n import t
from planner.plan import Plan
from planner.plan.market_tables import county_coverage_table, has_market_kpis, market_kpi_table
from planner.views.text import area_names

__all__ = ["market_section"]


def market_section(w: Any, plan: Plan, region: Any, lang: str) -> None:
    """Add the section to the report writer ``w`` (nothing without a market tier)."""
    if not has_market_kpis(plan.kpis):
        return
    m = plan.scenario.markets
    yes, no = t("export.report.yes", lang), t("export.report.no", lang)
    w.heading(t("tier.market", lang))
    w.paragraph(
        t(
            "markets.report.parameters",
            lang,
            count=count(m.count),
            capacity=number(m.capacity_t_per_day, 1),
            one_per_county=yes if m.one_per_county else no,
        ),
        9,
        color="#222",
    )
    counties = area_names(region, "counties")
    centre_names = dict(
        zip(plan.centres["site_id"].astype(str), plan.centres["name"].astype(str), strict=True)
    )
    served: dict[str, list[str]] = {}
    if "market_id" in plan.centres:
        for cid, mid in zip(plan.centres["site_id"], plan.centres["market_id"], strict=True):
            if mid:
                served.setdefault(str(mid), []).append(centre_names.get(str(cid), str(cid)))
    rows = []
    for rec in plan.markets.to_dict("records"):
        load, cap = rec.get("load_t_per_day"), rec.get("capacity_t_per_day")
        rows.append(
            [
                str(rec.get("name") or rec.get("site_id")),
                counties.get(str(rec.get("county_code")), ""),
                "、".join(served.get(str(rec.get("site_id")), [])),
                f"{number(load, 1)} / {number(cap, 0)}",
                share(load / cap if cap else None),
            ]
        )
    if rows:
        header = [
            t("term.name", lang),
            t("term.county", lang),
            t("map.market_centres", lang),
            t("map.load", lang),
            t("export.col.utilisation", lang),
        ]
        w.table(header, rows, [0.2, 0.14, 0.36, 0.18, 0.12], [False, False, False, True, True])
    table = market_kpi_table(plan.kpis, lang)
    w.table(list(table.columns), table.to_numpy().tolist(), [0.6, 0.4], [False, True])
    w.heading(t("markets.report.coverage", lang))
    table = county_coverage_table(plan.kpis, counties, lang)
    w.table(
        list(table.columns),
        table.to_numpy().tolist(),
        [0.24, 0.17, 0.17, 0.2, 0.22],
        [False] * 5,
    )
