"""Building blocks shared by the siting models (private to :mod:`planner.models`).

- input handling: :func:`as_cost_matrix`, :func:`demand_array`, :func:`finite_capacity`;
- PuLP rows and columns: :func:`new_var`, :func:`add_row`, :func:`set_start`,
  :class:`RuleBuilder` (the policy rules, strict or elastic), :func:`radius_block` (the
  radius formulation of a distance, see :class:`~planner.models.PMedian`) and
  :func:`assign_block` (assignment variables under capacity);
- results: :func:`finish` (a :class:`~planner.models.SolveResult` with gap and
  deadline notes), :func:`split_solution` and :func:`capacitated_solution` (a station
  plan from split shares), :func:`grow_all` and :func:`restricted_note` (sparse pairs);
- :class:`SitingModel`, the base of every model: data checks, rule checks, the
  elastic diagnosis of a solver-proven infeasibility.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pulp
from scipy import sparse

from planner.i18n import PlannerError
from planner.instance.distance import CostMatrix, Levels
from planner.models._highs import RawSolve, solve_problem
from planner.models.deadline import Deadline, check_time
from planner.models.diagnosis import Diagnosis, check_site_rules, explain_violations
from planner.models.results import (
    ERROR,
    INFEASIBLE,
    OPTIMAL,
    SolveResult,
    StationSolution,
    relative_gap,
)
from planner.models.rules import CoverRule, PolicyRules, SolverOptions

__all__ = [
    "CostInput",
    "RuleBuilder",
    "SitingModel",
    "Slack",
    "add_row",
    "as_cost_matrix",
    "assign_block",
    "capacitated_solution",
    "default_k",
    "demand_array",
    "finish",
    "finite_capacity",
    "grow_all",
    "is_restricted",
    "largest_share",
    "new_var",
    "radius_block",
    "restricted_note",
    "set_start",
    "split_solution",
    "tol",
    "var_values",
    "within_gap",
]

CostInput = CostMatrix | np.ndarray | sparse.sparray | sparse.spmatrix


def tol(x: float | np.ndarray) -> Any:
    """Float tolerance of a value: ``1e-9`` relative, at least ``1e-9``."""
    return 1e-9 * np.maximum(1.0, np.abs(x))


def demand_array(
    values: Any, n: int, what: str, default: Any, allow_inf: bool = False
) -> np.ndarray:
    """``values`` (or ``default``) as one non-negative float per demand point or site;
    :class:`~planner.i18n.PlannerError` for a wrong shape, NaN, negatives or (unless
    ``allow_inf``) infinity."""
    if values is None:
        values = default
    raw = np.asarray(values, dtype=np.float64)
    if raw.ndim and raw.shape != (n,):
        raise PlannerError("model.shape_mismatch", what=what, expected=n, got=raw.shape)
    arr = np.broadcast_to(raw, (n,)).copy()
    if np.any(np.isnan(arr)) or np.any(arr < 0) or (not allow_inf and np.any(np.isinf(arr))):
        raise PlannerError("model.negative_values", what=what)
    return arr


def finite_capacity(capacity: np.ndarray | None, total: float) -> np.ndarray | None:
    """Capacities with "unlimited" read as the total demand: no site can ever receive
    more, and the MIP needs finite coefficients."""
    if capacity is None:
        return None
    return np.where(np.isinf(capacity), total, capacity)


def as_cost_matrix(cost: CostInput) -> CostMatrix:
    """A :class:`CostMatrix` from a matrix, a scipy sparse or a dense array (every
    stored pair usable, nothing else)."""
    if isinstance(cost, CostMatrix):
        return cost
    if sparse.issparse(cost):
        return CostMatrix.from_scipy(cost)
    return CostMatrix.from_dense(np.asarray(cost, dtype=np.float64))


def default_k(n_sites: int, p: int) -> int:
    """List length ~``2 m / p`` (at least 4, at most ``m``).

    With p of m sites open, a demand point's nearest open site is typically among its
    ~m/p nearest; twice that keeps the first round small while rarely needing many grow
    rounds.
    """
    return int(min(n_sites, max(4, math.ceil(2 * n_sites / max(p, 1)))))


def within_gap(objective: float | None, bound: float | None, gap: float | None) -> bool:
    """Whether ``bound`` proves ``objective`` optimal within ``gap`` (``None``: exactly)
    and float noise."""
    if objective is None or bound is None:
        return False
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return False
    slack = max(1e-6, float(tol(objective))) + (gap or 0.0) * abs(objective)
    return objective - bound <= slack


def new_var(
    prob: pulp.LpProblem,
    name: str,
    lo: float | None = 0.0,
    hi: float | None = None,
    binary: bool = False,
) -> pulp.LpVariable:
    """A continuous (or binary) variable of ``prob`` with bounds ``lo``..``hi``."""
    if binary:
        return prob.add_variable(name, lo, hi if hi is not None else 1, pulp.LpBinary)
    return prob.add_variable(name, lo, hi, pulp.LpContinuous)


def add_row(prob: pulp.LpProblem, terms: list, sense: int, rhs: float, name: str) -> None:
    """The row ``sum(coef * var for var, coef in terms) <sense> rhs``."""
    prob.addConstraint(
        pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, rhs=float(rhs)), name=name
    )


def var_values(variables: Sequence[pulp.LpVariable]) -> np.ndarray:
    """The solver's values of ``variables`` (0 where unset)."""
    return np.array([v.varValue or 0.0 for v in variables], dtype=np.float64)


