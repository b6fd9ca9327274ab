"""Siting models, the only place PuLP is used: a small model library.

Models (each class docstring holds its full mathematical formulation):

- :class:`PMedian` (:mod:`~planner.models.p_median`), :class:`MCLP` and
  :class:`SetCover` (:mod:`~planner.models.coverage`) -- recycling-station tier;
- :class:`SortingCentreModel` (:mod:`~planner.models.centres`) -- sorting-centre tier.

What they share:

- :mod:`~planner.models.rules` -- :class:`PolicyRules`, :class:`SiteGroup`,
  :class:`CoverRule`, :func:`groups_from_labels`, :class:`SolverOptions`;
- :mod:`~planner.models.results` -- :class:`SolveResult`, the status vocabulary,
  :class:`StationSolution`, :class:`CentreSolution`;
- :mod:`~planner.models.diagnosis` -- :class:`Diagnosis` (a
  :class:`~planner.findings.Finding`), :class:`Term`, :func:`check_site_rules`;
- :mod:`~planner.models.deadline` -- :class:`Deadline`, the wall-clock budget of a tier;
- ``_highs`` -- :func:`solve_problem` (HiGHS or CBC under the deadline);
- ``_base`` -- the building blocks of the models (PuLP rows, rule rows, results).

Heuristics and bounds the models call: :mod:`~planner.models.median_search`,
:mod:`~planner.models.p_median_presolve`, :mod:`~planner.models.lagrangian`,
:mod:`~planner.models.pairs`, :mod:`~planner.models.capacitated_search`,
:mod:`~planner.models.transport`, :mod:`~planner.models.assignment` (the best
assignment to a plan's open sites, applied before any capacitated plan is reported),
:mod:`~planner.models.warm`. Reference readers and
exhaustive solvers for tests and benchmarks: :mod:`~planner.models.reference`.

Names are imported lazily, so ``import planner.models`` (and reading results or rules)
does not load PuLP or HiGHS.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "ERROR",
    "INFEASIBLE",
    "MCLP",
    "OPTIMAL",
    "SOLVERS",
    "STATUSES",
    "TIME_LIMIT_FEASIBLE",
    "UNBOUNDED",
    "CentreSolution",
    "CoverRule",
    "Deadline",
    "Diagnosis",
    "OutOfTime",
    "PMedian",
    "PolicyRules",
    "RawSolve",
    "SetCover",
    "SiteGroup",
    "SolveResult",
    "SolverOptions",
    "SortingCentreModel",
    "StationSolution",
    "Term",
    "check_site_rules",
    "check_time",
    "groups_from_labels",
    "initial_k",
    "relative_gap",
    "solve_problem",
]

_HOMES = {
    "p_median": ("PMedian", "initial_k"),
    "coverage": ("MCLP", "SetCover"),
    "centres": ("SortingCentreModel",),
    "results": (
        "ERROR",
        "INFEASIBLE",
        "OPTIMAL",
        "STATUSES",
        "TIME_LIMIT_FEASIBLE",
        "UNBOUNDED",
        "CentreSolution",
        "SolveResult",
        "StationSolution",
        "relative_gap",
    ),
    "rules": (
        "SOLVERS",
        "CoverRule",
        "PolicyRules",
        "SiteGroup",
        "SolverOptions",
        "groups_from_labels",
    ),
    "diagnosis": ("Diagnosis", "Term", "check_site_rules"),
    "deadline": ("Deadline", "OutOfTime", "check_time"),
    "_highs": ("RawSolve", "solve_problem"),
}
_LAZY = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
