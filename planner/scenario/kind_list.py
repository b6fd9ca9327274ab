"""The scenario's list of standalone facility kinds to plan (``Scenario.kinds``).

Each entry names a kind of the catalogue (:func:`planner.data.kinds.load_kinds`: the
built-in files and the planner's own in ``$PLANNER_HOME/kinds``) and may override its
figures for this scenario: how many sites (none: the kind's own count targets, else the
fewest sites covering every point, a set cover), its coverage radius, its per-county
minimum. The kinds of the three tiers (stations, sorting centres, markets) are planned
by their own scenario sections, so an entry may only name a ``standalone`` kind.

:func:`kind_list_problems` runs with every scenario (:meth:`Scenario.validate`);
:func:`kind_region_problems` with the region checks, before anything is solved: a kind
needing points of interest or a demand table the region lacks, a count above the
candidate sites.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from planner.i18n import PlannerError, Text
from planner.scenario.problems import ScenarioProblem

if TYPE_CHECKING:
    from planner.data.kinds import FacilityKind
    from planner.data.regions import Region

__all__ = [
    "PlannedKind",
    "kind_choices",
    "kind_list_problems",
    "kind_region_problems",
    "with_overrides",
]


@dataclass(frozen=True)
class PlannedKind:
    """One standalone kind the scenario plans.

    Attributes
    ----------
    kind
        The kind's id (its file name in ``data/kinds`` or ``$PLANNER_HOME/kinds``).
    count
        Number of sites; ``None`` uses the kind's count targets, and without them the
        fewest sites that cover every demand point within the radius (set cover).
    radius_urban_m, radius_rural_m
        Coverage radius for 社区 and 村, overriding the kind's (both or neither).
    per_county_min
        At least this many sites in every county with demand (县县全覆盖), overriding
        the kind's; ``None`` keeps the kind's.
    required_sites, excluded_sites
        Candidate ids of the kind (a 村/社区 code, a grid id, ``poi:<id>``) that must
        open or stay closed; a re-run honouring the site review fills them
        (:func:`planner.plan.review.apply_review`).
    """

    kind: str = ""
    count: int | None = None
    radius_urban_m: float | None = None
    radius_rural_m: float | None = None
    per_county_min: int | None = None
    required_sites: tuple[str, ...] = ()
    excluded_sites: tuple[str, ...] = ()


def _catalogue() -> tuple[dict[str, FacilityKind] | None, ScenarioProblem | None]:
    from planner.data.kinds import load_kinds

    try:
        return load_kinds(), None
    except PlannerError as err:
        return None, ScenarioProblem(
            "scenario.kinds.catalogue", {"error": Text(err.key, **err.params)}
        )


def kind_choices() -> dict[str, FacilityKind]:
    """The kinds a scenario may list: every ``standalone`` kind of the catalogue, the
    planner's own files in ``$PLANNER_HOME/kinds`` included, by id."""
    from planner.data.kinds import load_kinds

    return {k: v for k, v in load_kinds().items() if v.tier == "standalone"}