def set_start(variables: Sequence[pulp.LpVariable], values: np.ndarray) -> None:
    """Give the solver a starting plan (PuLP's ``varValue`` as initial value)."""
    for v, val in zip(variables, values, strict=True):
        v.setInitialValue(float(val), check=False)


@dataclass
class Slack:
    """A rule's violation variable in an elastic model (see
    :func:`~planner.models.diagnosis.explain_violations` for ``kind`` and ``meta``)."""

    kind: str
    var: pulp.LpVariable
    meta: dict


class RuleBuilder:
    """Adds the shared policy rules to a PuLP problem (strict or elastic)."""

    def __init__(self, rules: PolicyRules, n_sites: int, p: int | None, p_mode: str) -> None:
        self.rules = rules
        self.n_sites = n_sites
        self.p = p
        self.p_mode = p_mode

    def site_vars(self, prob: pulp.LpProblem, elastic: bool = False) -> list[pulp.LpVariable]:
        y = [new_var(prob, f"y{j}", binary=True) for j in range(self.n_sites)]
        if not elastic:
            for j in self.rules.required:
                y[j].lowBound = 1
            for j in self.rules.excluded:
                y[j].upBound = 0
        return y

    def add(self, prob: pulp.LpProblem, y: list, elastic: bool = False) -> list[Slack]:
        slacks: list[Slack] = []

        def slack(kind: str, name: str, **meta: Any) -> pulp.LpVariable:
            s = new_var(prob, name)
            slacks.append(Slack(kind, s, meta))
            return s

        if elastic:
            for j in self.rules.required:
                add_row(
                    prob,
                    [(y[j], 1), (slack("required", f"sr{j}", site=int(j)), 1)],
                    pulp.LpConstraintGE,
                    1,
                    f"req{j}",
                )
            for j in self.rules.excluded:
                add_row(
                    prob,
                    [(y[j], 1), (slack("excluded", f"sx{j}", site=int(j)), -1)],
                    pulp.LpConstraintLE,
                    0,
                    f"exc{j}",
                )
        all_y = [(v, 1) for v in y]
        if self.p is not None:
            if elastic:
                more = slack("p_more", "sp_more")
                fewer = slack("p_fewer", "sp_fewer")
                sense = pulp.LpConstraintEQ if self.p_mode == "exact" else pulp.LpConstraintLE
                terms = [*all_y, (more, -1)] + ([(fewer, 1)] if self.p_mode == "exact" else [])
                add_row(prob, terms, sense, self.p, "p")
            else:
                sense = pulp.LpConstraintEQ if self.p_mode == "exact" else pulp.LpConstraintLE
                add_row(prob, all_y, sense, self.p, "p")
        for g_idx, g in enumerate(self.rules.groups):
            terms = [(y[j], 1) for j in g.sites]
            if g.min_open > 0:
                extra = []
                if elastic:
                    extra = [(slack("group_min", f"sgmin{g_idx}", group=g), 1)]
                add_row(prob, terms + extra, pulp.LpConstraintGE, g.min_open, f"gmin{g_idx}")
            if g.max_open is not None:
                extra = []
                if elastic:
                    extra = [(slack("group_max", f"sgmax{g_idx}", group=g), -1)]
                add_row(prob, terms + extra, pulp.LpConstraintLE, g.max_open, f"gmax{g_idx}")
        for r_idx, rule in enumerate(self.rules.cover_rules):
            self._cover_rows(prob, y, r_idx, rule, slack if elastic else None)
        return slacks

    @staticmethod
    def _cover_rows(prob: pulp.LpProblem, y: list, r_idx: int, rule: CoverRule, slack: Any) -> None:
        r"""Rows of one :class:`~planner.models.rules.CoverRule`.

        ``z_u <= sum_{j in N(u)} y_j`` with continuous ``0 <= z_u <= 1`` and
        ``sum_u z_u (+ s) >= min_covered``. ``z_u`` need not be binary: for integral
        ``y`` any feasible ``z_u`` is at most ``min(1, sum y)``, which is 0 or 1, so
        the sum counts covered units exactly. Units no candidate reaches get no
        variable (they can never count). ``slack``: the elastic model's slack maker.
        """
        if rule.min_covered == 0:
            return
        terms = []
        for u in range(rule.n_units):
            sites = rule.sites_of(u)
            if sites.size == 0:
                continue
            z = new_var(prob, f"cz{r_idx}_{u}", 0, 1)
            terms.append((z, 1))
            row = [(z, 1), *((y[int(j)], -1) for j in sites)]
            add_row(prob, row, pulp.LpConstraintLE, 0, f"czc{r_idx}_{u}")
        if slack is not None:
            terms.append((slack("cover_min", f"scov{r_idx}", rule=rule), 1))
        add_row(prob, terms, pulp.LpConstraintGE, rule.min_covered, f"cmin{r_idx}")


