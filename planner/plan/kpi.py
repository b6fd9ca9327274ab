"""Indicators of a plan, for the city, each county and each township.

All distance indicators are population-weighted: a village of 200 people 3 km from its
station counts for less than a 社区 of 8,000 people 600 m away.

How distances were measured
---------------------------
Every plan's city indicators carry ``distance_mode`` (``straight`` or ``network``) and
``circuity``; :func:`distance_mode_text` turns them into one line for a KPI table or a
map note, in either language (label: message ``kpi.distance_mode``). Road-network
plans add (see :func:`network_kpis`):

``centre_distance_basis``
    ``drive`` (driving distance) or ``drive_time`` (driving time) for station →
    sorting centre.
``network_fallback_communities``, ``network_fallback_population``
    Communities (and their people) costed as straight line × circuity because they
    are off the road network; also per county and township.
``network_unreachable_communities``
    Of those, the ones near a road that reach no candidate site along it.
``network_far_communities``
    Communities on the network but more than 500 m from a road.
``network_far_stations``, ``network_fallback_stations``
    Opened stations more than 500 m from a road / costed as straight line × circuity
    to their centre.
``network``
    Nested: the network's size and the snapping statistics of both tiers.

Village coverage
----------------
``villages`` (nested) counts the 村 and 社区 with a station within their radius,
overall, by kind and its lowest county share; the county and township tables carry
the same counts per area (:mod:`planner.plan.villages`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from planner.i18n import t
from planner.plan.villages import village_area_columns

__all__ = [
    "CENTRE_BASIS_LABEL",
    "DISTANCE_MODE_KEYS",
    "area_kpis",
    "city_kpis",
    "distance_mode_text",
    "network_kpis",
    "weighted_quantile",
]

#: Indicator keys about how distances were measured, with their label message keys.
DISTANCE_MODE_KEYS: dict[str, str] = {
    "distance_mode": "kpi.distance_mode",
    "network_fallback_communities": "kpi.network_fallback_communities",
    "network_fallback_population": "kpi.network_fallback_population",
    "network_far_communities": "kpi.network_far_communities",
    "network_far_stations": "kpi.network_far_stations",
}
#: Catalogue key of each station → sorting-centre distance basis (``centre_distance_basis``).
CENTRE_BASIS_LABEL = {
    "drive": "kpi.distance_mode.centre.drive",
    "drive_time": "kpi.distance_mode.centre.drive_time",
}


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
        **_fallback_counts(d),
        **_walk(d, pop),
    }


def _walk(d: pd.DataFrame, pop: np.ndarray) -> dict[str, float]:
    """Population-weighted mean walk inside the communities (included in every
    distance above; none for plans made before walks were counted)."""
    if "walk_m" not in d or not pop.sum() > 0:
        return {}
    return {"mean_walk_m": float(np.average(d["walk_m"].to_numpy(dtype=float), weights=pop))}


def _fallback_counts(d: pd.DataFrame) -> dict[str, int]:
    """Communities costed by straight line in a road-network plan (none otherwise)."""
    if "distance_basis" not in d:
        return {}
    back = (d["distance_basis"] == "straight").to_numpy(dtype=bool)
    return {
        "network_fallback_communities": int(back.sum()),
        "network_fallback_population": int(d["population"].to_numpy(dtype=float)[back].sum()),
    }


def city_kpis(
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    distance_mode: str = "straight",
    circuity: float | None = None,
) -> dict[str, Any]:
    """City-level indicators.

    Parameters
    ----------
    demand
        One row per demand point with ``population``, ``households``, ``urban``,
        ``distance_m`` (to its station) and ``covered`` (within its radius); in
        road-network plans also ``distance_basis`` (``network`` | ``straight``).
    sites
        Plan sites with ``tier`` (``station`` | ``sorting_centre``).
    distance_mode
        ``straight`` or ``network``: recorded as ``distance_mode``.
    circuity
        The scenario's circuity factor, recorded as ``circuity``.
    """
    tiers = sites["tier"].value_counts()
    out: dict[str, Any] = {"distance_mode": distance_mode}
    if circuity is not None:
        out["circuity"] = float(circuity)
    out |= _group_kpis(demand, int(tiers.get("station", 0)), int(tiers.get("sorting_centre", 0)))
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

    Stations and centres are counted where they stand; demand where it lives. Besides
    the population figures each row counts its 村 and 社区 with a station within their
    radius (:data:`planner.plan.villages.AREA_COLUMNS`).
    """
    counts = (
        sites.groupby([by, "tier"]).size().unstack(fill_value=0)
        .reindex(columns=["station", "sorting_centre"], fill_value=0)
    )  # fmt: skip
    rows = []
    for code, group in demand.groupby(by, sort=True):
        n = counts.loc[code] if code in counts.index else {"station": 0, "sorting_centre": 0}
        rows.append(
            {
                by: code,
                **_group_kpis(group, int(n["station"]), int(n["sorting_centre"])),
                **village_area_columns(group),
            }
        )
    return pd.DataFrame(rows)


