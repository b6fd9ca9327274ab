"""Facility kinds against the scenario: the figures a kind file takes from the scenario.

The recycling-station and sorting-centre kind files (``data/kinds``) do not repeat the
scenario's radii, capacities and counts: they name them (``"scenario:stations.radius_urban_m"``)
and :func:`resolve_figure` reads them from the scenario in use, so changing the scenario
(or its defaults in :mod:`planner.scenario.model`) changes the kind, and the two cannot
drift apart.
"""

from __future__ import annotations

from typing import Any

from planner.data.kinds import FacilityKind, ScenarioRef
from planner.i18n import PlannerError
from planner.scenario.model import Scenario

__all__ = ["resolve_figure", "scenario_refs"]


def resolve_figure(value: Any, scenario: Scenario, kind: FacilityKind | None = None) -> Any:
    """``value`` itself, or the scenario's value when it is a :class:`ScenarioRef`.

    A dotted path walks the scenario's sections (``centres.capacity_t_per_day``); a
    method at the end is called (``households_per_station`` gives the (urban, rural)
    households per station of the chosen capacity standard).

    Raises
    ------
    PlannerError
        ``kinds.unknown_scenario_field`` when the path names no scenario parameter.
    """
    if not isinstance(value, ScenarioRef):
        return value
    current: Any = scenario
    for part in value.path.split("."):
        if part.startswith("_") or not hasattr(current, part):
            raise PlannerError(
                "kinds.unknown_scenario_field", kind=kind.id if kind else "?", field=value.path
            )
        current = getattr(current, part)
    return current() if callable(current) else current


def scenario_refs(kind: FacilityKind) -> list[ScenarioRef]:
    """Every figure of ``kind`` taken from the scenario."""
    figures = []
    for section in (kind.coverage, kind.capacity, kind.counts):
        if section is not None:
            figures.extend(vars(section).values())
    return [f for f in figures if isinstance(f, ScenarioRef)]
