r"""Sorting-centre siting: capacitated facility location over the stations.

Stations (with their collected tonnage, t/day) are the demand; candidate sorting
centres (capacity t/day, optional fixed cost) are the sites. The model reuses the
station tier's :class:`~planner.solve.PolicyRules` (required / excluded centres,
"at least one centre per county" groups) and diagnosis machinery.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pulp

from planner.distance import CostMatrix, sparse_distances, sparse_knn
from planner.i18n import PlannerError
from planner.models import Deadline, solve_problem
from planner.models.stations import (
    CostInput,
    _add,
    _as_cost_matrix,
    _demand_array,
    _finish,
    _finite_capacity,
    _grow_all,
    _is_restricted,
    _restricted_note,
    _Rules,
    _StationModel,
    _values,
    _var,
)
from planner.solve import INFEASIBLE, Diagnosis, PolicyRules, SolveResult, SolverOptions

__all__ = ["CentreSolution", "SortingCentreModel"]


@dataclass(frozen=True, eq=False)
class CentreSolution:
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


class SortingCentreModel(_StationModel):
    r"""Choose sorting centres and assign every station to one, within capacity.

    Stations ``i`` with tonnage ``t_i`` (t/day); candidates ``j`` with capacity ``Q_j``
    (t/day) and fixed cost ``f_j``; ``c_ij`` the cost of sending *all* of station
    ``i``'s tonnage to ``j``: ``c_ij = rate * t_i * d_ij`` for distances (tonne-metres
    per day times ``cost_per_tonne_metre``), or the matrix value itself with
    ``total_cost=True`` (OR-Library convention).

    .. math::

        \min \sum_{(i,j)} c_{ij} x_{ij} + \sum_j f_j y_j \quad\text{s.t.}\quad
        \sum_j x_{ij} = 1,\ x_{ij} \le y_j,\ \sum_i t_i x_{ij} \le Q_j y_j,

        \sum_j Q_j y_j \ge \sum_i t_i,\quad \sum_j y_j = p\ (\text{or} \le p),\quad
        \text{policy rules}

    with ``x_ij`` binary (single sourcing: a station delivers to exactly one centre)
    or, with ``multi_source=True``, continuous in ``[0, 1]`` (the classic CFLP used by
    the OR-Library cap instances). The redundant ``x_ij <= y_j`` and aggregate
    capacity rows tighten the LP bound.

    Sparse pairs and the grow fallback
    ----------------------------------
    ``x_ij`` exists only for the pairs stored in the cost matrix (by default each
    station's k nearest candidates, ties included; or a radius). This is a
    *restriction*: "optimal" means optimal among plans that send every station to one
    of its listed candidates, and the solution carries a ``solve.restricted_pairs``
    info diagnosis saying so. Complete rows (a dense or ``radius=inf`` matrix) make it
    exact. When the restriction makes the model infeasible although the arithmetic
    checks pass (capacity needed far away), every growable row's radius is doubled
    and the model re-solved, up to ``max_rounds`` times; only then is infeasibility
    reported (with an elastic diagnosis).

    Parameters
    ----------
    cost
        Stations x candidates matrix.
    tonnage
        ``t_i`` per station (t/day).
    capacity
        ``Q_j`` per candidate (scalar or array, t/day).
    p
        Number of centres (``None``: free, fixed costs decide).
    p_mode
        ``"exact"`` or ``"at_most"``.
    fixed_cost
        ``f_j`` (scalar or array), same money unit as the transport cost.
    rules
        Required / excluded centres and groups (``rules.capacity`` must be unset: use
        ``capacity``).
    multi_source
        Allow a station's tonnage to be split across centres.
    cost_per_tonne_metre
        Rate turning tonne-metres into money (ignored with ``total_cost``).
    total_cost
        The matrix already holds ``c_ij``.
    max_rounds
        Grow rounds for the infeasibility fallback.
    """

    unit = "centre"
    quantity = "tonnes"

    def __init__(
        self,
        cost: CostInput,
        tonnage: Any,
        capacity: Any,
        p: int | None = None,
        *,
        p_mode: Literal["exact", "at_most"] = "exact",
        fixed_cost: Any = 0.0,
        rules: PolicyRules | None = None,
        multi_source: bool = False,
        cost_per_tonne_metre: float = 1.0,
        total_cost: bool = False,
        max_rounds: int = 8,
    ) -> None:
        if rules is not None and rules.capacity is not None:
            raise PlannerError("model.bad_value", what="rules.capacity", value="use capacity=")
        super().__init__(cost, tonnage, p=p, rules=rules, households=tonnage)
        if p_mode not in ("exact", "at_most"):
            raise PlannerError("model.bad_value", what="p_mode", value=p_mode)
        m = self.n_sites
        self.tonnage = self.weights
        self.capacity = _finite_capacity(
            _demand_array(capacity, m, "capacity", None, allow_inf=True),
            float(self.tonnage.sum()),
        )
        self.fixed_cost = _demand_array(fixed_cost, m, "fixed_cost", 0.0)
        self.multi_source = bool(multi_source)
        self.single_source = not self.multi_source
        self.cost_per_tonne_metre = float(cost_per_tonne_metre)
        self.total_cost = bool(total_cost)
        self.max_rounds = int(max_rounds)
        self.p_mode = p_mode
        self._rule_builder = _Rules(self.rules, m, self.p, p_mode)

    @classmethod
    def from_cost_matrix(
        cls, cost: CostInput, tonnage: Any, capacity: Any, p: int | None = None, **kwargs: Any
    ) -> SortingCentreModel:
        """Model on a prepared matrix; keyword arguments as in the constructor."""
        return cls(_as_cost_matrix(cost), tonnage, capacity, p, **kwargs)

    @classmethod
    def from_points(
        cls,
        station_xy: np.ndarray,
        site_xy: np.ndarray,
        tonnage: Any,
        capacity: Any,
        p: int | None = None,
        *,
        k: int | None = None,
        radius: float | np.ndarray | None = None,
        circuity: float = 1.0,
        **kwargs: Any,
    ) -> SortingCentreModel:
        """Model on coordinates (metres).

        Pairs are each station's ``k`` nearest candidates (default
        ``max(10, 2 m / p)``, at most all), or all candidates within ``radius``.
        """
        site_xy = np.asarray(site_xy, dtype=np.float64)
        m = len(site_xy)
        if radius is not None:
            cm = sparse_distances(station_xy, site_xy, radius, circuity)
        else:
            if k is None:
                k = max(10, math.ceil(2 * m / p)) if p else 20
            cm = sparse_knn(station_xy, site_xy, min(k, m), circuity)
        return cls(cm, tonnage, capacity, p, **kwargs)

    # -------------------------------------------------------------- solve

    def _pair_costs(self, cm: CostMatrix) -> np.ndarray:
        if self.total_cost:
            return cm.data
        return self.cost_per_tonne_metre * self.tonnage[cm.rows] * cm.data

    def solve(self, options: SolverOptions | None = None) -> CentreSolution:
        """Solve (growing the pair lists if they make the model infeasible)."""
        options = options or SolverOptions()
        deadline = Deadline(options.time_limit_s)
        cm = self.cost.drop_sites(self.rules.excluded)
        rows = np.arange(self.n_demand)
        diags = self._rule_checks(rows) + self._unreachable(cm, rows)
        if any(d.severity == "error" for d in diags):
            return self._no_plan(INFEASIBLE, diags, options, deadline, 0)
        rounds = grew = 0
        while True:
            rounds += 1
            prob, y, x = self._build(cm, rows)
            raw = solve_problem(prob, options, deadline.remaining())
            if raw.status == INFEASIBLE:
                grown = _grow_all(cm, rows)
                if grown is not None and rounds < self.max_rounds and not deadline.expired():
                    cm, grew = grown, grew + 1
                    continue
                more = self._elastic(options, deadline, cm, rows, with_capacity=True)
                return self._no_plan(INFEASIBLE, diags + more, options, deadline, rounds)
            if not raw.has_solution:
                fail = self._failed(raw, options, deadline, rounds, diags)
                return self._no_plan(fail.status, list(fail.diagnoses), options, deadline, rounds)
            break
        if grew:
            diags.append(Diagnosis("solve.grew_pairs", {"rounds": grew}, "info"))
        if _is_restricted(cm, rows):
            diags.append(_restricted_note(cm, rows))
        centres = np.flatnonzero(_values(y) > 0.5)
        pos = np.fromiter(x.keys(), dtype=np.int64, count=len(x))
        share = _values(list(x.values()))
        keep = share > 1e-9
        pos, share = pos[keep], share[keep]
        st, ce = cm.rows[pos], cm.indices[pos]
        order = np.lexsort((-share, st))
        first = np.ones(order.size, dtype=bool)
        first[1:] = st[order][1:] != st[order][:-1]
        pick = order[first]
        assignment = np.full(self.n_demand, -1)
        distance = np.full(self.n_demand, np.inf)
        assignment[st[pick]] = ce[pick]
        distance[st[pick]] = cm.data[pos[pick]]
        load = np.bincount(ce, weights=self.tonnage[st] * share, minlength=self.n_sites)
        transport = float(np.dot(self._pair_costs(cm)[pos], share))
        fixed = float(self.fixed_cost[centres].sum())
        res = _finish(raw.status, raw.objective, raw.bound, options, "min", diags, rounds, deadline)
        return CentreSolution(
            res,
            centres,
            assignment,
            distance,
            load,
            transport,
            fixed,
            raw.objective,
            allocation=(st, ce, share),
        )

    def _build(self, cm: CostMatrix, rows: np.ndarray):
        prob = pulp.LpProblem("sorting_centres", pulp.LpMinimize)
        y = self._rule_builder.site_vars(prob)
        self._rule_builder.add(prob, y)
        pair_cost = self._pair_costs(cm)
        x: dict[int, pulp.LpVariable] = {}
        load: dict[int, list] = {}
        for i in rows.tolist():
            terms = []
            for pos in range(int(cm.indptr[i]), int(cm.indptr[i + 1])):
                j = int(cm.indices[pos])
                v = _var(prob, f"x{pos}", 0, 1, binary=self.single_source)
                x[pos] = v
                terms.append((v, 1))
                _add(prob, [(v, 1), (y[j], -1)], pulp.LpConstraintLE, 0, f"link{pos}")
                if self.tonnage[i] > 0:
                    load.setdefault(j, []).append((v, float(self.tonnage[i])))
            _add(prob, terms, pulp.LpConstraintEQ, 1, f"serve{i}")
        for j, terms in load.items():
            _add(
                prob, [*terms, (y[j], -float(self.capacity[j]))], pulp.LpConstraintLE, 0, f"cap{j}"
            )
        total = float(self.tonnage.sum())
        if total > 0:
            _add(
                prob,
                [(y[j], float(self.capacity[j])) for j in range(self.n_sites)],
                pulp.LpConstraintGE,
                total,
                "aggregate_capacity",
            )
        objective = [(v, float(pair_cost[pos])) for pos, v in x.items()]
        objective += [
            (y[j], float(self.fixed_cost[j])) for j in range(self.n_sites) if self.fixed_cost[j]
        ]
        prob.setObjective(pulp.LpAffineExpression(objective))
        return prob, y, x

    def _no_plan(
        self,
        status: str,
        diags: list[Diagnosis],
        options: SolverOptions,
        deadline: Deadline,
        rounds: int,
    ) -> CentreSolution:
        n = self.n_demand
        res = _finish(status, None, None, options, "min", diags, rounds, deadline)
        return CentreSolution(
            res,
            np.empty(0, dtype=np.int64),
            np.full(n, -1),
            np.full(n, np.inf),
            np.zeros(self.n_sites),
            None,
            None,
            None,
        )
