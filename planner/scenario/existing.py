"""The scenario's sections on the network that exists and on money.

:class:`ExistingNetwork` says how the region's inventory of sites enters the plan: which
compliance standard classifies each site (keep, upgrade or close), the planner's own
figures where a standard gives none, how targets are counted and the planner's
overrides. :class:`Costs` holds unit costs in yuan per tier and action and the optional
budgets. Defaults are planning assumptions, labelled so wherever they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from planner.scenario.problems import ScenarioProblem, shown

__all__ = ["ACTIONS", "COUNT_MODES", "Costs", "ExistingNetwork", "network_problems"]

CountMode = Literal["total", "new_or_rebuilt"]
#: What a plan does with a site: build it, upgrade (标准化改造) or keep an existing one,
#: or close (取缔/关停) it.
ACTIONS: tuple[str, ...] = ("new", "upgrade", "keep", "close")
#: The actions a planner may set on an existing site.
EXISTING_ACTIONS: tuple[str, ...] = ("keep", "upgrade", "close")
COUNT_MODES: tuple[str, ...] = ("total", "new_or_rebuilt")


@dataclass(frozen=True)
class ExistingNetwork:
    """The region's existing sites (its inventory) in the plan.

    Attributes
    ----------
    standard
        Id of the compliance standard (a file in ``data/standards``) that classifies
        each existing site as keep, upgrade or close.
    station_min_floor_area_m2, centre_min_floor_area_m2
        The planner's minimum floor area (m²) where it replaces the standard's figure
        (``None``: the standard's, which may be unknown and then unchecked).
    count_mode
        How the station and centre counts are read: ``total`` (the whole network: kept,
        upgraded and new sites) or ``new_or_rebuilt`` (新改扩建: upgraded and new sites;
        kept sites come on top).
    actions
        The planner's classification of an existing site, ``{site_id: keep | upgrade |
        close}``, overriding the standard's.
    reasons
        Why, ``{site_id: text}``; every override needs one.
    """

    standard: str = "sbt10719"
    station_min_floor_area_m2: float | None = None
    centre_min_floor_area_m2: float | None = None
    count_mode: CountMode = "total"
    actions: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Costs:
    """Unit costs in yuan and the optional budgets.

    The defaults are planning assumptions for a first estimate, not quotations: a
    station fitted out in an existing room, a sorting centre with sheds and balers on
    leased land. Replace them with the city's figures.

    Attributes
    ----------
    station_new_yuan, station_upgrade_yuan, station_closure_yuan
        One-off cost of building, upgrading (标准化改造) or closing (compensation) a
        station.
    station_operation_yuan_per_year
        Yearly running cost of an open station.
    centre_new_yuan, centre_upgrade_yuan, centre_closure_yuan, centre_operation_yuan_per_year
        The same for a sorting centre.
    budget_yuan
        Ceiling on the one-off cost of the plan (new, upgrade and closure, both tiers);
        ``None``: no ceiling.
    county_budget_yuan
        Ceilings per county, ``{county_code: yuan}``.
    """

    station_new_yuan: float = 50_000.0
    station_upgrade_yuan: float = 20_000.0
    station_closure_yuan: float = 0.0
    station_operation_yuan_per_year: float = 30_000.0
    centre_new_yuan: float = 5_000_000.0
    centre_upgrade_yuan: float = 1_500_000.0
    centre_closure_yuan: float = 0.0
    centre_operation_yuan_per_year: float = 600_000.0
    budget_yuan: float | None = None
    county_budget_yuan: dict[str, float] = field(default_factory=dict)

    def unit(self, tier: str, action: str) -> float:
        """One-off cost (yuan) of ``action`` on one site of ``tier``; 0 for ``keep``."""
        prefix = "station" if tier == "station" else "centre"
        if action == "keep":
            return 0.0
        name = {"new": "new", "upgrade": "upgrade", "close": "closure"}[action]
        return float(getattr(self, f"{prefix}_{name}_yuan"))

    def operation(self, tier: str) -> float:
        """Yearly running cost (yuan) of one open site of ``tier``."""
        prefix = "station" if tier == "station" else "centre"
        return float(getattr(self, f"{prefix}_operation_yuan_per_year"))


def network_problems(existing: ExistingNetwork, costs: Costs) -> list[ScenarioProblem]:
    """Problems with the values of the two sections (their types are right)."""
    from planner.data.standards import standard_ids

    p: list[ScenarioProblem] = []
    known = standard_ids()
    if existing.standard not in known:
        p.append(
            ScenarioProblem(
                "scenario.choice",
                {
                    "field": "existing.standard",
                    "value": shown(existing.standard),
                    "choices": "/".join(known),
                },
            )
        )
    for name in ("station_min_floor_area_m2", "centre_min_floor_area_m2"):
        value = getattr(existing, name)
        if value is not None and value < 0:
            p.append(
                ScenarioProblem(
                    "scenario.non_negative", {"field": f"existing.{name}", "value": value}
                )
            )
    for site, action in sorted(existing.actions.items()):
        if action not in EXISTING_ACTIONS:
            p.append(
                ScenarioProblem(
                    "scenario.choice",
                    {
                        "field": f"existing.actions.{site}",
                        "value": shown(action),
                        "choices": "/".join(EXISTING_ACTIONS),
                    },
                )
            )
        if not existing.reasons.get(site, "").strip():
            p.append(ScenarioProblem("scenario.override_reason", {"site": site}))
    for name, value in vars(costs).items():
        if isinstance(value, float) and value < 0:
            p.append(
                ScenarioProblem("scenario.non_negative", {"field": f"costs.{name}", "value": value})
            )
    for county, value in sorted(costs.county_budget_yuan.items()):
        if value < 0:
            field_ = f"costs.county_budget_yuan.{county}"
            p.append(ScenarioProblem("scenario.non_negative", {"field": field_, "value": value}))
    return p
