"""Indicators of a plan, for the city, each county and each township.

All distance indicators are population-weighted: a village of 200 people 3 km from its
station counts for less than a 社区 of 8,000 people 600 m away.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["area_kpis", "city_kpis", "weighted_quantile"]


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` when each value counts ``weights`` times.

    Uses the inverse of the weighted empirical distribution (the smallest value whose
    cumulative weight reaches ``q`` of the total), so the result is always a real value.
    """
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    ok = np.isfinite(values) & (weights > 0)
    if not ok.any():
        return float("nan")
    order = np.argsort(values[ok], kind="stable")
    v, w = values[ok][order], weights[ok][order]
    cum = np.cumsum(w)
    return float(v[np.searchsorted(cum, q * cum[-1], side="left").clip(max=len(v) - 1)])


def _group_kpis(d: pd.DataFrame, stations: int, centres: int) -> dict[str, float]:
    pop = d["population"].to_numpy(dtype=float)
    dist = d["distance_m"].to_numpy(dtype=float)
    covered = d["covered"].to_numpy(dtype=bool)
    urban = d["urban"].to_numpy(dtype=bool)
    total = pop.sum()

    def share(mask: np.ndarray) -> float:
        base = pop[mask].sum()
        return float(pop[mask & covered].sum() / base) if base > 0 else float("nan")

    households = float(d["households"].sum())
    return {
        "population": int(total),
        "households": int(households),
        "communities": len(d),
        "stations": stations,
        "sorting_centres": centres,
        "coverage_share": share(np.ones_like(covered)),
        "coverage_share_urban": share(urban),
        "coverage_share_rural": share(~urban),
        "mean_distance_m": float(np.average(dist, weights=pop)) if total > 0 else float("nan"),
        "p95_distance_m": weighted_quantile(dist, pop, 0.95),
        "max_distance_m": float(dist.max()) if len(dist) else float("nan"),
        "stations_per_1000_households": stations / households * 1000
        if households
        else float("nan"),
        "uncovered_communities": int((~covered).sum()),
        "uncovered_population": int(pop[~covered].sum()),
    }


def city_kpis(demand: pd.DataFrame, sites: pd.DataFrame) -> dict[str, float]:
    """City-level indicators.

    Parameters
    ----------
    demand
        One row per demand point with ``population``, ``households``, ``urban``,
        ``distance_m`` (to its station) and ``covered`` (within its radius).
    sites
        Plan sites with ``tier`` (``station`` | ``sorting_centre``).
    """
    tiers = sites["tier"].value_counts()
    out = _group_kpis(demand, int(tiers.get("station", 0)), int(tiers.get("sorting_centre", 0)))
    centres = sites[sites["tier"] == "sorting_centre"]
    if len(centres) and "load_t_per_day" in centres:
        out["centre_load_t_per_day"] = float(centres["load_t_per_day"].sum())
        out["centre_capacity_t_per_day"] = float(centres["capacity_t_per_day"].sum())
        out["max_centre_utilisation"] = float(
            (centres["load_t_per_day"] / centres["capacity_t_per_day"]).max()
        )
    return out


def area_kpis(demand: pd.DataFrame, sites: pd.DataFrame, by: str) -> pd.DataFrame:
    """Indicators per ``by`` (``county_code`` or ``township_code``), one row each.

    Stations and centres are counted where they stand; demand where it lives.
    """
    counts = (
        sites.groupby([by, "tier"]).size().unstack(fill_value=0)
        .reindex(columns=["station", "sorting_centre"], fill_value=0)
    )  # fmt: skip
    rows = []
    for code, group in demand.groupby(by, sort=True):
        n = counts.loc[code] if code in counts.index else {"station": 0, "sorting_centre": 0}
        rows.append({by: code, **_group_kpis(group, int(n["station"]), int(n["sorting_centre"]))})
    return pd.DataFrame(rows)
