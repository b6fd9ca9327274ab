"""The market tier's tables, shared by the app's pages and the report: its indicators
(:data:`MARKET_KPI_ROWS`) and the 县县全覆盖 verdict per county over the three tiers.

Only plans with a market tier have them (``kpis["markets"]``,
``kpis["county_coverage"]``, :mod:`planner.plan.markets`); for other plans every
function here gives nothing, so pages and exports show what they showed before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from planner import format as fmt
from planner.i18n import t, value_label

__all__ = [
    "MARKET_KPI_ROWS",
    "SHORT_TIER_LABEL",
    "county_coverage_table",
    "has_market_kpis",
    "market_kpi_table",
    "market_kpi_value",
]

#: Indicators of the market tier: (dotted key in the plan's KPIs, label key, kind).
MARKET_KPI_ROWS: tuple[tuple[str, str, fmt.Kind], ...] = (
    ("markets.count", "tier.market", "count"),
    ("markets.throughput_t_per_day", "markets.kpi.throughput", "ratio"),
    ("markets.utilisation", "markets.kpi.utilisation", "share"),
    ("markets.max_utilisation", "markets.kpi.max_utilisation", "share"),
    ("markets.mean_centre_distance_m", "markets.kpi.mean_distance", "metres"),
    ("markets.max_centre_distance_m", "markets.kpi.max_distance", "metres"),
    ("markets.counties_with_market", "markets.kpi.counties", "count"),
    ("county_coverage.short", "markets.kpi.counties_short", "count"),
)
#: The tier a county falls short in (``short_tier``) -> its words.
SHORT_TIER_LABEL = {
    "station": "tier.station",
    "sorting_centre": "tier.sorting_centre",
    "market": "tier.market",
}


def has_market_kpis(kpis: Mapping[str, Any] | None) -> bool:
    """Whether a plan's KPIs hold the market tier's figures."""
    return isinstance((kpis or {}).get("markets"), Mapping)


def market_kpi_value(kpis: Mapping[str, Any], key: str) -> float | None:
    """Indicator ``key`` (``markets.count`` …) as a finite number, ``None`` when missing."""
    head, _, tail = key.partition(".")
    part = kpis.get(head)
    return fmt.figure(part.get(tail)) if isinstance(part, Mapping) else None


def market_kpi_table(kpis: Mapping[str, Any], lang: str) -> pd.DataFrame:
    """The market tier's indicators, one row each (no rows without a market tier)."""
    if not has_market_kpis(kpis):
        return pd.DataFrame(columns=[t("term.indicator", lang), t("export.report.value", lang)])
    rows = [
        {
            t("term.indicator", lang): t(label, lang),
            t("export.report.value", lang): fmt.kind(market_kpi_value(kpis, key), kind, lang),
        }
        for key, label, kind in MARKET_KPI_ROWS
    ]
    return pd.DataFrame(rows)


def county_coverage_table(
    kpis: Mapping[str, Any], names: Mapping[str, Any], lang: str
) -> pd.DataFrame:
    """县县全覆盖 per county: whether a station, a sorting centre and a market serve it,
    and the tier it falls short in (no rows without a market tier)."""
    by_county = (kpis.get("county_coverage") or {}).get("by_county") or {}
    yes, no = t("export.report.yes", lang), t("export.report.no", lang)
    rows = []
    for code, verdict in sorted(by_county.items()):
        short = verdict.get("short_tier")
        rows.append(
            {
                t("term.county", lang): str(names.get(code) or code),
                t("tier.station", lang): yes if verdict.get("station") else no,
                t("tier.sorting_centre", lang): yes if verdict.get("sorting_centre") else no,
                t("tier.market", lang): yes if verdict.get("market") else no,
                t("markets.coverage.short_tier", lang): (
                    value_label(SHORT_TIER_LABEL, short, lang) if short else "—"
                ),
            }
        )
    return pd.DataFrame(rows)
