"""The scenario: every parameter of a planning run, validated and serialisable.

Modules
-------
:mod:`~planner.scenario.model`
    The dataclasses (:class:`Scenario` and its tiers), their serialisation and the
    checks that need only the scenario; :func:`default_scenario`.
:mod:`~planner.scenario.coercion`
    Strict typing: what :meth:`Scenario.from_dict` accepts, and the problem it records
    for anything else (nothing is converted without a word).
:mod:`~planner.scenario.existing`
    :class:`ExistingNetwork` (how the inventory of existing sites enters the plan)
    and :class:`Costs` (unit costs and budgets in yuan).
:mod:`~planner.scenario.markets`
    The market tier's checks (counts, per-county limits, capacity against the
    region's tonnage).
:mod:`~planner.scenario.overrides`
    A planner's override of an existing site's action, applied to a scenario.
:mod:`~planner.scenario.files`
    JSON, YAML and TOML files read within the limits ``scenario_kb`` and
    ``scenario_nodes`` (:func:`read_data_file`).
:mod:`~planner.scenario.problems`
    :class:`ScenarioProblem` (a :class:`planner.findings.Finding`) and :func:`shown`,
    how a rejected value is quoted.
:mod:`~planner.scenario.checks`
    The checks against the region (site ids, counts against candidates) and values that
    look like slips; imported on its own (it needs the region's data).
"""

from __future__ import annotations

from planner.scenario.coercion import CELL_MAXIMUM
from planner.scenario.files import read_data_file
from planner.scenario.model import (
    CAPACITY_STANDARDS,
    MAX_TIME_LIMIT_S,
    MIN_GRID_M,
    CentreTier,
    Costs,
    ExistingNetwork,
    Generation,
    MarketTier,
    Scenario,
    SolverSettings,
    StationTier,
    default_scenario,
    set_path,
)
from planner.scenario.problems import ScenarioProblem, shown

__all__ = [
    "CAPACITY_STANDARDS",
    "CELL_MAXIMUM",
    "MAX_TIME_LIMIT_S",
    "MIN_GRID_M",
    "CentreTier",
    "Costs",
    "ExistingNetwork",
    "Generation",
    "MarketTier",
    "Scenario",
    "ScenarioProblem",
    "SolverSettings",
    "StationTier",
    "default_scenario",
    "read_data_file",
    "set_path",
    "shown",
]
