"""Export tables of the standalone facility kinds: a sheet per kind, and the candidates
the kinds' siting rules left out with the reason (:mod:`planner.plan.kinds`)."""

from __future__ import annotations

import pandas as pd

from planner.data.kinds import load_categories
from planner.data.regions import Region
from planner.i18n import t, value_label
from planner.plan import Plan, points_table
from planner.plan.kinds import kind_name, kind_names, kind_sites
from planner.views.export.common import Column, _cols, _frame, as_code
from planner.views.labels import SOURCE_LABEL
from planner.views.text import area_names

__all__ = ["EXCLUSION_COLUMNS", "KIND_COLUMNS", "exclusion_table", "kind_table", "kind_tables"]

KIND_COLUMNS = _cols(
    "site_id:code name:text county:text county_code:code township:text township_code:code "
    "source:text served_weight:float colocated_poi:text colocated_m:int lon:coord lat:coord"
)
EXCLUSION_COLUMNS = _cols(
    "facility_kind:text site_id:code rule:text zone_category:text zone_name:text "
    "buffer_m:int distance_m:int reason:text"
)
_RULE_LABEL = {"forbidden": "export.rule.forbidden", "allowed": "export.rule.allowed"}


def kind_table(plan: Plan, kind: str, lang: str = "zh", region: Region | None = None):
    """The sites of standalone ``kind`` as an export table (headers in ``lang``)."""
    rows = points_table(kind_sites(plan, kind).reset_index(drop=True))
    counties, towns = area_names(region, "counties"), area_names(region, "townships")
    rows["county"] = rows["county_code"].map(lambda c: counties.get(as_code(c) or ""))
    rows["township"] = rows["township_code"].map(lambda c: towns.get(as_code(c) or ""))
    rows["source"] = rows["source"].map(lambda s: value_label(SOURCE_LABEL, s, lang))
    return _frame(rows, KIND_COLUMNS, lang)


def exclusion_table(plan: Plan, lang: str = "zh") -> pd.DataFrame:
    """The excluded candidates (one row per candidate and rule) with the reason in
    ``lang``; no rows when the plan has no exclusions."""
    rows = plan.exclusions if plan.exclusions is not None else pd.DataFrame()
    rows = rows.reset_index(drop=True).copy()
    if rows.empty:
        return _frame(pd.DataFrame(index=range(0)), EXCLUSION_COLUMNS, lang)
    rows["facility_kind"] = [kind_name(plan, str(k), lang) for k in rows["kind"]]
    rows["rule"] = [value_label(_RULE_LABEL, r, lang) for r in rows["rule"]]
    zones = load_categories().zones
    rows["zone_category"] = [zones.get(c, {}).get(lang, c) for c in rows["zone_category"]]
    rows["reason"] = rows[f"reason_{lang}"] if f"reason_{lang}" in rows else rows["reason_zh"]
    return _frame(rows, EXCLUSION_COLUMNS, lang)


def kind_tables(
    plan: Plan, lang: str = "zh", region: Region | None = None
) -> list[tuple[str, pd.DataFrame, tuple[Column, ...]]]:
    """``(sheet title, table, columns)`` per standalone kind, then the exclusions (when
    any); nothing for a plan without kinds."""
    out = [
        (kind_name(plan, kind, lang), kind_table(plan, kind, lang, region), KIND_COLUMNS)
        for kind in kind_names(plan)
    ]
    if out and plan.exclusions is not None and len(plan.exclusions):
        out.append(
            (t("export.sheet.exclusions", lang), exclusion_table(plan, lang), EXCLUSION_COLUMNS)
        )
    return out
