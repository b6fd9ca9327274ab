"""Checks of the market tier (集散交易市场) that need only the scenario, and those that
need the region: the tonnage its markets must take.

The market tier's counts and rules are checked with market-specific words (a market
is neither a station nor a sorting centre), so a planner reads "市场" where the
problem is. :func:`market_problems` runs with every scenario
(:meth:`planner.scenario.Scenario.validate`); :func:`market_region_problems` with the
region checks (:func:`planner.scenario.checks.region_problems`), where the tonnage
the centres will hand on is estimated from the region's population.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from planner import format as fmt
from planner.scenario.problems import ScenarioProblem

if TYPE_CHECKING:
    from planner.data.regions import Region
    from planner.scenario.model import CentreTier, MarketTier

__all__ = [
    "URBAN_KINDS",
    "estimated_tonnage",
    "market_county_problems",
    "market_problems",
    "market_region_problems",
    "market_sites_per_county",
]

#: Township kinds whose people generate at the urban rate (as the instance's demand
#: points read them, :data:`planner.instance.demand.URBAN_TOWNSHIP_KINDS`; repeated
#: here because the scenario stage may not import the instance stage).
URBAN_KINDS = ("street", "county_direct")


def market_problems(
    markets: MarketTier, centres: CentreTier, count_mode: str
) -> list[ScenarioProblem]:
    """Problems with the market tier's values (their types are right).

    More markets than sorting centres (when the centre count is the whole network;
    under 新改扩建 kept centres come on top and the run decides), per-county minimums
    above maximums or above the market count, a site both required and excluded.
    """
    m = markets
    p: list[ScenarioProblem] = []
    if m.count > 0 and count_mode == "total" and m.count > centres.count:
        p.append(
            ScenarioProblem(
                "scenario.markets.over_centres",
                {"count": m.count, "centres": centres.count, "over": m.count - centres.count},
            )
        )
    for county, lo in m.county_min.items():
        hi = m.county_max.get(county)
        if hi is not None and lo > hi:
            p.append(
                ScenarioProblem(
                    "scenario.markets.min_above_max",
                    {"county": county, "minimum": lo, "maximum": hi},
                )
            )
    total = sum(m.county_min.values())
    if total > m.count:
        p.append(
            ScenarioProblem(
                "scenario.markets.county_sum",
                {"total": total, "count": m.count, "over": total - m.count},
            )
        )
    both = sorted(set(m.required_sites) & set(m.excluded_sites))
    if both:
        p.append(
            ScenarioProblem(
                "scenario.required_and_excluded", {"count": len(both), "example": both[0]}
            )
        )
    return p


def estimated_tonnage(region: Region, generation: Mapping[str, Any]) -> float:
    """Recyclables the region's residents generate (t/day) under ``generation``.

    Every station's tonnage goes to a centre and every centre's to a market, so this is
    what the markets must take together. A community counts as urban as the demand
    points count it (a 社区, or any community of a street or county-direct township).
    """
    comms = region.communities
    town_kind = dict(zip(region.townships["code"], region.townships["kind"], strict=False))
    urban = (comms["kind"] == "community").to_numpy() | comms["township_code"].map(town_kind).isin(
        URBAN_KINDS
    ).to_numpy()
    kg = np.where(
        urban,
        float(generation.get("urban_kg_per_person_day", 0.0)),
        float(generation.get("rural_kg_per_person_day", 0.0)),
    )
    return float((comms["population"].to_numpy(dtype=float) * kg).sum() / 1000.0)


def market_region_problems(
    region: Region,
    data: Mapping[str, Any],
    generation: Mapping[str, Any],
    planned_centres: int | None = None,
) -> list[ScenarioProblem]:
    """The market tier against the region.

    Warnings (the run then finds no market plan and says why in its own figures):
    the markets' total capacity is below the tonnage the residents generate, which
    the centres hand on (by how much); "one market per county" with fewer markets
    than counties. Warnings, not errors, because the run's tonnage is what its
    stations really collect, which a coverage objective may leave short of this
    estimate.

    ``planned_centres``: the sorting centres of the whole network when the scenario
    counts 新改扩建 (the count plus the kept existing centres); more markets than that
    is an error (:func:`market_problems` checks the plain count otherwise).
    """
    count = data.get("count")
    capacity = data.get("capacity_t_per_day")
    if not _whole(count) or count <= 0:
        return []
    found: list[ScenarioProblem] = []
    if planned_centres is not None and count > planned_centres:
        found.append(
            ScenarioProblem(
                "scenario.markets.over_centres",
                {"count": count, "centres": planned_centres, "over": count - planned_centres},
                "error",
            )
        )
    if _number(capacity) and capacity > 0 and _rates(generation):
        need = estimated_tonnage(region, generation)
        supply = count * float(capacity)
        if supply < need:
            found.append(
                ScenarioProblem(
                    "scenario.markets.capacity_short",
                    {
                        "count": fmt.count(count),
                        "supply": fmt.number(supply, 1),
                        "need": fmt.number(need, 1),
                        "short": fmt.number(need - supply, 1),
                    },
                    "warning",
                )
            )
    found += market_county_problems(region, data)
    n_counties = len(region.counties)
    if data.get("one_per_county") is True and n_counties > count:
        found.append(
            ScenarioProblem(
                "scenario.markets.county_rule",
                {"needed": n_counties, "count": count, "over": n_counties - count},
                "warning",
            )
        )
    return found


def market_sites_per_county(region: Region) -> dict[str, int]:
    """Sites a market may take in each county: its township seats and its existing
    sorting centres not marked closed (as the run's market candidates, before the
    compliance check, which may close more)."""
    counts = region.townships["county_code"].astype(str).value_counts().to_dict()
    sites = region.sites
    if sites is not None and not sites.empty and "county_code" in sites:
        centres = sites[(sites["tier"] == "sorting_centre") & (sites["status"] != "existing_close")]
        for code, n in centres["county_code"].astype(str).value_counts().items():
            counts[code] = counts.get(code, 0) + int(n)
    return {str(k): int(v) for k, v in counts.items()}


def market_county_problems(region: Region, data: Mapping[str, Any]) -> list[ScenarioProblem]:
    """Per-county market minimums against the region: a minimum above the sites a
    market may take in that county (errors: no plan can meet it)."""
    minimums = data.get("county_min")
    if not isinstance(minimums, Mapping) or not minimums:
        return []
    sites = market_sites_per_county(region)
    found = []
    for code, lo in sorted(minimums.items(), key=lambda item: str(item[0])):
        have = sites.get(str(code), 0)
        if _whole(lo) and lo > have:
            found.append(
                ScenarioProblem(
                    "scenario.markets.county_candidates",
                    {"county": str(code), "minimum": lo, "candidates": have, "over": lo - have},
                    "error",
                )
            )
    return found


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _rates(generation: Mapping[str, Any]) -> bool:
    return all(
        _number(generation.get(k)) and generation.get(k) >= 0
        for k in ("urban_kg_per_person_day", "rural_kg_per_person_day")
    )