def radius_block(
    prob: pulp.LpProblem,
    y: list,
    cm: CostMatrix,
    levels: Levels,
    rows: np.ndarray,
    weights: np.ndarray,
    beyond: np.ndarray,
    prefix: str = "z",
    deadline: Deadline | None = None,
) -> tuple[list, float, dict[int, pulp.LpVariable | None]]:
    r"""Radius-formulation terms for ``rows`` (see :class:`PMedian`).

    Returns the objective terms, the objective constant and, per row, the last-level
    variable ``z_i^K`` (1 = no listed site open), or ``None`` for a row with no pairs.
    Raises :class:`~planner.models.OutOfTime` when ``deadline`` is spent meanwhile.
    """
    terms: list = []
    const = 0.0
    last: dict[int, pulp.LpVariable | None] = {}
    for n, i in enumerate(rows.tolist()):
        check_time(deadline, n)
        w = float(weights[i])
        a, b = int(levels.ptr[i]), int(levels.ptr[i + 1])
        n_lev = b - a
        if n_lev == 0:
            const += w * float(beyond[i])
            last[i] = None
            continue
        dvals = levels.values[a:b]
        z = [new_var(prob, f"{prefix}{i}_{k}") for k in range(n_lev)]
        const += w * float(dvals[0])
        for k in range(n_lev - 1):
            terms.append((z[k], w * float(dvals[k + 1] - dvals[k])))
        if math.isfinite(beyond[i]):
            if beyond[i] > dvals[-1]:
                terms.append((z[-1], w * float(beyond[i] - dvals[-1])))
        else:
            # No site beyond the list can serve this row: one listed site must open.
            z[-1].upBound = 0
        per_level: list[list] = [[] for _ in range(n_lev)]
        lo, hi = int(cm.indptr[i]), int(cm.indptr[i + 1])
        for pos in range(lo, hi):
            per_level[int(levels.pair_level[pos]) - a].append((y[int(cm.indices[pos])], 1))
        for k in range(n_lev):
            row_terms = per_level[k]
            row_terms.append((z[k], 1))
            if k:
                row_terms.append((z[k - 1], -1))
            add_row(prob, row_terms, pulp.LpConstraintGE, 1 if k == 0 else 0, f"{prefix}c{i}_{k}")
        last[i] = z[-1]
    return terms, const, last


