"""What a model returns: the status vocabulary, :class:`SolveResult` and the plans.

Solver-agnostic on purpose (no PuLP), so the UI and the report code can read results
without pulling in a MIP stack.

Status vocabulary
-----------------
Every model returns a :class:`SolveResult` whose ``status`` is one of

``"optimal"``
    The plan is proven optimal within ``SolverOptions.gap`` (``gap=None`` means the
    solver's own tolerances, i.e. proven optimal up to floating point).
``"time_limit_feasible"``
    A limit (time, nodes, grow rounds) stopped the search; the best plan found is
    returned together with a valid lower bound (upper bound when maximising) and the
    proven relative gap.
``"infeasible"``
    The rules cannot all hold. ``diagnoses`` says which and by how much (see
    :mod:`planner.models.diagnosis`).
``"unbounded"``
    Cannot happen for the siting models (all costs are non-negative); kept for
    completeness.
``"error"``
    The solver failed or stopped before finding any plan; ``diagnoses`` says why.

Plans
-----
:class:`StationSolution` (recycling-station tier: :class:`~planner.models.PMedian`,
:class:`~planner.models.MCLP`, :class:`~planner.models.SetCover`) and
:class:`CentreSolution` (sorting-centre tier: :class:`~planner.models.SortingCentreModel`)
carry their :class:`SolveResult` as ``result`` and read status, bound, gap and
diagnoses from it (:class:`HasResult`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from planner import format as fmt
from planner.i18n import DEFAULT_LANGUAGE, t
from planner.models.diagnosis import Diagnosis

__all__ = [
    "ERROR",
    "INFEASIBLE",
    "OPTIMAL",
    "STATUSES",
    "TIME_LIMIT_FEASIBLE",
    "UNBOUNDED",
    "CentreSolution",
    "HasResult",
    "SolveResult",
    "StationSolution",
    "relative_gap",
]

OPTIMAL = "optimal"
TIME_LIMIT_FEASIBLE = "time_limit_feasible"
INFEASIBLE = "infeasible"
UNBOUNDED = "unbounded"
ERROR = "error"
STATUSES: tuple[str, ...] = (OPTIMAL, TIME_LIMIT_FEASIBLE, INFEASIBLE, UNBOUNDED, ERROR)
#: Status -> the line :meth:`SolveResult.summary` starts with.
_SUMMARY = {
    OPTIMAL: "solve.status.optimal",
    TIME_LIMIT_FEASIBLE: "solve.status.time_limit_feasible",
    INFEASIBLE: "solve.status.infeasible",
    UNBOUNDED: "solve.status.unbounded",
    ERROR: "solve.status.error",
}


@dataclass(frozen=True)
class SolveResult:
    """Status summary every model returns.

    Attributes
    ----------
    status
        One of :data:`STATUSES`.
    objective
        Objective of the returned plan (``None`` without a plan).
    bound
        Best proven bound on the optimum: a lower bound when minimising, an upper bound
        when maximising (``None`` when unknown).
    gap
        Proven relative gap ``|objective - bound| / |objective|`` (0 when optimal).
    solver
        ``"highs"`` or ``"cbc"``.
    sense
        ``"min"`` or ``"max"``.
    diagnoses
        Findings; for ``"infeasible"`` the rules that cannot be met.
    rounds
        Number of MIP solves (grow rounds, lexicographic stages).
    wall_time_s
        Informative only.
    """

    status: str
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    solver: str = "highs"
    sense: Literal["min", "max"] = "min"
    diagnoses: tuple[Diagnosis, ...] = ()
    rounds: int = 0
    wall_time_s: float | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")

    @property
    def has_plan(self) -> bool:
        """Whether a usable plan came back (optimal or best-found under a limit)."""
        return self.status in (OPTIMAL, TIME_LIMIT_FEASIBLE)

    def errors(self) -> tuple[Diagnosis, ...]:
        """Diagnoses of severity ``"error"``."""
        return tuple(d for d in self.diagnoses if d.severity == "error")

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """One line for the UI: status, objective and gap, then each diagnosis."""
        head = t(
            _SUMMARY[self.status],
            lang,
            objective=fmt.value(self.objective) if self.objective is not None else "-",
            gap=f"{100 * self.gap:.3g}%" if self.gap is not None else "-",
        )
        return "\n".join([head, *(d.message(lang) for d in self.diagnoses)])


class HasResult:
    """Status, bound, gap and diagnoses of a model's solution, read from its ``result``.

    Mixed into the solution classes of every tier (:class:`StationSolution`,
    :class:`CentreSolution`), which carry a :class:`SolveResult` as ``result``.
    """

    result: SolveResult

    @property
    def status(self) -> str:
        return self.result.status

    @property
    def bound(self) -> float | None:
        return self.result.bound

    @property
    def gap(self) -> float | None:
        return self.result.gap

    @property
    def diagnoses(self) -> tuple[Diagnosis, ...]:
        return self.result.diagnoses


def relative_gap(objective: float | None, bound: float | None, sense: str = "min") -> float | None:
    """Proven relative gap between a plan's objective and a bound on the optimum.

    ``|objective - bound| / |objective|``, clipped at 0 when floating point puts the
    bound on the wrong side. ``None`` when either value is unknown.
    """
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    diff = (objective - bound) if sense == "min" else (bound - objective)
    diff = max(diff, 0.0)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    if objective == 0:
        return math.inf
    return diff / abs(objective)


@dataclass(frozen=True, eq=False)
class StationSolution(HasResult):
    """A station plan and how good it is proven to be.

    Attributes
    ----------
    result
        Status, objective, bound, gap, diagnoses (:class:`SolveResult`).
    sites
        Open site indices, sorted (empty without a plan).
    assignment
        Per demand point, the site serving it: the nearest open site (exact, also
        beyond the stored pairs when the matrix has a distance source), or with
        capacity the site taking the largest share. ``-1`` when none.
    distance
        Cost (metres) from each demand point to ``assignment``; ``inf`` when none.
    objective
        The model's objective for this plan (weighted distance, covered weight,
        number of sites).
    covered
        MCLP / set cover: whether each demand point is within its radius of an open
        site (with capacity: served by one).
    uncoverable
        Set cover / MCLP: demand points with no usable candidate within their radius.
    secondary
        Tie-break value for MCLP / set cover: ``sum_i w_i min(d_i, r_i)``.
    allocation
        With capacity: ``(demand, site, share)`` triplets of the assignment.
    """

    result: SolveResult
    sites: np.ndarray
    assignment: np.ndarray
    distance: np.ndarray
    objective: float | None
    covered: np.ndarray | None = None
    uncoverable: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    secondary: float | None = None
    allocation: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


@dataclass(frozen=True, eq=False)
class CentreSolution(HasResult):
    """A sorting-centre plan.

    Attributes
    ----------
    result
        Status, objective, bound, gap, diagnoses.
    centres
        Open candidate indices, sorted.
    assignment
        Per station, its centre (multi-sourcing: the centre taking the largest share);
        ``-1`` without a plan.
    distance
        Per station, the matrix value to ``assignment`` (metres for point input).
    load
        Per candidate, tonnes/day assigned.
    transport_cost, fixed_cost
        The two parts of the objective.
    objective
        ``transport_cost + fixed_cost``.
    allocation
        ``(station, centre, share)`` triplets.
    """

    result: SolveResult
    centres: np.ndarray
    assignment: np.ndarray
    distance: np.ndarray
    load: np.ndarray
    transport_cost: float | None
    fixed_cost: float | None
    objective: float | None
    allocation: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
