"""The scenario report's section on the standalone facility kinds.

Written only for plans with kinds (``Scenario.kinds``): the indicators per kind
(:func:`planner.plan.kinds.kind_kpi_table`), then per kind its sites with the county,
the demand each serves and the point it shares a site with, and how many candidates
its siting rules left out (the reasons are in the spreadsheet and ``exclusions.csv``).
"""

from __future__ import annotations

from typing import Any

from planner.format import count, number
from planner.i18n import t
from planner.plan import Plan
from planner.plan.kinds import kind_kpi_table, kind_name, kind_names, kind_sites
from planner.views.text import area_names

__all__ = ["kind_section"]


def kind_section(w: Any, plan: Plan, region: Any, lang: str) -> None:
    """Add the section to the report writer ``w`` (nothing without standalone kinds)."""
    names = kind_names(plan)
    if not names:
        return
    w.heading(t("kinds.report.heading", lang))
    table = kind_kpi_table(plan, lang)
    widths = [0.18, 0.18, 0.08, 0.12, 0.1, 0.1, 0.12, 0.12]
    w.table(list(table.columns), table.to_numpy().tolist(), widths, [False] * 8)
    counties = area_names(region, "counties")
    for kind in names:
        sites = kind_sites(plan, kind)
        w.heading(kind_name(plan, kind, lang), numbered=False)
        rows = [
            [
                str(rec.get("name") or rec.get("site_id")),
                counties.get(str(rec.get("county_code")), ""),
                number(rec.get("served_weight"), 0),
                str(rec.get("colocated_poi") or ""),
            ]
            for rec in sites.to_dict("records")
        ]
        if rows:
            header = [
                t("term.name", lang),
                t("term.county", lang),
                t("export.col.served_weight", lang),
                t("export.col.colocated_poi", lang),
            ]
            w.table(header, rows, [0.4, 0.2, 0.15, 0.25], [False, False, True, False])
        excluded = plan.exclusions
        if excluded is not None and len(excluded):
            n = excluded.loc[excluded["kind"].astype(str) == kind, "site_id"].nunique()
            if n:
                w.paragraph(t("kinds.report.exclusions", lang, count=count(n)), 9, color="#222")