def assign_block(
    prob: pulp.LpProblem,
    y: list,
    cm: CostMatrix,
    rows: np.ndarray,
    households: np.ndarray,
    capacity: np.ndarray,
    single_source: bool,
    served: dict[int, Any] | None = None,
    elastic: bool = False,
    deadline: Deadline | None = None,
) -> tuple[dict[int, pulp.LpVariable], list[Slack]]:
    r"""Assignment variables on the stored pairs of ``rows``.

    Raises :class:`~planner.models.OutOfTime` when ``deadline`` is spent meanwhile
    (a city-size block takes many seconds to build in PuLP).

    ``sum_j x_ij = s_i`` (``s_i`` = 1, or the coverage variable ``u_i`` of
    ``served``), ``x_ij <= y_j`` and ``sum_i h_i x_ij <= C_j y_j``. Returns ``x`` keyed by
    pair position in the CSR arrays, and elastic slacks.
    """
    x: dict[int, pulp.LpVariable] = {}
    slacks: list[Slack] = []
    load: dict[int, list] = {}
    for n, i in enumerate(rows.tolist()):
        check_time(deadline, n, every=64)
        lo, hi = int(cm.indptr[i]), int(cm.indptr[i + 1])
        terms = []
        for pos in range(lo, hi):
            j = int(cm.indices[pos])
            v = new_var(prob, f"x{pos}", 0, 1, binary=single_source)
            x[pos] = v
            terms.append((v, 1))
            add_row(prob, [(v, 1), (y[j], -1)], pulp.LpConstraintLE, 0, f"link{pos}")
            if households[i] > 0:
                load.setdefault(j, []).append((v, float(households[i])))
        rhs: Any = 1 if served is None else served[i]
        if elastic:
            s = new_var(prob, f"su{i}")
            slacks.append(Slack("unserved", s, {"row": i}))
            terms.append((s, 1))
        if isinstance(rhs, pulp.LpVariable):
            terms.append((rhs, -1))
            rhs = 0
        add_row(prob, terms, pulp.LpConstraintEQ, rhs, f"serve{i}")
    for j, terms in load.items():
        terms = [*terms, (y[j], -float(capacity[j]))]
        if elastic:
            s = new_var(prob, f"sc{j}")
            slacks.append(Slack("capacity", s, {"site": j}))
            terms.append((s, -1))
        add_row(prob, terms, pulp.LpConstraintLE, 0, f"cap{j}")
    return x, slacks


def finish(
    status: str,
    objective: float | None,
    bound: float | None,
    options: SolverOptions,
    sense: str,
    diagnoses: list[Diagnosis],
    rounds: int,
    deadline: Deadline,
) -> SolveResult:
    gap = relative_gap(objective, bound, sense) if objective is not None else None
    if status == OPTIMAL and gap is None:
        gap = 0.0
    diagnoses = [*diagnoses, *_deadline_notes(deadline, objective is not None)]
    return SolveResult(
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        solver=options.solver,
        sense=sense,
        diagnoses=tuple(diagnoses),
        rounds=rounds,
        wall_time_s=deadline.elapsed(),
    )


def _deadline_notes(deadline: Deadline, has_plan: bool) -> list[Diagnosis]:
    """Info lines for what the wall-clock budget did to the solver calls."""
    out = []
    if "cut_off" in deadline.events:
        out.append(Diagnosis("solve.solver_cut_off", {}, "info"))
    if "skipped" in deadline.events and has_plan:
        out.append(Diagnosis("solve.solver_skipped", {}, "info"))
    return out


