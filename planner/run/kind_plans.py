"""The scenario's standalone facility kinds, planned after the tiers.

For each entry of ``Scenario.kinds`` (:class:`~planner.scenario.kind_list.PlannedKind`),
:func:`plan_kinds` takes the kind from the catalogue, applies the entry's overrides
(count, radius, per-county minimum) and plans it with
:func:`planner.run.kinds.plan_kind`. Each kind gets its own
:class:`~planner.plan.TierResult` (``tier`` is the kind's id, ``details["kind"]`` too,
with its names in ``details["name"]``); its sites join the plan's with ``tier =
"standalone"`` and ``kind``; the candidates its siting rules left out are kept with
their reasons (:attr:`KindsOutcome.exclusions`, written as ``exclusions.csv``) so every
excluded candidate can be explained. A kind that cannot be planned (a layer missing, a
model without a plan) gives a result with status ``error`` or the model's status and
its reason, never stops the other kinds or the tiers' plan.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.data.kinds import FacilityKind, load_kinds
from planner.data.regions import Region
from planner.i18n import LANGUAGES, PlannerError, t
from planner.instance.walk import cover_radius
from planner.plan import TierResult
from planner.run.kinds import KindPlan, plan_kind
from planner.scenario import Scenario
from planner.scenario.kind_list import with_overrides

__all__ = ["EXCLUSION_TABLE_COLUMNS", "KIND_OF_TIER", "KindsOutcome", "plan_kinds", "with_kinds"]

#: The facility kind of each tier's sites (the ``kind`` column of every plan).
KIND_OF_TIER = {
    "station": "recycling_station",
    "sorting_centre": "sorting_centre",
    "market": "market",
}
#: Columns of the exclusions table (``exclusions.csv``): the kind, the candidate, the
#: rule it breaks and the reason in both languages.
EXCLUSION_TABLE_COLUMNS = [
    "kind", "site_id", "rule_index", "rule", "zone_category", "zone_name",
    "buffer_m", "distance_m", "source", "planner_set", "reason_zh", "reason_en",
]  # fmt: skip


@dataclass(frozen=True)
class KindsOutcome:
    """The standalone kinds of one run.

    Attributes
    ----------
    results
        One :class:`TierResult` per kind, in the scenario's order.
    sites
        Every kind's chosen sites (``tier = "standalone"``, ``kind``).
    exclusions
        The candidates left out by the kinds' siting rules
        (:data:`EXCLUSION_TABLE_COLUMNS`): one row per candidate and rule.
    kpis
        ``{kind_id: {...}}`` (see :func:`_kind_kpis`).
    """

    results: tuple[TierResult, ...] = ()
    sites: gpd.GeoDataFrame | None = None
    exclusions: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=EXCLUSION_TABLE_COLUMNS)
    )
    kpis: dict[str, Any] = field(default_factory=dict)


def _both(key: str, **params: Any) -> dict[str, str]:
    return {"key": key, **{lang: t(key, lang, **params) for lang in LANGUAGES}}


def _result(kind: FacilityKind, model: str, status: str, seconds: float, solver: str, **more):
    details = {"kind": kind.id, "name": dict(kind.name), **more.pop("details", {})}
    return TierResult(
        tier=kind.id, model=model, status=status, objective=more.get("objective"),
        bound=more.get("bound"), gap=more.get("gap"), seconds=round(seconds, 3),
        solver=solver, diagnoses=tuple(more.get("diagnoses", ())), details=details,
    )  # fmt: skip


def _exclusions(planned: KindPlan) -> pd.DataFrame:
    excluded = planned.siting.excluded
    if excluded.empty:
        return pd.DataFrame(columns=EXCLUSION_TABLE_COLUMNS)
    out = excluded.copy()
    out["kind"] = planned.kind.id
    for lang in LANGUAGES:
        out[f"reason_{lang}"] = planned.siting.table(lang)["reason"].to_numpy()
    return out[EXCLUSION_TABLE_COLUMNS]


def _kind_kpis(planned: KindPlan) -> dict[str, Any]:
    """A kind's figures: sites, demand served (weight and share) within its radius
    (every point for a service-area kind), sites next to their colocation POI."""
    demand, sites = planned.demand, planned.sites
    total = float(demand["weight"].sum())
    # distances include the walk inside each community: within the radius of the
    # community's point is within sqrt(r² + w²) of them
    radius = cover_radius(demand)
    distance = demand["distance_m"].to_numpy(dtype=float)
    assigned = demand["site_id"].notna().to_numpy()
    within = assigned & (~np.isfinite(radius) | (distance <= radius + 1e-6))
    served = float(demand["weight"].to_numpy(dtype=float)[within].sum())
    return {
        "name": dict(planned.kind.name),
        "count": len(sites),
        "model": planned.model,
        "demand_basis": planned.kind.demand.basis,
        "demand_weight": total,
        "served_weight": served,
        "coverage_share": served / total if total > 0 else None,
        "colocated": int((sites["colocated_poi"].astype(str) != "").sum()),
        "excluded_candidates": int(planned.siting.excluded["site_id"].nunique()),
    }


def plan_kinds(
    region: Region,
    scenario: Scenario,
    progress: Callable[[str, float], None] | None = None,
) -> KindsOutcome:
    """Plan every standalone kind of ``scenario`` in ``region`` (see the module docstring).

    Parameters
    ----------
    region
        With the ``zones``, ``pois`` and demand tables the kinds need.
    scenario
        Its ``kinds`` entries (already validated).
    progress
        Called as ``progress("run.stage.kinds", fraction)`` before each kind.
    """
    if not scenario.kinds:
        return KindsOutcome()
    catalogue = load_kinds()
    results: list[TierResult] = []
    sites: list[gpd.GeoDataFrame] = []
    excluded: list[pd.DataFrame] = []
    kpis: dict[str, Any] = {}
    for i, entry in enumerate(scenario.kinds):
        if progress is not None:
            progress("run.stage.kinds", 0.85 + 0.05 * i / len(scenario.kinds))
        kind = with_overrides(catalogue[entry.kind], entry)
        started = time.perf_counter()
        try:
            planned = plan_kind(
                region, kind, scenario, count=entry.count,
                required=entry.required_sites, excluded=entry.excluded_sites,
            )  # fmt: skip
        except PlannerError as err:
            results.append(
                _result(
                    kind, "-", "error", time.perf_counter() - started, scenario.solver.name,
                    diagnoses=[_both("run.kind_failed", kind=kind.label(), error=_text(err))],
                )
            )  # fmt: skip
            continue
        r = planned.solution.result
        table = _exclusions(planned)
        notes = [
            {"key": d.key, **{lang: d.message(lang) for lang in LANGUAGES}} for d in r.diagnoses
        ]
        if len(table):
            notes.append(_both("run.kind_excluded", count=int(table["site_id"].nunique())))
        kpis[kind.id] = _kind_kpis(planned)
        results.append(
            _result(
                kind, planned.model, r.status, time.perf_counter() - started,
                scenario.solver.name, objective=r.objective, bound=r.bound, gap=r.gap,
                diagnoses=notes, details={"candidates": len(planned.siting.kept)},
            )
        )  # fmt: skip
        if r.status in ("optimal", "time_limit_feasible"):
            sites.append(planned.sites)
        excluded.append(table)
    return KindsOutcome(
        results=tuple(results),
        sites=(
            gpd.GeoDataFrame(pd.concat(sites, ignore_index=True), crs="EPSG:4326")
            if sites
            else None
        ),
        exclusions=(
            pd.concat(excluded, ignore_index=True)
            if excluded
            else pd.DataFrame(columns=EXCLUSION_TABLE_COLUMNS)
        ),
        kpis=kpis,
    )


def _text(err: PlannerError):
    from planner.i18n import Text

    return Text(err.key, **err.params)


def with_kinds(sites: gpd.GeoDataFrame, outcome: KindsOutcome) -> gpd.GeoDataFrame:
    """``sites`` with a ``kind`` on every row (from its tier) and the kinds' sites after
    them (their costs unknown: the scenario has no unit costs for them)."""
    sites = sites.copy()
    tier_kind = sites["tier"].map(KIND_OF_TIER)
    if "kind" in sites:
        sites["kind"] = sites["kind"].where(sites["kind"].notna(), tier_kind)
    else:
        sites["kind"] = tier_kind
    if outcome.sites is None or outcome.sites.empty:
        return sites
    rows = outcome.sites.drop(columns=[c for c in ("x", "y") if c in outcome.sites])
    rows = rows.assign(action="new", status="proposed")
    for column in ("cost_yuan", "operation_yuan_per_year"):
        if column in sites:
            rows[column] = np.nan
    return gpd.GeoDataFrame(pd.concat([sites, rows], ignore_index=True), crs="EPSG:4326")
