"""The market tier in a plan: its rows among the sites, its indicators, and 县县全覆盖
over the whole three-tier system.

Only plans whose scenario asks for markets (``markets.count > 0``) carry any of
this: their sites hold ``tier == "market"`` rows, and ``kpis.json`` gains
``markets`` (the tier's figures) and ``county_coverage`` (the per-county verdict).
Plans without markets are written exactly as before.

县县全覆盖 (every county covered) reads the chain a county's recyclables travel:
the county **has a station** (an open station stands in it), its stations **deliver
to a sorting centre** (every one of them is assigned to one) and those centres
**deliver to a market** (every one of them is assigned to one). The first link that
fails is the tier the county falls short in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = [
    "CHAIN",
    "KIND_OF_TIER",
    "county_coverage",
    "market_kpis",
    "with_markets",
]

#: The tiers of 县县全覆盖, in the order a county's recyclables travel.
CHAIN: tuple[str, ...] = ("station", "sorting_centre", "market")
#: Facility kind of each tier's rows (``kind`` column) in a plan with markets.
KIND_OF_TIER = {
    "station": "recycling_station",
    "sorting_centre": "sorting_centre",
    "market": "market",
}


def with_markets(sites: gpd.GeoDataFrame, markets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``sites`` with the market rows after them, and ``kind`` on every row.

    Markets have no unit costs in the scenario, so their ``cost_yuan`` and
    ``operation_yuan_per_year`` are unknown (NaN), never a sorting centre's price.
    """
    rows = markets.drop(columns=[c for c in ("x", "y") if c in markets])
    rows = rows.assign(cost_yuan=np.nan, operation_yuan_per_year=np.nan)
    out = gpd.GeoDataFrame(pd.concat([sites, rows], ignore_index=True), crs="EPSG:4326")
    kind = out["tier"].map(KIND_OF_TIER)
    out["kind"] = kind.where(kind.notna(), out.get("kind")) if "kind" in out else kind
    return out


def market_kpis(sites: pd.DataFrame, county_codes: Iterable[str]) -> dict[str, Any]:
    """The market tier's indicators and the 县县全覆盖 verdict.

    Parameters
    ----------
    sites
        The plan's sites (open and closed), centres with ``market_id`` and
        ``distance_to_market_m``, markets with ``load_t_per_day`` and
        ``capacity_t_per_day``.
    county_codes
        Every county of the region.

    Returns
    -------
    dict
        ``markets``: ``count``, ``throughput_t_per_day`` (tonnage the markets take),
        ``capacity_t_per_day`` (all markets), ``utilisation`` (the two's ratio),
        ``max_utilisation`` (busiest market), ``mean_centre_distance_m`` and
        ``max_centre_distance_m`` (centre → its market, plain mean over centres),
        ``counties_with_market``; ``county_coverage``: see :func:`county_coverage`.
    """
    open_sites = sites[sites["action"] != "close"] if "action" in sites else sites
    markets = open_sites[open_sites["tier"] == "market"]
    centres = open_sites[open_sites["tier"] == "sorting_centre"]
    load = markets["load_t_per_day"].to_numpy(dtype=float) if len(markets) else np.array([])
    cap = markets["capacity_t_per_day"].to_numpy(dtype=float) if len(markets) else np.array([])
    dist = (
        centres["distance_to_market_m"].to_numpy(dtype=float)
        if "distance_to_market_m" in centres
        else np.array([])
    )
    dist = dist[np.isfinite(dist)]
    figures = {
        "count": len(markets),
        "throughput_t_per_day": float(load.sum()),
        "capacity_t_per_day": float(cap.sum()),
        "utilisation": float(load.sum() / cap.sum()) if cap.sum() > 0 else float("nan"),
        "max_utilisation": float((load / cap).max()) if len(cap) else float("nan"),
        "mean_centre_distance_m": float(dist.mean()) if dist.size else float("nan"),
        "max_centre_distance_m": float(dist.max()) if dist.size else float("nan"),
        "counties_with_market": int(markets["county_code"].dropna().astype(str).nunique()),
    }
    return {"markets": figures, "county_coverage": county_coverage(open_sites, county_codes)}


def county_coverage(sites: pd.DataFrame, county_codes: Iterable[str]) -> dict[str, Any]:
    """县县全覆盖 over the three tiers, per county.

    Returns
    -------
    dict
        ``complete`` (every county served by all three tiers), ``counties`` (how
        many), ``short`` (how many fall short) and ``by_county``: ``{code:
        {"station": bool, "sorting_centre": bool, "market": bool, "short_tier":
        tier or None}}`` where ``short_tier`` is the first tier of :data:`CHAIN` that
        does not serve the county.
    """
    stations = sites[sites["tier"] == "station"]
    centres = sites[sites["tier"] == "sorting_centre"]
    centre_market = (
        dict(zip(centres["site_id"].astype(str), centres["market_id"], strict=True))
        if "market_id" in centres
        else {}
    )
    by_county: dict[str, dict[str, Any]] = {}
    for code in sorted({str(c) for c in county_codes}):
        here = stations[stations["county_code"].astype(str) == code]
        has_station = len(here) > 0
        centre_ids = (
            here["centre_id"].to_numpy(dtype=object) if "centre_id" in here else np.array([None])
        )
        to_centre = has_station and all(_given(c) for c in centre_ids)
        to_market = to_centre and all(_given(centre_market.get(str(c))) for c in centre_ids)
        verdict = {"station": has_station, "sorting_centre": to_centre, "market": to_market}
        verdict["short_tier"] = next((tier for tier in CHAIN if not verdict[tier]), None)
        by_county[code] = verdict
    short = sum(1 for v in by_county.values() if v["short_tier"] is not None)
    return {
        "complete": short == 0,
        "counties": len(by_county),
        "short": short,
        "by_county": by_county,
    }


def _given(value: Any) -> bool:
    """Whether an id cell holds an id (not None, NaN or empty)."""
    if value is None:
        return False
    if isinstance(value, float) and np.isnan(value):
        return False
    return str(value) != ""