class SitingModel:
    """Base of every siting model: data handling, rule checks and elastic diagnosis.

    Subclasses set ``sense``, ``unit`` and ``quantity`` (for wording) and, when their
    solution is not a :class:`~planner.models.StationSolution`, override
    :meth:`_empty`.
    """

    sense = "min"
    unit = "station"
    quantity = "households"

    def __init__(
        self,
        cost: CostInput,
        weights: Any = None,
        *,
        p: int | None = None,
        rules: PolicyRules | None = None,
        households: Any = None,
    ) -> None:
        self.cost = as_cost_matrix(cost)
        n = self.cost.n_demand
        self.weights = demand_array(weights, n, "weights", 1.0)
        self.households = demand_array(households, n, "households", self.weights)
        self.rules = rules if rules is not None else PolicyRules()
        self.rules.validate(self.cost.n_sites)
        self.capacity = finite_capacity(
            self.rules.capacity_array(self.cost.n_sites), float(self.households.sum())
        )
        self.single_source = self.rules.single_source
        if p is not None and (int(p) != p):
            raise PlannerError("model.bad_value", what="p", value=p)
        self.p = None if p is None else int(p)
        self.p_mode = "exact"
        self._rule_builder = RuleBuilder(self.rules, self.cost.n_sites, self.p, self.p_mode)

    @property
    def n_demand(self) -> int:
        return self.cost.n_demand

    @property
    def n_sites(self) -> int:
        return self.cost.n_sites

    # -------------------------------------------------------------- diagnosis

    def _rule_checks(self, must_serve: np.ndarray | None) -> list[Diagnosis]:
        demand = None
        if self.capacity is not None and must_serve is not None:
            demand = self.households[must_serve]
        return check_site_rules(
            self.n_sites,
            self.rules,
            p=self.p,
            p_mode=self.p_mode,
            unit=self.unit,
            demand=demand,
            capacity=self.capacity,
            quantity=self.quantity,
            single_source=self.single_source,
        )

    def _empty(self, result: SolveResult) -> Any:
        """The tier's solution without a plan (stations; the centre model overrides it)."""
        n = self.n_demand
        return StationSolution(
            result, np.empty(0, dtype=np.int64), np.full(n, -1), np.full(n, np.inf), None
        )

    def _no_plan(
        self,
        status: str,
        diagnoses: Sequence[Diagnosis],
        options: SolverOptions,
        deadline: Deadline,
        rounds: int = 0,
    ) -> Any:
        """The solution without a plan, with ``status`` and ``diagnoses``."""
        res = finish(status, None, None, options, self.sense, diagnoses, rounds, deadline)
        return self._empty(res)

    def _infeasible(
        self,
        diagnoses: list[Diagnosis],
        options: SolverOptions,
        deadline: Deadline,
        rounds: int = 0,
    ) -> Any:
        return self._no_plan(INFEASIBLE, diagnoses, options, deadline, rounds)

    def _failed(
        self,
        raw: RawSolve,
        options: SolverOptions,
        deadline: Deadline,
        rounds: int,
        extra: Sequence[Diagnosis] = (),
    ) -> Any:
        """No plan because the solver failed or stopped first (``raw`` says which)."""
        if raw.status == ERROR and not raw.has_solution and "limit" in raw.detail:
            diag = Diagnosis("solve.no_solution_in_limit")
        else:
            diag = Diagnosis("solve.solver_error", {"detail": raw.detail or raw.status})
        status = raw.status if raw.status != OPTIMAL else ERROR
        return self._no_plan(status, [*extra, diag], options, deadline, rounds)

    def _elastic(
        self,
        options: SolverOptions,
        deadline: Deadline,
        serve: CostMatrix | None = None,
        serve_rows: np.ndarray | None = None,
        with_capacity: bool = False,
    ) -> list[Diagnosis]:
        """Explain a solver-proven infeasibility by the smallest rule violations.

        Every rule gets a non-negative slack priced per unit (a site for count rules,
        a demand point for unserved demand, one average site's capacity for
        households over capacity); the cheapest violation pattern is reported.
        """
        if deadline.expired():
            return [Diagnosis("solve.infeasible_unexplained")]
        prob = pulp.LpProblem("elastic", pulp.LpMinimize)
        y = self._rule_builder.site_vars(prob, elastic=True)
        slacks = self._rule_builder.add(prob, y, elastic=True)
        if serve is not None and serve_rows is not None and serve_rows.size:
            if with_capacity and self.capacity is not None:
                _, more = assign_block(
                    prob,
                    y,
                    serve,
                    serve_rows,
                    self.households,
                    self.capacity,
                    self.single_source,
                    elastic=True,
                )
                slacks += more
            else:
                for i in serve_rows.tolist():
                    sites = serve.row(i)[0]
                    s = new_var(prob, f"su{i}")
                    slacks.append(Slack("unserved", s, {"row": i}))
                    add_row(
                        prob,
                        [*((y[int(j)], 1) for j in sites), (s, 1)],
                        pulp.LpConstraintGE,
                        1,
                        f"cover{i}",
                    )
        mean_cap = float(np.mean(self.capacity)) if self.capacity is not None else 1.0
        # A village short costs less than any site rule broken: all villages short
        # together cost under one site, so a shortfall is explained by the villages
        # each county misses under the other rules (the station count as asked), and
        # site rules are named only where no shortfall could explain it.
        units = sum(rule.n_units for rule in self.rules.cover_rules)
        price = {"capacity": 1.0 / max(mean_cap, 1e-9), "cover_min": 1.0 / (units + 1)}
        prob.setObjective(
            pulp.LpAffineExpression([(s.var, price.get(s.kind, 1.0)) for s in slacks])
        )
        raw = solve_problem(prob, options, deadline)
        if not raw.has_solution:
            return [Diagnosis("solve.infeasible_unexplained")]
        violations = [(sl.kind, sl.meta, float(sl.var.varValue or 0.0)) for sl in slacks]
        explained = explain_violations(
            violations, unit=self.unit, quantity=self.quantity, p=self.p,
            households=self.households,
        )  # fmt: skip
        return explained or [Diagnosis("solve.infeasible_unexplained")]

    def _unreachable(self, cm: CostMatrix, rows: np.ndarray) -> list[Diagnosis]:
        """Rows that no allowed site can ever serve (no pairs and nothing beyond)."""
        empty = rows[cm.row_counts[rows] == 0]
        if empty.size == 0:
            return []
        beyond = cm.next_distance(empty)
        dead = empty[~np.isfinite(beyond)]
        if dead.size == 0:
            return []
        return [
            Diagnosis(
                "solve.demand_unreachable", {"count": int(dead.size), "example": int(dead[0])}
            )
        ]

    def _nearest_cost(self, cm: CostMatrix, rows: np.ndarray, weights: np.ndarray) -> float | None:
        """Bound of every plan: each demand point of ``rows`` at its nearest allowed site
        (``None`` when some row reaches none)."""
        first = np.full(self.n_demand, np.inf)
        listed = rows[cm.row_counts[rows] > 0]
        first[listed] = cm.data[cm.indptr[listed]]  # rows are sorted by cost
        nearest = np.minimum(first[rows], cm.next_distance(rows))
        if not np.all(np.isfinite(nearest)):
            return None
        return float(np.dot(weights[rows], nearest))


