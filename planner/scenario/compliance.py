"""The compliance check: what the plan does with each existing site.

Each existing site of the region's inventory is checked against the scenario's standard
(:mod:`planner.data.standards`) and gets an action with its reasons:

- ``close`` (取缔/关停): out of use, no licence or a failed fire-safety inspection where
  the standard requires them, or marked to close in the inventory;
- ``upgrade`` (标准化改造): open, but with shortfalls that can be fixed (floor area below
  the minimum, not yet standardised where the standard asks for it);
- ``keep``: compliant.

A planner's override (``existing.actions``, with a reason) wins. Values the inventory
does not know (``unknown``, a blank floor area) do not change the action: they are
listed as reasons to verify, so a county checks them before the list is final.

Kept and upgraded sites are open in the plan; closed ones are excluded from it
(:func:`planner.instance.compliance.with_actions`). The check is here, with the
scenario's other checks against the region, because the scenario form and its checks
need it before any instance is built.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.data.standards import TierStandard, load_standard
from planner.scenario.existing import ExistingNetwork

__all__ = [
    "CLOSE_REASONS",
    "REASONS",
    "UPGRADE_REASONS",
    "VERIFY_REASONS",
    "classify_sites",
    "minimum_floor_area",
]

CLOSE_REASONS: tuple[str, ...] = ("marked_close", "not_in_use", "no_licence", "fire_safety_failed")
UPGRADE_REASONS: tuple[str, ...] = ("floor_area_below", "not_standardised")
#: Facts the inventory does not know, that the standard checks: the action stands, the
#: county verifies them.
VERIFY_REASONS: tuple[str, ...] = ("licence_unknown", "fire_safety_unknown", "floor_area_unknown")
#: Every reason code, in the order they are listed; ``override`` marks a planner's choice.
REASONS: tuple[str, ...] = (*CLOSE_REASONS, *UPGRADE_REASONS, *VERIFY_REASONS, "override")
_TIER_KEY = {"station": "station", "sorting_centre": "centre"}


def _column(sites: pd.DataFrame, name: str, default: str = "unknown") -> np.ndarray:
    if name not in sites:
        return np.full(len(sites), default, dtype=object)
    return sites[name].fillna(default).astype(str).str.strip().str.lower().to_numpy(dtype=object)


def _floor_area(sites: pd.DataFrame) -> np.ndarray:
    if "floor_area_m2" not in sites:
        return np.full(len(sites), np.nan)
    return pd.to_numeric(sites["floor_area_m2"], errors="coerce").to_numpy(dtype=float)


def minimum_floor_area(tier: str, existing: ExistingNetwork) -> float | None:
    """The floor area (m²) a site of ``tier`` must have: the planner's, else the standard's."""
    own = getattr(existing, f"{_TIER_KEY[tier]}_min_floor_area_m2")
    if own is not None:
        return float(own)
    return load_standard(existing.standard).tier(tier).min_floor_area_m2


def _tier_reasons(
    sites: pd.DataFrame, rules: TierStandard, min_area: float | None
) -> list[list[str]]:
    """Reason codes per site (close, then upgrade, then verify), before overrides."""
    status = _column(sites, "status", "existing_keep")
    in_use = _column(sites, "in_use")
    licence = _column(sites, "licence")
    fire = _column(sites, "fire_safety")
    standardised = _column(sites, "standardised")
    area = _floor_area(sites)
    out: list[list[str]] = []
    for i in range(len(sites)):
        found = []
        if status[i] == "existing_close":
            found.append("marked_close")
        if in_use[i] == "no":
            found.append("not_in_use")
        if rules.licence_required and licence[i] == "no":
            found.append("no_licence")
        if rules.fire_safety_required and fire[i] == "fail":
            found.append("fire_safety_failed")
        if min_area is not None and np.isfinite(area[i]) and area[i] < min_area:
            found.append("floor_area_below")
        if rules.standardisation_required and standardised[i] == "no":
            found.append("not_standardised")
        if rules.licence_required and licence[i] == "unknown":
            found.append("licence_unknown")
        if rules.fire_safety_required and fire[i] == "unknown":
            found.append("fire_safety_unknown")
        if min_area is not None and not np.isfinite(area[i]):
            found.append("floor_area_unknown")
        out.append(found)
    return out


def _action(reasons: list[str]) -> str:
    if any(r in CLOSE_REASONS for r in reasons):
        return "close"
    if any(r in UPGRADE_REASONS for r in reasons):
        return "upgrade"
    return "keep"


def classify_sites(sites: pd.DataFrame, existing: ExistingNetwork) -> pd.DataFrame:
    """The action and reasons of each existing site.

    Parameters
    ----------
    sites
        The region's inventory (its ``sites`` layer): ``site_id``, ``tier`` and the
        optional attributes ``status``, ``in_use``, ``licence``, ``fire_safety``,
        ``standardised`` (``yes``/``no``/``unknown``, fire safety ``pass``/``fail``/
        ``unknown``) and ``floor_area_m2``. Rows with status ``candidate`` are sites a
        planner offers, not existing ones, and get action ``new``.
    existing
        The scenario's section: standard, the planner's floor areas and overrides.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``sites``: ``action`` (``keep``/``upgrade``/``close``, ``new`` for
        candidates), ``reasons`` (reason codes of :data:`REASONS` joined by ``;``, the
        standard's first, ``override`` last) and ``min_floor_area_m2`` (the minimum
        checked, NaN when none).
    """
    standard = load_standard(existing.standard)
    action = np.full(len(sites), "keep", dtype=object)
    reasons = np.full(len(sites), "", dtype=object)
    minimum = np.full(len(sites), np.nan)
    tiers = sites["tier"].astype(str).to_numpy() if len(sites) else np.array([], dtype=str)
    for tier in ("station", "sorting_centre"):
        rows = np.flatnonzero(tiers == tier)
        if rows.size == 0:
            continue
        min_area = minimum_floor_area(tier, existing)
        part = sites.iloc[rows]
        for k, found in zip(rows, _tier_reasons(part, standard.tier(tier), min_area), strict=True):
            action[k] = _action(found)
            reasons[k] = ";".join(found)
        if min_area is not None:
            minimum[rows] = min_area
    ids = sites["site_id"].astype(str).to_numpy() if len(sites) else np.array([], dtype=str)
    for k, site in enumerate(ids):
        chosen = existing.actions.get(site)
        if chosen is not None:
            action[k] = chosen
            reasons[k] = ";".join([r for r in str(reasons[k]).split(";") if r] + ["override"])
    status = _column(sites, "status", "existing_keep")
    offered = status == "candidate"
    action[offered] = "new"
    reasons[offered] = ""
    return pd.DataFrame(
        {"action": action, "reasons": reasons, "min_floor_area_m2": minimum}, index=sites.index
    )
