"""The scenario's ``phasing`` section: which sites open in which year.

Bureaus build a network in yearly batches against special funds and report against
interim targets. A :class:`Phasing` lists the years (:class:`PhaseYear`), each with
an optional budget (that year's spending, in yuan; money not spent in a year is not
carried over), optional cumulative targets for stations and sorting centres, and
optional cumulative per-county minimums. The targets are counted as the scenario's
counts are (``existing.count_mode``); the last year always reaches the scenario's
final counts. An empty section (the default) plans no phasing and is left out of the
saved scenario, so every scenario and plan without it reads and writes as before.

:func:`phasing_problems` runs with every scenario (:meth:`Scenario.validate`): years
out of order or repeated, targets that decrease, a target above the final count, a
year's county minimums above its target. The budget checks need the candidates and
their costs and run before solving (:func:`planner.run.phasing.check_phasing`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Literal

from planner.i18n import Text
from planner.scenario.problems import ScenarioProblem

__all__ = ["PHASING_MODES", "PhaseYear", "Phasing", "phasing_problems"]

PhasingMode = Literal["fixed_final", "joint"]
#: ``fixed_final``: the last year is the single-period optimum (or ``final_plan``) and
#: the model chooses the order of opening; ``joint``: every year is chosen together.
PHASING_MODES: tuple[str, ...] = ("fixed_final", "joint")
#: A tier's name in the section's messages.
_TIER_KEYS = {"station": "model.term.station", "sorting_centre": "model.term.centre"}
#: Years a plan may name (a slip such as 20256 is refused).
YEAR_RANGE = (2000, 2100)


@dataclass(frozen=True)
class PhaseYear:
    """One year of the roll-out.

    Attributes
    ----------
    year
        The calendar year (2025).
    budget_yuan
        One-off spending allowed in this year on the sites it opens or upgrades (and,
        in the first year, on closures); ``None``: no ceiling.
    stations, sorting_centres
        Cumulative number of stations / sorting centres in service at the end of the
        year, counted as the scenario's counts are; ``None``: the model decides.
    county_min_stations, county_min_centres
        Cumulative per-county minimums at the end of the year, ``{county_code: n}``.
    """

    year: int = 0
    budget_yuan: float | None = None
    stations: int | None = None
    sorting_centres: int | None = None
    county_min_stations: dict[str, int] = field(default_factory=dict)
    county_min_centres: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Phasing:
    """The years of the roll-out (empty: no phasing).

    Attributes
    ----------
    years
        The years in increasing order.
    mode
        ``fixed_final`` (phase the single-period plan: its sites are the last year's
        network) or ``joint`` (choose every year's sites together; the last year may
        then differ from the single-period optimum, by the price of phasing).
    final_plan
        A stored plan's id or a sites file (CSV/GeoPackage with ``site_id`` and
        ``tier``) whose stations and centres must be the last year's network: phasing
        a plan that was already reviewed. Empty: none.
    """

    years: tuple[PhaseYear, ...] = ()
    mode: PhasingMode = "fixed_final"
    final_plan: str = ""

    @property
    def active(self) -> bool:
        """Whether the scenario is phased."""
        return bool(self.years)


def phasing_problems(
    phasing: Phasing, final_stations: int | None, final_centres: int
) -> list[ScenarioProblem]:
    """Problems with the section's values (their types are right).

    ``final_stations`` / ``final_centres``: the scenario's counts (``None``: the
    station count is derived, and targets are checked against it when the run knows it).
    """
    p: list[ScenarioProblem] = []
    years = [y.year for y in phasing.years]
    for y in years:
        if not YEAR_RANGE[0] <= y <= YEAR_RANGE[1]:
            p.append(
                ScenarioProblem(
                    "phasing.year_range",
                    {"year": y, "low": YEAR_RANGE[0], "high": YEAR_RANGE[1]},
                )
            )
    for before, after in itertools.pairwise(years):
        if after == before:
            p.append(ScenarioProblem("phasing.year_repeated", {"year": after}))
        elif after < before:
            p.append(ScenarioProblem("phasing.year_order", {"year": after, "before": before}))
    for tier, attr, final in (
        ("station", "stations", final_stations),
        ("sorting_centre", "sorting_centres", final_centres),
    ):
        last: tuple[int, int] | None = None
        for entry in phasing.years:
            value = getattr(entry, attr)
            if value is None:
                continue
            if value < 0:
                p.append(
                    ScenarioProblem(
                        "scenario.non_negative",
                        {"field": f"phasing.years.{entry.year}.{attr}", "value": value},
                    )
                )
            if last is not None and value < last[1]:
                p.append(
                    ScenarioProblem(
                        "phasing.target_decreases",
                        {
                            "tier": _tier_text(tier),
                            "year": entry.year,
                            "value": value,
                            "before": last[0],
                            "previous": last[1],
                        },
                    )
                )
            if final is not None and value > final:
                p.append(
                    ScenarioProblem(
                        "phasing.target_above_final",
                        {
                            "tier": _tier_text(tier),
                            "year": entry.year,
                            "value": value,
                            "final": final,
                            "over": value - final,
                        },
                    )
                )
            last = (entry.year, value)
        for entry in phasing.years:
            target = getattr(entry, attr)
            mins = entry.county_min_stations if tier == "station" else entry.county_min_centres
            total = sum(mins.values())
            if target is not None and total > target:
                p.append(
                    ScenarioProblem(
                        "phasing.county_sum",
                        {
                            "tier": _tier_text(tier),
                            "year": entry.year,
                            "total": total,
                            "target": target,
                            "over": total - target,
                        },
                    )
                )
    return p


def _tier_text(tier: str) -> Text:
    return Text(_TIER_KEYS[tier])