def grow_all(cm: CostMatrix, rows: np.ndarray) -> CostMatrix | None:
    """Double every growable row's radius (None when nothing can grow)."""
    if cm.source is None:
        return None
    finite = rows[np.isfinite(cm.radius[rows])]
    finite = finite[cm.row_counts[finite] < cm.n_sites]
    if finite.size == 0:
        return None
    rad = cm.radius[finite]
    positive = cm.radius[np.isfinite(cm.radius) & (cm.radius > 0)]
    floor = float(positive.min()) if positive.size else 1.0
    return cm.grow(finite, np.maximum(2 * rad, floor))


def is_restricted(cm: CostMatrix, rows: np.ndarray) -> bool:
    """Whether some row leaves out a usable site (so pairs restrict the plan)."""
    return bool(np.isfinite(cm.next_distance(rows)).any())


def restricted_note(
    cm: CostMatrix, rows: np.ndarray, global_bound: float | None = None
) -> Diagnosis:
    """Info: the plan is optimal among plans on the listed pairs (up to the largest
    list radius), with ``global_bound`` holding without that restriction."""
    rad = cm.radius[rows]
    finite = rad[np.isfinite(rad)]
    radius = float(finite.max()) if finite.size else math.inf
    if global_bound is None:
        return Diagnosis("solve.restricted_pairs", {"radius": radius}, "info")
    return Diagnosis(
        "solve.restricted_pairs_bound", {"radius": radius, "global_bound": global_bound}, "info"
    )