def kind_list_problems(entries: tuple[PlannedKind, ...]) -> list[ScenarioProblem]:
    """Problems with the kinds listed (types already checked): an unknown kind (the
    known ones listed), a tier's kind, a kind listed twice, counts and radii out of
    range, a kind without a radius or count that nothing can size."""
    if not entries:
        return []
    kinds, broken = _catalogue()
    if kinds is None:
        return [broken] if broken else []
    standalone = sorted(k for k, v in kinds.items() if v.tier == "standalone")
    p: list[ScenarioProblem] = []
    seen: set[str] = set()
    for i, e in enumerate(entries, start=1):
        field = f"kinds[{i}]"
        if e.kind in seen:
            p.append(ScenarioProblem("scenario.kinds.twice", {"field": field, "kind": e.kind}))
        seen.add(e.kind)
        kind = kinds.get(e.kind)
        if kind is None:
            p.append(
                ScenarioProblem(
                    "scenario.kinds.unknown",
                    {"field": field, "kind": e.kind, "known": ", ".join(standalone)},
                )
            )
            continue
        if kind.tier != "standalone":
            p.append(
                ScenarioProblem("scenario.kinds.tier_kind", {"field": field, "kind": kind.label()})
            )
            continue
        if e.count is not None and e.count <= 0:
            p.append(
                ScenarioProblem("scenario.positive", {"field": f"{field}.count", "value": e.count})
            )
        for name in ("radius_urban_m", "radius_rural_m"):
            value = getattr(e, name)
            if value is not None and not value > 0:
                p.append(
                    ScenarioProblem(
                        "scenario.positive", {"field": f"{field}.{name}", "value": value}
                    )
                )
        if (e.radius_urban_m is None) != (e.radius_rural_m is None):
            p.append(ScenarioProblem("scenario.kinds.both_radii", {"field": field}))
        if e.per_county_min is not None and e.per_county_min < 0:
            p.append(
                ScenarioProblem(
                    "scenario.non_negative",
                    {"field": f"{field}.per_county_min", "value": e.per_county_min},
                )
            )
        sized = (
            e.count is not None
            or e.radius_urban_m is not None
            or kind.coverage.radius_urban_m is not None
            or (kind.counts is not None and (kind.counts.city or kind.counts.per_county_min))
            or e.per_county_min
        )
        if not sized:
            p.append(ScenarioProblem("scenario.kinds.needs_count", {"kind": kind.label()}))
    return p


def with_overrides(kind: FacilityKind, entry: PlannedKind) -> FacilityKind:
    """``kind`` with the entry's radius and per-county minimum in place of its own."""
    from dataclasses import replace

    from planner.data.kinds import CountTargets

    if entry.radius_urban_m is not None and entry.radius_rural_m is not None:
        coverage = replace(
            kind.coverage,
            radius_urban_m=float(entry.radius_urban_m),
            radius_rural_m=float(entry.radius_rural_m),
            service_area=None,
        )
        kind = replace(kind, coverage=coverage)
    if entry.per_county_min is not None:
        counts = kind.counts or CountTargets(planner_set=True)
        kind = replace(kind, counts=replace(counts, per_county_min=float(entry.per_county_min)))
    return kind


def kind_region_problems(region: Region, data: Mapping[str, Any]) -> list[ScenarioProblem]:
    """The kinds listed against ``region``: the layers they need and their counts.

    A kind planned for points of interest needs the region's ``pois`` of its
    categories; a kind planned from a demand table (registered vehicles per county)
    needs that table; a count can be at most the candidate sites (one per 村/社区 and
    the points of interest the kind serves or likes to stand beside; unknown when the
    scenario adds a dense grid).
    """
    entries = data.get("kinds") or []
    if not isinstance(entries, list | tuple) or not entries:
        return []
    kinds, broken = _catalogue()
    if kinds is None:
        return [broken] if broken else []
    pois = region.pois
    categories = set() if pois is None else set(pois["category"].astype(str))
    p: list[ScenarioProblem] = []
    for entry in entries:
        item = entry if isinstance(entry, Mapping) else vars(entry)
        kind = kinds.get(str(item.get("kind")))
        if kind is None or kind.tier != "standalone":
            continue  # named by kind_list_problems
        wanted: tuple[str, ...] = ()
        if kind.demand.basis == "poi":
            wanted = kind.demand.categories
            if not categories & set(wanted):
                p.append(
                    ScenarioProblem(
                        "kinds.no_pois", {"kind": kind.label(), "categories": ", ".join(wanted)}
                    )
                )
        if kind.demand.table and kind.demand.table not in region.tables:
            p.append(
                ScenarioProblem(
                    "kinds.no_demand_table", {"kind": kind.label(), "table": kind.demand.table}
                )
            )
        count = item.get("count")
        if isinstance(count, int) and not data.get("dense_grid_m"):
            near = set(wanted) | ({kind.colocation.poi} if kind.colocation else set())
            n_pois = 0 if pois is None else int(pois["category"].isin(near).sum())
            candidates = len(region.communities) + n_pois
            if count > candidates:
                p.append(
                    ScenarioProblem(
                        "scenario.kinds.over_candidates",
                        {"kind": kind.label(), "count": count, "candidates": candidates},
                    )
                )
    return p