def network_kpis(
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    centre_mode: str,
    far_m: float,
    network: Mapping[str, Any] | None = None,
    stations: Mapping[str, Any] | None = None,
    centres: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Indicators of a road-network plan (added to :func:`city_kpis`).

    Parameters
    ----------
    demand
        The plan's demand table with ``distance_basis`` and ``snap_m``.
    sites
        The plan's sites; stations with ``snap_m`` and, when the centre tier ran,
        ``centre_distance_basis``.
    centre_mode
        ``drive`` or ``drive_time``.
    far_m
        Distance to a road beyond which a point counts as far from it.
    network, stations, centres
        Network size and each tier's snapping summary, kept under ``network``.
    """
    st = sites[sites["tier"] == "station"]
    basis = demand["distance_basis"].to_numpy(dtype=object)
    snap = demand["snap_m"].to_numpy(dtype=float)
    out: dict[str, Any] = {
        "centre_distance_basis": centre_mode,
        "network_unreachable_communities": int((stations or {}).get("unreachable", 0)),
        "network_far_communities": int(((basis == "network") & (snap > far_m)).sum()),
        "network_far_stations": int((st["snap_m"].to_numpy(dtype=float) > far_m).sum())
        if "snap_m" in st
        else 0,
        "network_fallback_stations": int((st["centre_distance_basis"] == "straight").sum())
        if "centre_distance_basis" in st
        else 0,
        "network": {
            **dict(network or {}),
            "stations": dict(stations or {}),
            "centres": dict(centres or {}),
        },
    }
    return out


def distance_mode_text(kpis: Mapping[str, Any], lang: str = "zh") -> str:
    """One line saying how a plan's distances were measured, e.g. for a KPI table.

    ``kpis`` are a plan's city indicators (:attr:`planner.plan.Plan.kpis` or a stored
    plan's); plans made before the mode was recorded read as ``straight`` (1.3).
    """
    mode = str(kpis.get("distance_mode") or "straight")
    circuity = kpis.get("circuity")
    circuity = float(circuity) if isinstance(circuity, int | float) else 1.3
    walk = kpis.get("mean_walk_m")
    tail = t("kpi.distance_mode.walk", lang, walk=walk) if isinstance(walk, int | float) else ""
    if mode != "network":
        return t("kpi.distance_mode.straight", lang, circuity=circuity) + tail
    basis = str(kpis.get("centre_distance_basis") or "drive")
    key = CENTRE_BASIS_LABEL.get(basis)
    centre = t(key, lang) if key else basis  # a mode this version does not know: as stored
    text = t("kpi.distance_mode.network", lang, centre=centre)
    count = int(kpis.get("network_fallback_communities") or 0)
    if count:
        text += t("kpi.distance_mode.fallback", lang, count=count, circuity=circuity)
    return text + tail