def capacitated_solution(
    model: SitingModel,
    cm: CostMatrix,
    y: list,
    x: dict[int, pulp.LpVariable],
    raw: RawSolve,
    options: SolverOptions,
    deadline: Deadline,
    diags: list[Diagnosis],
    rounds: int,
    objective: float | None = None,
    covered: np.ndarray | None = None,
    uncoverable: np.ndarray | None = None,
    secondary: float | None = None,
    bound: float | None = None,
) -> StationSolution:
    """A station plan from a solved capacity model (open sites ``y``, shares ``x`` on
    the pairs of ``cm``), with the result of ``raw``."""
    pos = np.fromiter(x.keys(), dtype=np.int64, count=len(x))
    share = var_values(list(x.values()))
    obj = raw.objective if objective is None else objective
    res = finish(
        raw.status,
        obj,
        raw.bound if bound is None else bound,
        options,
        model.sense,
        diags,
        rounds,
        deadline,
    )
    return split_solution(
        model,
        cm,
        pos,
        share,
        res,
        obj,
        np.flatnonzero(var_values(y) > 0.5),
        covered,
        uncoverable,
        secondary,
    )


def split_solution(
    model: SitingModel,
    cm: CostMatrix,
    pos: np.ndarray,
    share: np.ndarray,
    result: SolveResult,
    objective: float | None,
    open_sites: np.ndarray | None = None,
    covered: np.ndarray | None = None,
    uncoverable: np.ndarray | None = None,
    secondary: float | None = None,
) -> StationSolution:
    """A solution from split shares on cost-matrix pairs ``pos`` (capacity models)."""
    pos, share, assignment, distance = largest_share(cm, pos, share, model.n_demand)
    d_rows, d_sites = cm.rows[pos], cm.indices[pos]
    if open_sites is None:
        open_sites = np.unique(d_sites)
    return StationSolution(
        result,
        open_sites,
        assignment,
        distance,
        objective,
        covered=covered,
        uncoverable=uncoverable if uncoverable is not None else np.empty(0, dtype=np.int64),
        secondary=secondary,
        allocation=(d_rows, d_sites, share),
    )


def largest_share(
    cm: CostMatrix, pos: np.ndarray, share: np.ndarray, n_demand: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split shares on cost-matrix pairs ``pos`` read as a plan.

    Returns the pairs with a share and their shares, and per demand point the site
    taking its largest share (``-1`` when none) and that pair's cost (``inf``). Ties go
    to the nearer site (pairs are in cost order).
    """
    keep = share > 1e-9
    pos, share = pos[keep], share[keep]
    d_rows, d_sites = cm.rows[pos], cm.indices[pos]
    assignment = np.full(n_demand, -1)
    distance = np.full(n_demand, np.inf)
    order = np.lexsort((-share, d_rows))
    first = np.ones(order.size, dtype=bool)
    first[1:] = d_rows[order][1:] != d_rows[order][:-1]
    pick = order[first]
    assignment[d_rows[pick]] = d_sites[pick]
    distance[d_rows[pick]] = cm.data[pos[pick]]
    return pos, share, assignment, distance
