r"""Recycling-station siting: p-median, maximal covering and location set covering.

All three models work on a sparse :class:`~planner.instance.distance.CostMatrix` (demand
points x candidate sites, metres) and share the :class:`~planner.models.solve.PolicyRules`:

* required sites   ``y_j = 1``;
* excluded sites   ``y_j = 0`` (dropped from the matrix and from the distance source);
* site groups      ``min_G <= sum_{j in G} y_j <= max_G`` (a station in every
  township, a station in a community that asked for one, a cap per county);
* capacity         each open site serves at most ``C_j`` households. This needs
  assignment variables ``x_ij``, created only on the pairs stored in the cost matrix.

Notation used in the docstrings: demand points ``i`` with weight ``w_i`` and
households ``h_i``, candidate sites ``j``, cost ``d_ij`` (metres), open-site binaries
``y_j``, ``N_i(r) = {j : d_ij <= r}``.

Every model returns a :class:`StationSolution`; see :mod:`planner.models.solve` for the
status vocabulary and the infeasibility policy (no exceptions for rules that cannot
be met: status ``"infeasible"`` plus diagnoses).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pulp
from scipy import sparse

from planner.i18n import PlannerError
from planner.instance.distance import CostMatrix, Levels, sparse_distances, sparse_knn
from planner.models import Deadline, OutOfTime, RawSolve, check_time, solve_problem
from planner.models.heuristics import MedianPlan, median_search, median_start
from planner.models.lagrangian import LagrangianAscent, LagrangianBound, fix_sites
from planner.models.pairs import PairSource, nearest_two
from planner.models.solve import (
    ERROR,
    INFEASIBLE,
    OPTIMAL,
    TIME_LIMIT_FEASIBLE,
    Diagnosis,
    HasResult,
    PolicyRules,
    SolveResult,
    SolverOptions,
    Term,
    check_site_rules,
    relative_gap,
)
from planner.models.transport import TransportPlan, repair_sites
from planner.models.warm import adapt_sites

__all__ = ["MCLP", "PMedian", "SetCover", "StationSolution"]

CostInput = CostMatrix | np.ndarray | sparse.sparray | sparse.spmatrix


# Presolve of the uncapacitated p-median (see PMedian._presolve). Subgradient steps in
# all and per round (between rounds the swap search runs from the subproblem's site
# sets); a round of 400 steps on 5,000 city-like points takes ~5 s here.
_LAGRANGIAN_STEPS = 4_000
_LAGRANGIAN_ROUND = 400
# Seeded starts of the swap search (the best is kept); local optima of these
# clustered instances differ by ~1 %, the Lagrangian rounds then refine the best.
_STARTS = 3
# When the fixed model is too large for a MIP, up to this many more starts try to
# lower the incumbent (the proven gap shrinks with it).
_EXTRA_STARTS = 10
# Lagrangian site sets priced per round, and swap searches started from the best.
_POLISH_PROBE = 8
_POLISH_RUNS = 2
# Largest radius model (distance levels ~ listed pairs) built after site fixing. Its
# LP gets hard with long rows (few medians): a 67,000-level p = 30 model (67 levels a
# row) took 15-40 s on the shared 2-core box, and a 135,000-level one (2,000 points,
# 1,062 free sites) did not finish its root in 290 s; beyond _MODEL_LEVELS the
# Lagrangian gap is what a run can prove. Short rows (many medians, at most
# _SHORT_ROWS levels a row) stay easy up to _MODEL_LEVELS_SHORT (p = n/3 at 5,000
# points: 15,000 levels, 3 s).
_MODEL_LEVELS = 60_000
_SHORT_ROWS = 8
_MODEL_LEVELS_SHORT = 400_000
# Up to this many medians the presolve tries several starts of the swap search.
_FEW_MEDIANS = 200
# Below this share of the cap the fixed model solves in seconds: stop the ascent early.
_QUICK_SHARE = 1 / 3
# Longest initial list of from_points. Lists grow exactly where needed, so a cap only
# saves memory: with p = 30 of 20,000 sites, 2 m / p would list 26.7 million pairs.
_MAX_K = 64


# --------------------------------------------------------------------------- solution


@dataclass(frozen=True, eq=False)
class StationSolution(HasResult):
    """A station plan and how good it is proven to be.

    Attributes
    ----------
    result
        Status, objective, bound, gap, diagnoses (:class:`~planner.models.solve.SolveResult`).
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


# --------------------------------------------------------------------------- helpers


def _tol(x: float | np.ndarray) -> Any:
    return 1e-9 * np.maximum(1.0, np.abs(x))


def _demand_array(
    values: Any, n: int, what: str, default: Any, allow_inf: bool = False
) -> np.ndarray:
    if values is None:
        values = default
    raw = np.asarray(values, dtype=np.float64)
    if raw.ndim and raw.shape != (n,):
        raise PlannerError("model.shape_mismatch", what=what, expected=n, got=raw.shape)
    arr = np.broadcast_to(raw, (n,)).copy()
    if np.any(np.isnan(arr)) or np.any(arr < 0) or (not allow_inf and np.any(np.isinf(arr))):
        raise PlannerError("model.negative_values", what=what)
    return arr


def _finite_capacity(capacity: np.ndarray | None, total: float) -> np.ndarray | None:
    # "Unlimited" is the total demand: no site can ever receive more, and the MIP
    # needs finite coefficients.
    if capacity is None:
        return None
    return np.where(np.isinf(capacity), total, capacity)


def _as_cost_matrix(cost: CostInput) -> CostMatrix:
    if isinstance(cost, CostMatrix):
        return cost
    if sparse.issparse(cost):
        return CostMatrix.from_scipy(cost)
    return CostMatrix.from_dense(np.asarray(cost, dtype=np.float64))


def _default_k(n_sites: int, p: int) -> int:
    # With p of m sites open, a demand point's nearest open site is typically among
    # its ~m/p nearest; twice that (at least 4) keeps the first round small while
    # rarely needing many grow rounds.
    return int(min(n_sites, max(4, math.ceil(2 * n_sites / max(p, 1)))))


def initial_k(n_sites: int, p: int, capacity: bool = False) -> int:
    """Initial list length of :meth:`PMedian.from_points` (also for callers' own lists).

    For callers that build the matrix themselves (e.g. from a road network).
    Uncapacitated lists are capped at ``_MAX_K``: with few sites open (``2 m / p``
    large) the presolve fetches the pairs it needs itself and the grow loop lists
    exactly what each row lacks. Capacity pushes demand past its nearest sites and
    its model cannot grow one row at a time, so it keeps three times ``2 m / p`` (at
    least 15), uncapped: its pairs decide which plans count.
    """
    k = _default_k(n_sites, p)
    if capacity:
        return min(n_sites, max(3 * k, 15))
    return min(k, _MAX_K)


def _within(upper: float, lower: float, gap: float) -> bool:
    """Whether ``lower`` proves ``upper`` optimal within ``gap`` (and float noise)."""
    if not (math.isfinite(upper) and math.isfinite(lower)):
        return False
    return upper - lower <= max(1e-6, float(_tol(upper))) + gap * abs(upper)


@dataclass
class _Presolved:
    """What :meth:`PMedian._presolve` hands to the MIP loop.

    ``model``/``builder`` are the radius model's lists and rules after site fixing
    (``None``: no MIP, return ``plan`` with ``bound``); plans cheaper than ``ceiling``
    avoid the sites fixed closed.
    """

    plan: MedianPlan
    bound: float
    model: CostMatrix | None
    builder: _Rules | None
    ceiling: float
    info: dict[str, Any]
    diagnoses: list[Diagnosis] = field(default_factory=list)


def _var(
    prob: pulp.LpProblem,
    name: str,
    lo: float | None = 0.0,
    hi: float | None = None,
    binary: bool = False,
) -> pulp.LpVariable:
    if binary:
        return prob.add_variable(name, lo, hi if hi is not None else 1, pulp.LpBinary)
    return prob.add_variable(name, lo, hi, pulp.LpContinuous)


def _add(prob: pulp.LpProblem, terms: list, sense: int, rhs: float, name: str) -> None:
    prob.addConstraint(
        pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, rhs=float(rhs)), name=name
    )


def _values(variables: Sequence[pulp.LpVariable]) -> np.ndarray:
    return np.array([v.varValue or 0.0 for v in variables], dtype=np.float64)


def _set_start(variables: Sequence[pulp.LpVariable], values: np.ndarray) -> None:
    """Give the solver a starting plan (PuLP's ``varValue`` as initial value)."""
    for v, val in zip(variables, values, strict=True):
        v.setInitialValue(float(val), check=False)


def _first_open(cm: CostMatrix, is_open: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest *listed* open site per row (rows are sorted by cost)."""
    hit = is_open[cm.indices]
    site = np.full(cm.n_demand, -1)
    dist = np.full(cm.n_demand, np.inf)
    rows_hit = cm.rows[hit]
    first = np.ones(rows_hit.size, dtype=bool)
    first[1:] = rows_hit[1:] != rows_hit[:-1]
    pos = np.flatnonzero(hit)[first]
    site[rows_hit[first]] = cm.indices[pos]
    dist[rows_hit[first]] = cm.data[pos]
    return site, dist


@dataclass
class _Slack:
    kind: str
    var: pulp.LpVariable
    meta: dict


class _Rules:
    """Adds the shared policy rules to a PuLP problem (strict or elastic)."""

    def __init__(self, rules: PolicyRules, n_sites: int, p: int | None, p_mode: str) -> None:
        self.rules = rules
        self.n_sites = n_sites
        self.p = p
        self.p_mode = p_mode

    def site_vars(self, prob: pulp.LpProblem, elastic: bool = False) -> list[pulp.LpVariable]:
        y = [_var(prob, f"y{j}", binary=True) for j in range(self.n_sites)]
        if not elastic:
            for j in self.rules.required:
                y[j].lowBound = 1
            for j in self.rules.excluded:
                y[j].upBound = 0
        return y

    def add(self, prob: pulp.LpProblem, y: list, elastic: bool = False) -> list[_Slack]:
        slacks: list[_Slack] = []

        def slack(kind: str, name: str, **meta: Any) -> pulp.LpVariable:
            s = _var(prob, name)
            slacks.append(_Slack(kind, s, meta))
            return s

        if elastic:
            for j in self.rules.required:
                _add(
                    prob,
                    [(y[j], 1), (slack("required", f"sr{j}", site=int(j)), 1)],
                    pulp.LpConstraintGE,
                    1,
                    f"req{j}",
                )
            for j in self.rules.excluded:
                _add(
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
                _add(prob, terms, sense, self.p, "p")
            else:
                sense = pulp.LpConstraintEQ if self.p_mode == "exact" else pulp.LpConstraintLE
                _add(prob, all_y, sense, self.p, "p")
        for g_idx, g in enumerate(self.rules.groups):
            terms = [(y[j], 1) for j in g.sites]
            if g.min_open > 0:
                extra = []
                if elastic:
                    extra = [(slack("group_min", f"sgmin{g_idx}", group=g), 1)]
                _add(prob, terms + extra, pulp.LpConstraintGE, g.min_open, f"gmin{g_idx}")
            if g.max_open is not None:
                extra = []
                if elastic:
                    extra = [(slack("group_max", f"sgmax{g_idx}", group=g), -1)]
                _add(prob, terms + extra, pulp.LpConstraintLE, g.max_open, f"gmax{g_idx}")
        return slacks


def _radius_block(
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
        z = [_var(prob, f"{prefix}{i}_{k}") for k in range(n_lev)]
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
            _add(prob, row_terms, pulp.LpConstraintGE, 1 if k == 0 else 0, f"{prefix}c{i}_{k}")
        last[i] = z[-1]
    return terms, const, last


def _assign_block(
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
) -> tuple[dict[int, pulp.LpVariable], list[_Slack]]:
    r"""Assignment variables on the stored pairs of ``rows``.

    Raises :class:`~planner.models.OutOfTime` when ``deadline`` is spent meanwhile
    (a city-size block takes many seconds to build in PuLP).

    ``sum_j x_ij = s_i`` (``s_i`` = 1, or the coverage variable ``u_i`` of
    ``served``), ``x_ij <= y_j`` and ``sum_i h_i x_ij <= C_j y_j``. Returns ``x`` keyed by
    pair position in the CSR arrays, and elastic slacks.
    """
    x: dict[int, pulp.LpVariable] = {}
    slacks: list[_Slack] = []
    load: dict[int, list] = {}
    for n, i in enumerate(rows.tolist()):
        check_time(deadline, n, every=64)
        lo, hi = int(cm.indptr[i]), int(cm.indptr[i + 1])
        terms = []
        for pos in range(lo, hi):
            j = int(cm.indices[pos])
            v = _var(prob, f"x{pos}", 0, 1, binary=single_source)
            x[pos] = v
            terms.append((v, 1))
            _add(prob, [(v, 1), (y[j], -1)], pulp.LpConstraintLE, 0, f"link{pos}")
            if households[i] > 0:
                load.setdefault(j, []).append((v, float(households[i])))
        rhs: Any = 1 if served is None else served[i]
        if elastic:
            s = _var(prob, f"su{i}")
            slacks.append(_Slack("unserved", s, {"row": i}))
            terms.append((s, 1))
        if isinstance(rhs, pulp.LpVariable):
            terms.append((rhs, -1))
            rhs = 0
        _add(prob, terms, pulp.LpConstraintEQ, rhs, f"serve{i}")
    for j, terms in load.items():
        terms = [*terms, (y[j], -float(capacity[j]))]
        if elastic:
            s = _var(prob, f"sc{j}")
            slacks.append(_Slack("capacity", s, {"site": j}))
            terms.append((s, -1))
        _add(prob, terms, pulp.LpConstraintLE, 0, f"cap{j}")
    return x, slacks


def _finish(
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


# --------------------------------------------------------------------------- base


class _StationModel:
    """Shared data handling, rule checks and elastic diagnosis."""

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
        self.cost = _as_cost_matrix(cost)
        n = self.cost.n_demand
        self.weights = _demand_array(weights, n, "weights", 1.0)
        self.households = _demand_array(households, n, "households", self.weights)
        self.rules = rules if rules is not None else PolicyRules()
        self.rules.validate(self.cost.n_sites)
        self.capacity = _finite_capacity(
            self.rules.capacity_array(self.cost.n_sites), float(self.households.sum())
        )
        self.single_source = self.rules.single_source
        if p is not None and (int(p) != p):
            raise PlannerError("model.bad_value", what="p", value=p)
        self.p = None if p is None else int(p)
        self.p_mode = "exact"
        self._rule_builder = _Rules(self.rules, self.cost.n_sites, self.p, self.p_mode)

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

    def _infeasible(
        self,
        diagnoses: list[Diagnosis],
        options: SolverOptions,
        deadline: Deadline,
        rounds: int = 0,
    ) -> StationSolution:
        n = self.n_demand
        res = _finish(INFEASIBLE, None, None, options, self.sense, diagnoses, rounds, deadline)
        return StationSolution(
            res, np.empty(0, dtype=np.int64), np.full(n, -1), np.full(n, np.inf), None
        )

    def _failed(
        self,
        raw: RawSolve,
        options: SolverOptions,
        deadline: Deadline,
        rounds: int,
        extra: Sequence[Diagnosis] = (),
    ) -> StationSolution:
        if raw.status == ERROR and not raw.has_solution and "limit" in raw.detail:
            diag = Diagnosis("solve.no_solution_in_limit")
        else:
            diag = Diagnosis("solve.solver_error", {"detail": raw.detail or raw.status})
        n = self.n_demand
        status = raw.status if raw.status != OPTIMAL else ERROR
        res = _finish(status, None, None, options, self.sense, [*extra, diag], rounds, deadline)
        return StationSolution(
            res, np.empty(0, dtype=np.int64), np.full(n, -1), np.full(n, np.inf), None
        )

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
                _, more = _assign_block(
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
                    s = _var(prob, f"su{i}")
                    slacks.append(_Slack("unserved", s, {"row": i}))
                    _add(
                        prob,
                        [*((y[int(j)], 1) for j in sites), (s, 1)],
                        pulp.LpConstraintGE,
                        1,
                        f"cover{i}",
                    )
        mean_cap = float(np.mean(self.capacity)) if self.capacity is not None else 1.0
        price = {"capacity": 1.0 / max(mean_cap, 1e-9)}
        prob.setObjective(
            pulp.LpAffineExpression([(s.var, price.get(s.kind, 1.0)) for s in slacks])
        )
        raw = solve_problem(prob, options, deadline)
        if not raw.has_solution:
            return [Diagnosis("solve.infeasible_unexplained")]
        return self._explain(slacks) or [Diagnosis("solve.infeasible_unexplained")]

    def _explain(self, slacks: list[_Slack]) -> list[Diagnosis]:
        unit = Term(self.unit)
        out: list[Diagnosis] = []
        used = [(s, float(s.var.varValue or 0.0)) for s in slacks]
        used = [(s, v) for s, v in used if v > 1e-6]
        by_kind: dict[str, list[tuple[_Slack, float]]] = {}
        for s, v in used:
            by_kind.setdefault(s.kind, []).append((s, v))
        for kind in ("required", "excluded"):
            items = by_kind.get(kind, [])
            if items:
                out.append(
                    Diagnosis(
                        f"solve.elastic_{kind}",
                        {"count": len(items), "example": items[0][0].meta["site"]},
                    )
                )
        for _, v in by_kind.get("p_more", []):
            out.append(
                Diagnosis("solve.elastic_p_more", {"amount": round(v), "p": self.p, "unit": unit})
            )
        for _, v in by_kind.get("p_fewer", []):
            out.append(
                Diagnosis(
                    "solve.elastic_p_fewer",
                    {"amount": round(v), "p": self.p, "opened": self.p - round(v), "unit": unit},
                )
            )
        for s, v in by_kind.get("group_min", []):
            g = s.meta["group"]
            out.append(
                Diagnosis(
                    "solve.elastic_group_min",
                    {
                        "group": g.name,
                        "min": g.min_open,
                        "amount": round(v),
                        "unit": unit,
                        "kind": Term(g.kind),
                    },
                )
            )
        for s, v in by_kind.get("group_max", []):
            g = s.meta["group"]
            out.append(
                Diagnosis(
                    "solve.elastic_group_max",
                    {
                        "group": g.name,
                        "max": g.max_open,
                        "amount": round(v),
                        "unit": unit,
                        "kind": Term(g.kind),
                    },
                )
            )
        cap_items = by_kind.get("capacity", [])
        if cap_items:
            out.append(
                Diagnosis(
                    "solve.elastic_capacity",
                    {
                        "amount": float(sum(v for _, v in cap_items)),
                        "count": len(cap_items),
                        "unit": unit,
                        "qty": Term(self.quantity),
                    },
                )
            )
        unserved = by_kind.get("unserved", [])
        if unserved:
            rows = [s.meta["row"] for s, _ in unserved]
            out.append(
                Diagnosis(
                    "solve.elastic_unserved",
                    {
                        "count": len(rows),
                        "amount": float(self.households[rows].sum()),
                        "example": rows[0],
                        "qty": Term(self.quantity),
                    },
                )
            )
        return out

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


# --------------------------------------------------------------------------- p-median


class PMedian(_StationModel):
    r"""p-median: open exactly ``p`` stations, minimise household-weighted distance.

    .. math::

        \min \sum_i w_i \, d_{i,a(i)} \quad \text{s.t.}\quad \sum_j y_j = p,
        \ \text{policy rules},\ y_j \in \{0,1\}

    where ``a(i)`` is the nearest open site of demand point ``i``.

    Radius formulation (García, Labbé & Marín 2011)
    ------------------------------------------------
    Instead of the classic ``x_ij`` assignment (``n x m`` variables) each demand point
    ``i`` keeps only its sorted distinct listed costs ``D_i^1 < ... < D_i^K`` and
    continuous ``z_i^k >= 0`` meaning "no open site within ``D_i^k``":

    .. math::

        z_i^1 + \sum_{j: d_{ij} = D_i^1} y_j \ge 1, \qquad
        z_i^k - z_i^{k-1} + \sum_{j: d_{ij} = D_i^k} y_j \ge 0 \quad (k \ge 2)

        \min \sum_i w_i \Big( D_i^1 + \sum_{k<K} (D_i^{k+1} - D_i^k)\, z_i^k
        + (B_i - D_i^K)\, z_i^K \Big)

    This is the chained form of García et al.'s cover constraints
    ``z_i^k + sum_{j: d_ij <= D_i^k} y_j >= 1`` (summing the chain gives them, and the
    smallest feasible ``z`` is the same in both, so the LP bounds coincide); each pair
    appears in one row only, so the matrix has about ``nnz + 2 x levels`` non-zeros.

    Exactness with truncated lists (check-and-grow)
    -----------------------------------------------
    Rows list only sites within a per-row radius. ``B_i`` is the cost of the
    ``(K_i + 1)``-th nearest allowed site (:meth:`CostMatrix.next_distance`), a lower
    bound on the cost of every unlisted site. Hence for every site set ``S`` the
    truncated cost of ``i``, ``min(nearest listed open, B_i)``, is ``<=`` its true cost:
    the truncated model is a *relaxation* and its optimum ``LB`` (or the solver's
    bound) is a lower bound on the true optimum. Each round we take the solver's
    plan, compute its *true* cost with exact nearest-open-site queries (k-d tree, not
    a dense matrix) giving ``UB``, and

    * stop when ``UB - LB <= tolerance``: ``LB <= OPT <= UB`` proves optimality;
    * otherwise grow exactly the rows whose true cost exceeds their truncated cost
      (new radius = their true cost, so this plan is priced exactly next time) and
      re-solve.

    Each round strictly enlarges some row, so the loop ends (at worst with complete
    rows). ``max_rounds`` and the time limit stop it early with the best plan and the
    proven gap (status ``"time_limit_feasible"``). Under a time limit and without a
    presolve or start plan, a greedy plan meeting the count and rules
    (:func:`~planner.models.warm.adapt_sites`) is priced before the MIP; it is returned
    when the limit stops the MIP before it finds a cheaper one. A plan stopped by the
    limit is bounded at least by every demand point's nearest allowed site.

    Presolve (few or many medians at city scale)
    --------------------------------------------
    Every exact proof needs each row listed out to its median, about ``n^2 / (2p)``
    pairs: with ``p = 30`` that is 5 million at 20,000 points, and the radius LP over
    them (degenerate, 60+ levels a row) is what made small ``p`` slow. So, without
    capacity, site groups or site costs and with a distance source, the MIP is
    preceded by (:meth:`_presolve`):

    1. a swap search (fast interchange on sparse pairs,
       :func:`~planner.models.heuristics.median_search`) from seeded starts: the
       incumbent ``UB``;
    2. rounds of Lagrangian ascent (:mod:`planner.models.lagrangian`, numpy on the
       pairs, never a dense block) alternating with swap searches from the
       subproblem's site sets. The Lagrangian value is a lower bound on every plan;
       when it meets ``UB`` (within the gap target) the plan is returned as optimal
       without any MIP;
    3. reduced-cost fixing: sites that no plan cheaper than ``UB`` (``UB (1 - gap)``
       with a gap target) can close or open are fixed, and the radius MIP runs on
       the free sites only, each row listing them up to its second-nearest
       incumbent site, warm-started with the incumbent. Its bound holds for the
       plans cheaper than that ceiling, so the reported bound is
       ``max(Lagrangian, min(ceiling, MIP bound))``;
    4. if that model would still be too large to solve in reasonable time, it is not
       built: the incumbent is returned with its Lagrangian gap, status
       ``"time_limit_feasible"`` and the info diagnosis ``solve.model_size_cap``.

    Capacity
    --------
    With ``rules.capacity`` the nearest-open assignment is no longer optimal, so the
    radius formulation does not apply. The model becomes the capacitated p-median on
    the stored pairs only:

    .. math::

        \min \sum_{(i,j)} w_i d_{ij} x_{ij}\ \text{s.t.}\ \sum_j x_{ij} = 1,\
        x_{ij} \le y_j,\ \sum_i h_i x_{ij} \le C_j y_j

    (``x`` binary with ``single_source``). Restricting to stored pairs is a
    restriction, not a relaxation: the answer is proven optimal *among plans that
    serve each demand point from a site on its list* (within its radius), which acts
    as a maximum service distance; ``bound``/``gap`` refer to that restricted problem.
    If the restriction is infeasible the lists are doubled and the model re-solved.

    The uncapacitated p-median with the same rules is solved first (radius
    formulation, at most 60 s or a quarter of the time limit). Its sites are the MIP
    start, and because dropping capacity *and* the pair restriction is a relaxation,
    its proven bound is a lower bound for every capacitated plan. When some row is
    actually truncated, an info diagnosis ``solve.restricted_pairs_bound`` states the
    restriction radius and that global bound (``solve.restricted_pairs`` without it),
    so the planner can see how far the restricted optimum can be from the
    unrestricted one.

    Parameters
    ----------
    cost
        Cost matrix (metres); a dense array or scipy matrix is accepted for small
        inputs (every stored pair usable, nothing else).
    p
        Number of stations to open.
    weights
        ``w_i`` (households, population); default 1.
    rules
        Policy rules.
    households
        ``h_i`` for capacity; default ``weights``.
    max_rounds
        Cap on grow rounds.
    presolve
        Run the heuristic + Lagrangian presolve where it applies (see
        :meth:`_presolve`); ``False`` goes straight to the check-and-grow MIP.
    """

    def __init__(
        self,
        cost: CostInput,
        p: int,
        weights: Any = None,
        *,
        rules: PolicyRules | None = None,
        households: Any = None,
        max_rounds: int = 100,
        presolve: bool = True,
    ) -> None:
        super().__init__(cost, weights, p=p, rules=rules, households=households)
        self.max_rounds = int(max_rounds)
        self.presolve = bool(presolve)
        # Per-site opening cost added to the objective (the sorting-centre tier's
        # uncapacitated relaxation uses it; stations have none).
        self._site_cost: np.ndarray | None = None

    @classmethod
    def from_cost_matrix(
        cls,
        cost: CostInput,
        p: int,
        weights: Any = None,
        *,
        rules: PolicyRules | None = None,
        households: Any = None,
        max_rounds: int = 100,
        presolve: bool = True,
    ) -> PMedian:
        """Model on a prepared cost matrix (see class docstring for ``cost``)."""
        return cls(
            cost,
            p,
            weights,
            rules=rules,
            households=households,
            max_rounds=max_rounds,
            presolve=presolve,
        )

    @classmethod
    def from_points(
        cls,
        demand_xy: np.ndarray,
        site_xy: np.ndarray,
        p: int,
        weights: Any = None,
        *,
        rules: PolicyRules | None = None,
        households: Any = None,
        radius: float | np.ndarray | None = None,
        k: int | None = None,
        circuity: float = 1.0,
        max_rounds: int = 100,
        presolve: bool = True,
    ) -> PMedian:
        """Model on coordinates (metres); builds the sparse matrix itself.

        Parameters
        ----------
        radius
            Initial list radius (scalar or per demand point). Default: each row's
            ``k`` nearest sites.
        k
            Initial list length when ``radius`` is not given (default
            :func:`initial_k`: ~``2 m / p``, at least 4, at most 64; with capacity three
            times ``2 m / p``, at least 15).
        circuity
            Road / straight-line factor.
        """
        site_xy = np.asarray(site_xy, dtype=np.float64)
        if radius is not None:
            cm = sparse_distances(demand_xy, site_xy, radius, circuity)
        else:
            capacity = rules is not None and rules.capacity is not None
            kk = k if k is not None else initial_k(len(site_xy), p, capacity)
            cm = sparse_knn(demand_xy, site_xy, kk, circuity)
        return cls(
            cm,
            p,
            weights,
            rules=rules,
            households=households,
            max_rounds=max_rounds,
            presolve=presolve,
        )

    # -------------------------------------------------------------- solve

    def solve(
        self,
        options: SolverOptions | None = None,
        start: Sequence[int] | None = None,
        *,
        deadline: Deadline | None = None,
    ) -> StationSolution:
        """Solve; see the class docstring for what ``"optimal"`` guarantees.

        Parameters
        ----------
        options
            Solver choice, time limit, gap.
        start
            Site indices of a plan to start from, e.g. the plan of a neighbouring
            station count in a sweep. It is repaired into a feasible plan for this
            model (:func:`~planner.models.warm.adapt_sites`) and handed to the solver
            as its first incumbent (and to the swap search as its first start). A
            start never changes what the result proves, only how fast it gets there.
        deadline
            The tier's wall-clock budget, already running (it then replaces
            ``options.time_limit_s``); by default one starts now from the options.
        """
        options = options or SolverOptions()
        deadline = Deadline.of(options, deadline)
        cm = self.cost.drop_sites(self.rules.excluded)
        if self.capacity is None:
            rows = np.flatnonzero(self.weights > 0)
        else:
            rows = np.flatnonzero((self.weights > 0) | (self.households > 0))
        diags = self._rule_checks(rows) + self._unreachable(cm, rows)
        if any(d.severity == "error" for d in diags):
            return self._infeasible(diags, options, deadline)
        hint = None
        if start is not None and self.p is not None and self.capacity is None:
            w = np.zeros(self.n_demand)
            w[rows] = self.weights[rows]
            hint = adapt_sites(cm, w, np.asarray(start), self.p, self.rules, self.p_mode)
        if self.capacity is None:
            return self._solve_radius(cm, rows, options, deadline, hint)
        return self._solve_capacitated(cm, rows, options, deadline)

    def _solve_radius(
        self,
        cm: CostMatrix,
        rows: np.ndarray,
        options: SolverOptions,
        deadline: Deadline,
        hint: np.ndarray | None = None,
    ) -> StationSolution:
        w = self.weights
        full_cm = cm
        diags: list[Diagnosis] = []
        status = TIME_LIMIT_FEASIBLE
        rounds = 0
        gap_target = options.gap or 0.0
        builder = self._rule_builder
        best: tuple[float, np.ndarray] | None = None
        # Valid for every plan; the model's own bound counts only below `ceiling`
        # (plans cheaper than it avoid the sites fixed by the Lagrangian bound).
        floor, ceiling, model_lower = -math.inf, math.inf, -math.inf
        pre = None
        if self._presolve_applies(cm):
            pre = self._presolve(cm, rows, options, deadline, hint)
        elif hint is not None:
            # The first round's model charges the start its true cost, as the grow loop
            # would after a round that chose it: a start near the optimum saves a round.
            cost, true_d, under = self._price(cm, rows, hint)
            best = (cost, hint)
            if under.size and cm.source is not None:
                cm = cm.grow(under, true_d[under])
        if pre is not None:
            best = (pre.plan.cost, pre.plan.sites)
            floor = pre.bound
            diags += pre.diagnoses
            if pre.model is None:
                return self._presolved_solution(pre, full_cm, rows, options, deadline, diags)
            cm, builder, ceiling = pre.model, pre.builder, pre.ceiling
        # Under a time limit, a plan in hand before the MIP: what is returned if the
        # limit stops the MIP before it finds a better one (not a MIP start, so it
        # never changes the path to an optimum).
        fallback = None
        if best is None and deadline.remaining() is not None:
            fallback = self._constructive(cm, rows)
        lower = floor
        while True:
            if deadline.expired() and (best is not None or fallback is not None):
                deadline.note("skipped")  # building the next round used up the budget
                break
            rounds += 1
            levels = cm.levels()
            beyond = np.full(self.n_demand, np.inf)
            beyond[rows] = cm.next_distance(rows)
            prob = pulp.LpProblem("p_median", pulp.LpMinimize)
            y = builder.site_vars(prob)
            builder.add(prob, y)
            try:
                terms, const, _ = _radius_block(
                    prob, y, cm, levels, rows, w, beyond, deadline=deadline
                )
            except OutOfTime:
                deadline.note("skipped")
                if best is None and fallback is None:
                    raw = RawSolve(ERROR, None, None, False, "no solution within the limit")
                    return self._failed(raw, options, deadline, rounds, diags)
                break
            site_cost = self._site_cost
            if site_cost is not None:
                terms += [(y[j], float(site_cost[j])) for j in np.flatnonzero(site_cost)]
            prob.setObjective(pulp.LpAffineExpression(terms, constant=const))
            if best is not None:
                # The best plan so far is feasible for every round's model (the
                # Lagrangian fixing never closes a site of the plan it was given).
                start = np.zeros(self.n_sites)
                start[best[1]] = 1.0
                _set_start(y, start)
            raw = solve_problem(prob, options, deadline, warm_start=best is not None)
            if raw.status == INFEASIBLE:
                if pre is not None:
                    # Nothing cheaper than the ceiling exists: the plan in hand is it.
                    lower = max(lower, min(ceiling, best[0]))
                    status = OPTIMAL
                    break
                more = self._elastic(options, deadline)
                return self._infeasible(diags + more, options, deadline, rounds)
            if not raw.has_solution:
                stopped = "limit" in raw.detail  # not a solver failure
                if best is None and (fallback is None or not stopped):
                    return self._failed(raw, options, deadline, rounds, diags)
                break
            open_sites = np.flatnonzero(_values(y) > 0.5)
            true_obj, true_d, under = self._price(cm, rows, open_sites, beyond)
            if raw.bound is not None:
                model_lower = max(model_lower, raw.bound)
            if best is None or true_obj < best[0]:
                best = (true_obj, open_sites)
            upper = best[0]
            proven = raw.status == OPTIMAL and under.size == 0
            if proven and gap_target == 0:
                # The relaxation's optimum is this plan's true cost.
                model_lower = max(model_lower, true_obj)
            lower = max(floor, min(ceiling, model_lower))
            closed = upper - lower <= max(1e-6, float(_tol(upper))) + gap_target * abs(upper)
            if proven and gap_target == 0:
                lower = max(lower, min(upper, ceiling))
            if proven or closed:
                status = OPTIMAL
                break
            if under.size == 0 or deadline.expired():
                break  # the solver stopped on a limit; nothing more to learn
            if rounds >= self.max_rounds:
                diags.append(
                    Diagnosis(
                        "solve.rounds_limit",
                        {
                            "rounds": rounds,
                            "gap": f"{100 * (relative_gap(upper, lower) or 0):.3g}%",
                        },
                        "info",
                    )
                )
                break
            cm = cm.grow(under, true_d[under])
        if status != OPTIMAL:
            if fallback is not None and (best is None or fallback[0] < best[0]):
                best = fallback
            lower = max(lower, self._nearest_bound(full_cm, rows))
        assert best is not None
        objective, open_sites = best
        site, dist = full_cm.nearest_open(open_sites)
        res = _finish(
            status,
            objective,
            lower if math.isfinite(lower) else None,
            options,
            "min",
            diags,
            rounds,
            deadline,
        )
        return StationSolution(res, open_sites, site, dist, objective)

    def _constructive(self, cm: CostMatrix, rows: np.ndarray) -> tuple[float, np.ndarray] | None:
        """A quick feasible plan and its true cost (greedy, see :func:`adapt_sites`)."""
        if self.p is None:
            return None
        w = np.zeros(self.n_demand)
        w[rows] = self.weights[rows]
        empty = np.empty(0, dtype=np.int64)
        sites = adapt_sites(cm, w, empty, self.p, self.rules, self.p_mode)
        if sites is None:
            return None
        cost, _, _ = self._price(cm, rows, sites)
        return (cost, sites) if math.isfinite(cost) else None

    def _nearest_bound(self, cm: CostMatrix, rows: np.ndarray) -> float:
        """Bound of every plan: each demand point at its nearest allowed site."""
        if rows.size == 0:
            return 0.0
        first = np.full(self.n_demand, np.inf)
        listed = rows[cm.row_counts[rows] > 0]
        first[listed] = cm.data[cm.indptr[listed]]  # rows are sorted by cost
        nearest = np.minimum(first[rows], cm.next_distance(rows))
        if not np.all(np.isfinite(nearest)):
            return -math.inf
        return float(np.dot(self.weights[rows], nearest))

    # -------------------------------------------------------------- presolve

    def _presolve_applies(self, cm: CostMatrix) -> bool:
        """Heuristic + Lagrangian presolve: exact p, no groups or site costs, a source."""
        return (
            self.presolve
            and cm.source is not None
            and self.p is not None
            and self.p_mode == "exact"
            and self._site_cost is None
            and not self.rules.groups
            and 0 < self.p < self.n_sites - self.rules.excluded.size
        )

    def _price(
        self,
        cm: CostMatrix,
        rows: np.ndarray,
        sites: np.ndarray,
        beyond: np.ndarray | None = None,
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """What opening ``sites`` truly costs, against what the radius model charges.

        Returns the true objective (nearest open site, site costs added), each demand
        point's distance to its nearest open site, and the rows whose list under-prices
        that distance (their lists must grow before the model charges this plan its
        true cost). ``beyond``: the model's charge past each row's list (computed from
        ``cm`` when not given).
        """
        if beyond is None:
            beyond = np.full(self.n_demand, np.inf)
            beyond[rows] = cm.next_distance(rows)
        is_open = np.zeros(cm.n_sites, dtype=bool)
        is_open[sites] = True
        _, listed = _first_open(cm, is_open)
        model_cost = np.where(np.isfinite(listed), listed, beyond)
        _, true_d = cm.nearest_open(sites)
        cost = float(np.dot(self.weights[rows], true_d[rows]))
        if self._site_cost is not None:
            cost += float(self._site_cost[sites].sum())
        under = rows[true_d[rows] > model_cost[rows] + _tol(model_cost[rows])]
        return cost, true_d, under

    def _presolve(
        self,
        cm: CostMatrix,
        rows: np.ndarray,
        options: SolverOptions,
        deadline: Deadline,
        hint: np.ndarray | None = None,
    ) -> _Presolved | None:
        """Good plan, Lagrangian bound and site fixing before (or instead of) the MIP.

        1. Swap search (:func:`~planner.models.heuristics.median_search`) from a
           D²-seeded start gives the incumbent.
        2. Rounds of Lagrangian ascent (:class:`~planner.models.lagrangian.
           LagrangianAscent`) alternate with swap searches started from the
           subproblem's site sets, each round aiming at the best plan so far.
        3. If the bound closes the gap, done. Otherwise reduced-cost fixing closes
           (and opens) the sites no plan cheaper than the incumbent can change, and
           the radius MIP runs on the remaining sites, with each row listing the free
           sites up to its second-nearest incumbent site (at least two free sites),
           warm-started with the incumbent. When that model would exceed
           ``_MODEL_LEVELS`` levels it is not built; the incumbent is returned with the
           Lagrangian gap.
        """
        assert self.p is not None
        p = self.p
        m = self.n_sites
        w = np.zeros(self.n_demand)
        w[rows] = self.weights[rows]
        allowed = np.ones(m, dtype=bool)
        allowed[self.rules.excluded] = False
        required = self.rules.required
        rem = deadline.remaining()
        gap_target = options.gap or 0.0
        search_end = None if rem is None else deadline.elapsed() + 0.1 * rem
        plan: MedianPlan | None = None
        # Many medians: local optima differ little and each start is dearer.
        for seed in range(_STARTS if p <= _FEW_MEDIANS else 1):
            if seed == 0 and hint is not None:
                start = hint  # a neighbouring plan, repaired: usually near a local optimum
            else:
                start = median_start(cm, w, p, allowed=allowed, required=required, seed=seed)
            if start is None:
                return None
            left = None if search_end is None else max(0.0, search_end - deadline.elapsed())
            found = median_search(cm, w, start, required=required, seconds=left)
            if plan is None or found.cost < plan.cost:
                plan = found
            if search_end is not None and deadline.elapsed() >= search_end:
                break
        assert plan is not None
        if not math.isfinite(plan.cost):
            return None  # some row reaches no site of the plan: leave it to the MIP
        _, d1, _, d2 = nearest_two(cm, plan.sites)
        ascent = LagrangianAscent(
            cm, w, p, d1=d1, d2=d2, required=required, allowed=allowed, plan=plan.sites
        )
        lag_end = None if rem is None else deadline.elapsed() + 0.6 * rem
        tried: set[bytes] = {plan.sites.tobytes()}
        result = ascent.result()
        while ascent.iterations < _LAGRANGIAN_STEPS:
            left = None if lag_end is None else lag_end - deadline.elapsed()
            if left is not None and left <= 0:
                break
            result = ascent.run(plan.cost, _LAGRANGIAN_ROUND, left)
            if _within(plan.cost, result.bound, gap_target):
                break
            better = self._polish(cm, w, plan, result, required, tried, deadline, lag_end)
            if better is not None:
                plan = better
            elif ascent.converged:
                break
            elif _small_model(cm, rows, plan, result, p, required, allowed, gap_target):
                break  # the fixed model is small: the MIP closes the gap faster
        bound = result.bound
        info = {"iterations": ascent.iterations, "bound": bound}
        if _within(plan.cost, bound, gap_target) or deadline.expired():
            return _Presolved(plan, bound, None, None, math.inf, info)
        ceiling, closed, opened, radius = _fixing(
            cm, plan, result, p, required, allowed, gap_target
        )
        free = allowed & ~closed
        estimate = _levels_estimate(cm, rows, radius, free)
        info.update(free=int(free.sum()), opened=int(opened.sum()), levels=int(estimate))
        cap = _model_cap(estimate, rows.size)
        listed = None
        if estimate <= cap:
            listed = PairSource(cm).within(rows, radius[rows], free)
        if listed is None or listed.size > cap:
            # No MIP: spend what the MIP would have had on more starts of the search.
            more = self._more_starts(cm, w, plan, required, allowed, deadline)
            if more is not None and more.cost < plan.cost:
                plan = more
            levels = int(estimate if listed is None else listed.size)
            diag = Diagnosis("solve.model_size_cap", {"levels": levels, "cap": int(cap)}, "info")
            return _Presolved(plan, bound, None, None, math.inf, info, [diag])
        rad = np.zeros(self.n_demand)
        rad[rows] = radius[rows]
        source = cm.source.restrict_sites(free) if cm.source is not None else None
        model = CostMatrix.from_coo(
            listed.rows, listed.sites, listed.cost, self.n_demand, m, radius=rad, source=source
        )
        rules = replace(
            self.rules,
            required=np.union1d(required, np.flatnonzero(opened)),
            excluded=np.union1d(self.rules.excluded, np.flatnonzero(closed)),
        )
        builder = _Rules(rules, m, p, self.p_mode)
        return _Presolved(plan, bound, model, builder, ceiling, info)

    def _more_starts(
        self,
        cm: CostMatrix,
        w: np.ndarray,
        plan: MedianPlan,
        required: np.ndarray,
        allowed: np.ndarray,
        deadline: Deadline,
    ) -> MedianPlan | None:
        """Best plan of ``_EXTRA_STARTS`` more seeded searches (80 % of the time left)."""
        assert self.p is not None
        rem = deadline.remaining()
        end = None if rem is None else deadline.elapsed() + 0.8 * rem
        best = None
        for seed in range(_STARTS, _STARTS + _EXTRA_STARTS):
            left = None if end is None else end - deadline.elapsed()
            if left is not None and left <= 0:
                break
            start = median_start(cm, w, self.p, allowed=allowed, required=required, seed=seed)
            if start is None:
                break
            found = median_search(cm, w, start, required=required, seconds=left)
            if best is None or found.cost < best.cost:
                best = found
        return best

    def _polish(
        self,
        cm: CostMatrix,
        w: np.ndarray,
        plan: MedianPlan,
        result: LagrangianBound,
        required: np.ndarray,
        tried: set[bytes],
        deadline: Deadline,
        until: float | None,
    ) -> MedianPlan | None:
        """Swap search from the best few Lagrangian site sets; a better plan or None."""
        fresh = [s for s in result.plans if s.tobytes() not in tried]
        if not fresh:
            return None
        costs = []
        for sites in fresh[:_POLISH_PROBE]:
            tried.add(sites.tobytes())
            _, dist = cm.nearest_open(sites)
            costs.append(float(np.dot(w, dist)))
        better = None
        for q in np.argsort(costs)[:_POLISH_RUNS].tolist():
            left = None if until is None else until - deadline.elapsed()
            if left is not None and left <= 0:
                break
            cand = None if result.active.all() else result.active
            found = median_search(cm, w, fresh[q], required=required, candidates=cand, seconds=left)
            tried.add(found.sites.tobytes())
            best_cost = plan.cost if better is None else better.cost
            if found.cost < best_cost - 1e-9 * abs(best_cost):
                better = found
        return better

    def _presolved_solution(
        self,
        pre: _Presolved,
        cm: CostMatrix,
        rows: np.ndarray,
        options: SolverOptions,
        deadline: Deadline,
        diags: list[Diagnosis],
    ) -> StationSolution:
        """The presolve's plan with its Lagrangian bound (no MIP was run)."""
        gap_target = options.gap or 0.0
        status = OPTIMAL if _within(pre.plan.cost, pre.bound, gap_target) else TIME_LIMIT_FEASIBLE
        bound = pre.bound
        if status != OPTIMAL:
            # Stopped early (the limit): the Lagrangian may not have started.
            bound = max(bound, self._nearest_bound(cm, rows))
        lower = bound if math.isfinite(bound) else None
        if status == OPTIMAL and lower is not None and gap_target == 0:
            lower = min(lower, pre.plan.cost)
        site, dist = cm.nearest_open(pre.plan.sites)
        res = _finish(status, pre.plan.cost, lower, options, "min", diags, 0, deadline)
        return StationSolution(res, pre.plan.sites, site, dist, pre.plan.cost)

    def _solve_capacitated(
        self, cm: CostMatrix, rows: np.ndarray, options: SolverOptions, deadline: Deadline
    ) -> StationSolution:
        diags: list[Diagnosis] = []
        start, global_bound = self._uncapacitated_start(cm, options, deadline)
        rounds = grew = 0
        fallback = None
        if start is not None and not self.single_source:
            cm, fallback, grew = self._transport_start(cm, rows, start, deadline)
        while True:
            rounds += 1
            if fallback is not None and deadline.expired():
                deadline.note("skipped")
                return self._transport_solution(cm, fallback, options, deadline, diags, rounds,
                                                global_bound, grew)
            prob = pulp.LpProblem("cap_p_median", pulp.LpMinimize)
            y = self._rule_builder.site_vars(prob)
            self._rule_builder.add(prob, y)
            try:
                x, _ = _assign_block(
                    prob, y, cm, rows, self.households, self.capacity, self.single_source,
                    deadline=deadline,
                )
            except OutOfTime:
                deadline.note("skipped")
                if fallback is not None:
                    return self._transport_solution(cm, fallback, options, deadline, diags,
                                                    rounds, global_bound, grew)
                raw = RawSolve(ERROR, None, None, False, "no solution within the limit")
                return self._failed(raw, options, deadline, rounds, diags)
            prob.setObjective(
                pulp.LpAffineExpression(
                    [(v, float(self.weights[cm.rows[pos]] * cm.data[pos])) for pos, v in x.items()]
                )
            )
            if start is not None:
                _set_start(y, start)
            if fallback is not None:
                shares = dict(zip(fallback.positions.tolist(), fallback.shares.tolist(),
                                  strict=True))
                _set_start(list(x.values()), np.array([shares.get(pos, 0.0) for pos in x]))
            raw = solve_problem(prob, options, deadline, warm_start=start is not None)
            if raw.status == INFEASIBLE:
                grown = _grow_all(cm, rows)
                if grown is not None and rounds < self.max_rounds and not deadline.expired():
                    cm, grew = grown, grew + 1
                    continue
                more = self._elastic(options, deadline, cm, rows, with_capacity=True)
                return self._infeasible(diags + more, options, deadline, rounds)
            if not raw.has_solution or (
                fallback is not None
                and raw.objective is not None
                and raw.objective > fallback.objective * (1 + 1e-9)
            ):
                if fallback is not None:
                    # The solver found nothing better than the plan it was handed: keep
                    # that plan, with the best bound either of them proved.
                    bound = max((b for b in (raw.bound, global_bound) if b is not None),
                                default=None)
                    return self._transport_solution(cm, fallback, options, deadline, diags,
                                                    rounds, bound, grew, raw.status)
                return self._failed(raw, options, deadline, rounds, diags)
            break
        if grew:
            diags.append(Diagnosis("solve.grew_pairs", {"rounds": grew}, "info"))
        if _is_restricted(cm, rows):
            diags.append(_restricted_note(cm, rows, global_bound))
        return _capacitated_solution(self, cm, y, x, raw, options, deadline, diags, rounds)

    def _transport_start(
        self, cm: CostMatrix, rows: np.ndarray, start: np.ndarray, deadline: Deadline
    ) -> tuple[CostMatrix, TransportPlan | None, int]:
        """A feasible capacitated plan before any MIP, and the MIP's full warm start:
        the uncapacitated plan's sites, moved where capacity runs short
        (:func:`~planner.models.transport.repair_sites`), with their best split
        assignment. ``start`` is updated to the repaired sites.

        If no repair is found on the stored pairs, the pair lists are grown (as the
        MIP's own rounds would). Returns the (possibly grown) matrix, the plan or
        ``None``, and the rounds grown.
        """
        open_sites = np.flatnonzero(start > 0.5)
        grew = 0
        for _ in range(4 * self.max_rounds):
            rem = deadline.remaining()
            if rem is not None and rem < 0.5:
                break
            open_sites, plan, short_rows = repair_sites(
                cm, rows, open_sites, self.weights, self.households, self.capacity,
                tuple(self.rules.groups), np.asarray(self.rules.required, dtype=np.int64),
                time_limit_s=None if rem is None else 0.5 * rem,
            )
            if plan is not None:
                start[:] = 0.0
                start[open_sites] = 1.0
                return cm, plan, grew
            # Only the lists of the points still short grow: growing every list makes
            # the LP and the MIP many times larger for a few dense communities.
            short_rows = short_rows[np.isfinite(cm.radius[short_rows])]
            short_rows = short_rows[cm.row_counts[short_rows] < cm.n_sites]
            if short_rows.size == 0:
                break
            positive = cm.radius[np.isfinite(cm.radius) & (cm.radius > 0)]
            floor = float(positive.min()) if positive.size else 1.0
            cm = cm.grow(short_rows, np.maximum(2 * cm.radius[short_rows], floor))
            grew += 1
        return cm, None, grew

    def _transport_solution(
        self,
        cm: CostMatrix,
        plan: TransportPlan,
        options: SolverOptions,
        deadline: Deadline,
        diags: list[Diagnosis],
        rounds: int,
        bound: float | None,
        grew: int,
        status: str = TIME_LIMIT_FEASIBLE,
    ) -> StationSolution:
        """The transport plan as the tier's answer, with ``bound`` and its gap."""
        diags = list(diags)
        if grew:
            diags.append(Diagnosis("solve.grew_pairs", {"rounds": grew}, "info"))
        diags.append(Diagnosis("solve.capacity_transport", {}, "info"))
        gap = relative_gap(plan.objective, bound, self.sense) if bound is not None else None
        status = OPTIMAL if gap is not None and gap <= (options.gap or 0.0) else (
            TIME_LIMIT_FEASIBLE if status in (OPTIMAL, TIME_LIMIT_FEASIBLE, ERROR) else status
        )
        res = _finish(status, plan.objective, bound, options, self.sense, diags, rounds,
                      deadline)
        return _split_solution(self, cm, plan.positions, plan.shares, res, plan.objective)

    def _uncapacitated_start(
        self, cm: CostMatrix, options: SolverOptions, deadline: Deadline
    ) -> tuple[np.ndarray | None, float | None]:
        """Uncapacitated plan as a MIP start, and its bound as a global lower bound.

        MIP heuristics often fail to find *any* capacitated plan at city scale; the
        uncapacitated p-median (same rules, fast radius formulation) usually becomes
        feasible once its sites are given and only the split assignment is left to
        complete. Dropping capacity and the pair restriction is a relaxation, so its
        proven bound bounds every capacitated plan, restricted or not.
        """
        rem = deadline.remaining()
        budget = 60.0 if rem is None else min(60.0, 0.25 * rem)
        if budget < 0.1:
            return None, None
        relaxed = PMedian(
            self.cost,
            self.p,
            self.weights,
            rules=replace(self.rules, capacity=None, single_source=False),
            max_rounds=self.max_rounds,
            presolve=self.presolve,
        )
        quick = replace(options, time_limit_s=budget, gap=max(options.gap or 0.0, 1e-4))
        sol = relaxed.solve(quick, deadline=deadline.sub(budget))
        if not sol.result.has_plan:
            return None, None
        start = np.zeros(self.n_sites)
        start[sol.sites] = 1.0
        return start, sol.bound


def _fixing(
    cm: CostMatrix,
    plan: MedianPlan,
    result: LagrangianBound,
    p: int,
    required: np.ndarray,
    allowed: np.ndarray,
    gap_target: float,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Ceiling, fixed-closed and fixed-open masks, and the MIP's list radius per row.

    With a gap target the ceiling is ``UB (1 - gap)``: plans that could still beat
    the incumbent by more than the target avoid the closed sites, which is all the
    target asks to prove. Rows list free sites up to their second-nearest site of the
    plan, so the plan is priced exactly and every row has an alternative.
    """
    ceiling = plan.cost * (1 - gap_target) if gap_target else plan.cost
    closed, opened = fix_sites(result, ceiling, p, required, allowed)
    _, d1, _, d2 = nearest_two(cm, plan.sites)
    return ceiling, closed, opened, np.where(np.isfinite(d2), d2, d1)


def _small_model(
    cm: CostMatrix,
    rows: np.ndarray,
    plan: MedianPlan,
    result: LagrangianBound,
    p: int,
    required: np.ndarray,
    allowed: np.ndarray,
    gap_target: float,
) -> bool:
    """Whether fixing at the current bound already leaves a quick MIP (row sample)."""
    if not math.isfinite(result.bound):
        return False
    _, closed, _, radius = _fixing(cm, plan, result, p, required, allowed, gap_target)
    levels = _levels_estimate(cm, rows, radius, allowed & ~closed)
    return levels <= _QUICK_SHARE * _model_cap(levels, rows.size)


def _model_cap(levels: float, rows: int) -> float:
    """Largest fixed model worth building (see ``_MODEL_LEVELS``)."""
    if levels <= _SHORT_ROWS * max(rows, 1):
        return _MODEL_LEVELS_SHORT
    return _MODEL_LEVELS


def _levels_estimate(
    cm: CostMatrix, rows: np.ndarray, radius: np.ndarray, free: np.ndarray
) -> float:
    """Pairs of the fixed model's lists, extrapolated from 400 sampled rows."""
    rng = np.random.default_rng(0)
    sample = rows if rows.size <= 400 else np.sort(rng.choice(rows, 400, replace=False))
    probe = PairSource(cm).within(sample, radius[sample], free)
    return probe.size * rows.size / max(sample.size, 1)


def _grow_all(cm: CostMatrix, rows: np.ndarray) -> CostMatrix | None:
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


def _is_restricted(cm: CostMatrix, rows: np.ndarray) -> bool:
    """Whether some row leaves out a usable site (so pairs restrict the plan)."""
    return bool(np.isfinite(cm.next_distance(rows)).any())


def _restricted_note(
    cm: CostMatrix, rows: np.ndarray, global_bound: float | None = None
) -> Diagnosis:
    rad = cm.radius[rows]
    finite = rad[np.isfinite(rad)]
    radius = float(finite.max()) if finite.size else math.inf
    if global_bound is None:
        return Diagnosis("solve.restricted_pairs", {"radius": radius}, "info")
    return Diagnosis(
        "solve.restricted_pairs_bound", {"radius": radius, "global_bound": global_bound}, "info"
    )


def _capacitated_solution(
    model: _StationModel,
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
    pos = np.fromiter(x.keys(), dtype=np.int64, count=len(x))
    share = _values(list(x.values()))
    obj = raw.objective if objective is None else objective
    res = _finish(
        raw.status,
        obj,
        raw.bound if bound is None else bound,
        options,
        model.sense,
        diags,
        rounds,
        deadline,
    )
    return _split_solution(
        model, cm, pos, share, res, obj, np.flatnonzero(_values(y) > 0.5),
        covered, uncoverable, secondary,
    )


def _split_solution(
    model: _StationModel,
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
    keep = share > 1e-9
    pos, share = pos[keep], share[keep]
    d_rows, d_sites = cm.rows[pos], cm.indices[pos]
    if open_sites is None:
        open_sites = np.unique(d_sites)
    assignment = np.full(model.n_demand, -1)
    distance = np.full(model.n_demand, np.inf)
    # Largest share wins; ties go to the nearer site (pairs are in cost order).
    order = np.lexsort((-share, d_rows))
    first = np.ones(order.size, dtype=bool)
    first[1:] = d_rows[order][1:] != d_rows[order][:-1]
    pick = order[first]
    assignment[d_rows[pick]] = d_sites[pick]
    distance[d_rows[pick]] = cm.data[pos[pick]]
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


# --------------------------------------------------------------------------- coverage


class _CoverageModel(_StationModel):
    """Shared parts of MCLP and set cover: coverage lists and the tie-break stage."""

    def __init__(
        self,
        cost: CostInput,
        radius: Any,
        weights: Any,
        *,
        p: int | None,
        rules: PolicyRules | None,
        households: Any,
        tie_break: bool,
        tie_break_time_limit_s: float | None,
    ) -> None:
        super().__init__(cost, weights, p=p, rules=rules, households=households)
        self.radius = _demand_array(radius, self.n_demand, "radius", None)
        self.tie_break = bool(tie_break)
        self.tie_break_time_limit_s = tie_break_time_limit_s
        # Raises model.matrix_too_short when the matrix cannot certify coverage.
        self._cover_all = self.cost.within(self.radius)
        self._cover = self._cover_all.drop_sites(self.rules.excluded)

    def _uncoverable(self) -> tuple[np.ndarray, list[Diagnosis]]:
        counts = self._cover.row_counts
        rows = np.flatnonzero((counts == 0) & (self.weights > 0))
        if rows.size == 0:
            return rows, []
        only_excluded = rows[self._cover_all.row_counts[rows] > 0]
        diags = [
            Diagnosis(
                "solve.uncoverable",
                {
                    "count": int(rows.size),
                    "weight": float(self.weights[rows].sum()),
                    "example": int(rows[0]),
                },
                "warning",
            )
        ]
        if only_excluded.size:
            diags.append(
                Diagnosis(
                    "solve.uncoverable_excluded",
                    {"count": int(only_excluded.size), "example": int(only_excluded[0])},
                    "warning",
                )
            )
        return rows, diags

    def _covered_from_sites(
        self, open_sites: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        site, dist = self.cost.nearest_open(open_sites)
        is_open = np.zeros(self.n_sites, dtype=bool)
        is_open[open_sites] = True
        _, listed = _first_open(self._cover, is_open)
        covered = np.isfinite(listed)
        return site, dist, covered

    def _capped(self, dist: np.ndarray) -> float:
        return float(np.dot(self.weights, np.minimum(dist, self.radius)))

    def _tie_break(
        self,
        stage1: tuple[list, dict[int, pulp.LpVariable], dict[int, pulp.LpVariable]],
        rows: np.ndarray,
        options: SolverOptions,
        deadline: Deadline,
        diags: list[Diagnosis],
        *,
        count: int | None,
        min_cover: float | None,
    ) -> tuple[list, dict[int, pulp.LpVariable], dict[int, pulp.LpVariable]] | None:
        r"""Second stage: keep the primary value, minimise ``sum_i w_i min(d_i, r_i)``.

        ``count`` fixes the number of sites (set cover); ``min_cover`` keeps the covered
        weight (MCLP). Warm-started from the stage-1 plan, so a limited stage 2 never
        returns something worse. Returns the stage-2 ``(y, x, u)`` or ``None``.
        """
        if not (self.tie_break and rows.size):
            return None
        if deadline.expired():
            diags.append(Diagnosis("solve.tie_break_skipped", {}, "info"))
            return None
        y1, x1, u1 = stage1
        cm = self._cover
        prob = pulp.LpProblem("tie_break", pulp.LpMinimize)
        y = self._rule_builder.site_vars(prob)
        self._rule_builder.add(prob, y)
        _set_start(y, _values(y1))
        if count is not None:
            _add(prob, [(v, 1) for v in y], pulp.LpConstraintEQ, count, "count")
        x: dict[int, pulp.LpVariable] = {}
        u: dict[int, pulp.LpVariable] = {}
        if self.capacity is None:
            try:
                terms, const, last = _radius_block(
                    prob, y, cm, cm.levels(), rows, self.weights, self.radius, "t", deadline
                )
            except OutOfTime:
                diags.append(Diagnosis("solve.tie_break_skipped", {}, "info"))
                return None
            if min_cover is not None:
                # Uncovered weight may not exceed what stage 1 left uncovered.
                total = float(self.weights[rows].sum())
                lhs = [(v, float(self.weights[i])) for i, v in last.items() if v is not None]
                _add(prob, lhs, pulp.LpConstraintLE, total - min_cover, "keep_cover")
            else:
                for v in last.values():
                    if v is not None:
                        v.upBound = 0
        else:
            if min_cover is not None:
                u = {i: _var(prob, f"u{i}", 0, 1) for i in rows.tolist()}
                _set_start(list(u.values()), _values([u1[i] for i in u]))
            x, _ = _assign_block(
                prob,
                y,
                cm,
                rows,
                self.households,
                self.capacity,
                self.single_source,
                served=u or None,
            )
            _set_start(list(x.values()), _values([x1[pos] for pos in x]))
            terms = [(v, float(self.weights[cm.rows[pos]] * cm.data[pos])) for pos, v in x.items()]
            const = 0.0
            if min_cover is not None:
                _add(
                    prob,
                    [(ui, float(self.weights[i])) for i, ui in u.items()],
                    pulp.LpConstraintGE,
                    min_cover,
                    "keep_cover",
                )
                # Uncovered demand counts at its radius: capped distance.
                terms += [(ui, -float(self.weights[i] * self.radius[i])) for i, ui in u.items()]
                const = float(np.dot(self.weights[rows], self.radius[rows]))
        prob.setObjective(pulp.LpAffineExpression(terms, constant=const))
        stage2 = deadline.sub(self.tie_break_time_limit_s)
        raw = solve_problem(prob, options, stage2, warm_start=True)
        if not raw.has_solution:
            diags.append(Diagnosis("solve.tie_break_skipped", {}, "info"))
            return None
        if raw.status != OPTIMAL:
            diags.append(Diagnosis("solve.tie_break_partial", {}, "info"))
        return y, x, u


class MCLP(_CoverageModel):
    r"""Maximal covering location: open ``p`` stations, maximise covered weight.

    A demand point is covered when an open site lies within its own radius ``r_i``
    (urban and rural points may differ).

    .. math::

        \max \sum_i w_i u_i \ \text{s.t.}\ u_i \le \sum_{j \in N_i(r_i)} y_j,\
        0 \le u_i \le 1,\ \sum_j y_j = p,\ \text{policy rules}

    ``u_i`` may be continuous: for integral ``y`` the optimum sets
    ``u_i = min(1, sum y)``, which is 0 or 1.

    Ties broken by distance (lexicographic, two stages)
    ---------------------------------------------------
    Many site sets reach the same coverage. Stage 2 keeps the stage-1 coverage
    ``C*`` as a constraint (``sum_i w_i u_i >= C* - 1e-9 max(1, C*)``, a float
    tolerance, so no coverage is traded) and minimises the capped distance
    ``sum_i w_i min(d_i, r_i)`` with the radius formulation of :class:`PMedian` on
    the coverage lists (cost beyond the list = ``r_i``). A weighted single objective
    would need a secondary weight below the smallest coverage difference, which
    real-valued household weights do not give; two stages are exact. Stage 2 is
    warm-started from the stage-1 plan and limited to ``tie_break_time_limit_s``
    (and the overall limit); if it stops early an info diagnosis says so. Status,
    bound and gap always refer to the coverage (stage 1).

    Capacity
    --------
    With ``rules.capacity`` coverage means *served within the radius by a site with
    room*: ``sum_j x_ij = u_i`` over the coverage pairs, ``x_ij <= y_j``,
    ``sum_i h_i x_ij <= C_j y_j`` (``x`` binary with ``single_source``; otherwise a
    demand point may be partly covered). Exact: the coverage pairs are complete.

    Parameters
    ----------
    cost
        Cost matrix complete up to at least ``radius`` in every row.
    p
        Stations to open.
    radius
        Coverage radius, scalar or per demand point (metres).
    weights
        ``w_i``; default 1.
    rules, households
        See :class:`PMedian`.
    tie_break
        Run stage 2.
    tie_break_time_limit_s
        Cap on stage 2's time (``None``: only the overall limit).
    """

    sense = "max"

    def __init__(
        self,
        cost: CostInput,
        p: int,
        radius: Any,
        weights: Any = None,
        *,
        rules: PolicyRules | None = None,
        households: Any = None,
        tie_break: bool = True,
        tie_break_time_limit_s: float | None = 60.0,
    ) -> None:
        super().__init__(
            cost,
            radius,
            weights,
            p=p,
            rules=rules,
            households=households,
            tie_break=tie_break,
            tie_break_time_limit_s=tie_break_time_limit_s,
        )

    @classmethod
    def from_cost_matrix(
        cls, cost: CostInput, p: int, radius: Any, weights: Any = None, **kwargs: Any
    ) -> MCLP:
        """Model on a prepared cost matrix; keyword arguments as in the constructor."""
        return cls(cost, p, radius, weights, **kwargs)

    @classmethod
    def from_points(
        cls,
        demand_xy: np.ndarray,
        site_xy: np.ndarray,
        p: int,
        radius: Any,
        weights: Any = None,
        *,
        circuity: float = 1.0,
        **kwargs: Any,
    ) -> MCLP:
        """Model on coordinates (metres); lists exactly the pairs within ``radius``."""
        cm = sparse_distances(demand_xy, site_xy, radius, circuity)
        return cls(cm, p, radius, weights, **kwargs)

    def solve(
        self, options: SolverOptions | None = None, *, deadline: Deadline | None = None
    ) -> StationSolution:
        """Solve both stages; see the class docstring (``deadline`` as in
        :meth:`PMedian.solve`)."""
        options = options or SolverOptions()
        deadline = Deadline.of(options, deadline)
        uncov, diags = self._uncoverable()
        errors = self._rule_checks(None)
        if errors:
            return self._infeasible(diags + errors, options, deadline)
        cm = self._cover
        rows = np.flatnonzero((cm.row_counts > 0) & (self.weights > 0))
        prob = pulp.LpProblem("mclp", pulp.LpMaximize)
        y = self._rule_builder.site_vars(prob)
        self._rule_builder.add(prob, y)
        u = {i: _var(prob, f"u{i}", 0, 1) for i in rows.tolist()}
        x: dict[int, pulp.LpVariable] = {}
        if self.capacity is None:
            for i, ui in u.items():
                _add(
                    prob,
                    [(ui, 1), *((y[int(j)], -1) for j in cm.row(i)[0])],
                    pulp.LpConstraintLE,
                    0,
                    f"cov{i}",
                )
        else:
            x, _ = _assign_block(
                prob, y, cm, rows, self.households, self.capacity, self.single_source, served=u
            )
        prob.setObjective(
            pulp.LpAffineExpression([(ui, float(self.weights[i])) for i, ui in u.items()])
        )
        raw = solve_problem(prob, options, deadline)
        if raw.status == INFEASIBLE:
            return self._infeasible(diags + self._elastic(options, deadline), options, deadline, 1)
        if not raw.has_solution:
            return self._failed(raw, options, deadline, 1, diags)
        cover_value = float(raw.objective or 0.0)
        stage2 = self._tie_break(
            (y, x, u),
            rows,
            options,
            deadline,
            diags,
            count=None,
            min_cover=cover_value - float(_tol(cover_value)),
        )
        rounds = 1 if stage2 is None else 2
        if self.capacity is not None:
            y2, x2, u2 = stage2 if stage2 is not None else (y, x, u)
            share = {i: float(v.varValue or 0.0) for i, v in u2.items()}
            covered = np.zeros(self.n_demand, dtype=bool)
            covered[[i for i, v in share.items() if v > 0.5]] = True
            objective = float(sum(self.weights[i] * v for i, v in share.items()))
            sol = _capacitated_solution(
                self,
                cm,
                y2,
                x2,
                raw,
                options,
                deadline,
                diags,
                rounds,
                objective=objective,
                covered=covered,
                uncoverable=uncov,
                bound=raw.bound,
            )
            served = np.where(np.isfinite(sol.distance), sol.distance, self.radius)
            # Partly covered points count their uncovered share at the radius.
            cap_d = np.minimum(served, self.radius)
            for i, v in share.items():
                cap_d[i] = v * cap_d[i] + (1 - v) * self.radius[i]
            return _replace_secondary(sol, float(np.dot(self.weights, cap_d)))
        open_sites = np.flatnonzero(_values(y) > 0.5)
        if stage2 is not None:
            candidate = np.flatnonzero(_values(stage2[0]) > 0.5)
            if self._capped(self._covered_from_sites(candidate)[1]) <= self._capped(
                self._covered_from_sites(open_sites)[1]
            ):
                open_sites = candidate
        site, dist, covered = self._covered_from_sites(open_sites)
        objective = float(np.dot(self.weights, covered))
        res = _finish(raw.status, objective, raw.bound, options, "max", diags, rounds, deadline)
        return StationSolution(
            res,
            open_sites,
            site,
            dist,
            objective,
            covered=covered,
            uncoverable=uncov,
            secondary=self._capped(dist),
        )


class SetCover(_CoverageModel):
    r"""Location set covering: fewest stations so every demand point is covered.

    .. math::

        \min \sum_j y_j \ \text{s.t.}\ \sum_{j \in N_i(r_i)} y_j \ge 1
        \quad \forall i \text{ coverable},\ \text{policy rules}

    Demand points with positive weight and no usable candidate within ``r_i``
    (none at all, or only excluded ones) cannot be covered by any plan; they are
    left out of the constraints and *reported* in ``uncoverable`` with a warning
    diagnosis (``solve.uncoverable``), never silently dropped. Zero-weight points
    impose nothing.

    Ties broken by distance as in :class:`MCLP`: stage 2 fixes the number of sites
    to the stage-1 value and minimises ``sum_i w_i d_i`` (each covered point's
    nearest open site within its radius).

    Capacity: each coverable point must be served within its radius by a site with
    room (assignment variables on the coverage pairs, as in :class:`MCLP`). This is
    exact: the coverage pairs are complete.

    Parameters
    ----------
    cost
        Cost matrix complete up to at least ``radius`` in every row.
    radius
        Coverage radius, scalar or per demand point (metres).
    weights
        ``w_i``; points with weight 0 need not be covered. Default 1.
    rules, households, tie_break, tie_break_time_limit_s
        See :class:`MCLP`.
    """

    sense = "min"

    def __init__(
        self,
        cost: CostInput,
        radius: Any,
        weights: Any = None,
        *,
        rules: PolicyRules | None = None,
        households: Any = None,
        tie_break: bool = True,
        tie_break_time_limit_s: float | None = 60.0,
    ) -> None:
        super().__init__(
            cost,
            radius,
            weights,
            p=None,
            rules=rules,
            households=households,
            tie_break=tie_break,
            tie_break_time_limit_s=tie_break_time_limit_s,
        )

    @classmethod
    def from_cost_matrix(
        cls, cost: CostInput, radius: Any, weights: Any = None, **kwargs: Any
    ) -> SetCover:
        """Model on a prepared cost matrix; keyword arguments as in the constructor."""
        return cls(cost, radius, weights, **kwargs)

    @classmethod
    def from_points(
        cls,
        demand_xy: np.ndarray,
        site_xy: np.ndarray,
        radius: Any,
        weights: Any = None,
        *,
        circuity: float = 1.0,
        **kwargs: Any,
    ) -> SetCover:
        """Model on coordinates (metres); lists exactly the pairs within ``radius``."""
        cm = sparse_distances(demand_xy, site_xy, radius, circuity)
        return cls(cm, radius, weights, **kwargs)

    def solve(
        self, options: SolverOptions | None = None, *, deadline: Deadline | None = None
    ) -> StationSolution:
        """Solve both stages; see the class docstring (``deadline`` as in
        :meth:`PMedian.solve`)."""
        options = options or SolverOptions()
        deadline = Deadline.of(options, deadline)
        uncov, diags = self._uncoverable()
        cm = self._cover
        rows = np.flatnonzero((cm.row_counts > 0) & (self.weights > 0))
        errors = self._rule_checks(rows)
        if errors:
            return self._infeasible(diags + errors, options, deadline)
        prob = pulp.LpProblem("set_cover", pulp.LpMinimize)
        y = self._rule_builder.site_vars(prob)
        self._rule_builder.add(prob, y)
        x: dict[int, pulp.LpVariable] = {}
        if self.capacity is None:
            for i in rows.tolist():
                _add(
                    prob, [(y[int(j)], 1) for j in cm.row(i)[0]], pulp.LpConstraintGE, 1, f"cov{i}"
                )
        else:
            x, _ = _assign_block(
                prob, y, cm, rows, self.households, self.capacity, self.single_source
            )
        prob.setObjective(pulp.LpAffineExpression([(v, 1) for v in y]))
        raw = solve_problem(prob, options, deadline)
        if raw.status == INFEASIBLE:
            more = self._elastic(
                options, deadline, cm, rows, with_capacity=self.capacity is not None
            )
            return self._infeasible(diags + more, options, deadline, 1)
        if not raw.has_solution:
            return self._failed(raw, options, deadline, 1, diags)
        count = int(np.sum(_values(y) > 0.5))
        stage2 = self._tie_break(
            (y, x, {}), rows, options, deadline, diags, count=count, min_cover=None
        )
        rounds = 1 if stage2 is None else 2
        if self.capacity is not None:
            y2, x2, _ = stage2 if stage2 is not None else (y, x, {})
            sol = _capacitated_solution(
                self,
                cm,
                y2,
                x2,
                raw,
                options,
                deadline,
                diags,
                rounds,
                objective=float(count),
                uncoverable=uncov,
                bound=raw.bound,
            )
            covered = sol.assignment >= 0
            sol = _replace_secondary(
                sol, float(np.dot(self.weights, np.minimum(sol.distance, self.radius)))
            )
            return StationSolution(
                sol.result,
                sol.sites,
                sol.assignment,
                sol.distance,
                sol.objective,
                covered=covered,
                uncoverable=uncov,
                secondary=sol.secondary,
                allocation=sol.allocation,
            )
        open_sites = np.flatnonzero(_values(y) > 0.5)
        if stage2 is not None:
            candidate = np.flatnonzero(_values(stage2[0]) > 0.5)
            if self._capped(self._covered_from_sites(candidate)[1]) <= self._capped(
                self._covered_from_sites(open_sites)[1]
            ):
                open_sites = candidate
        site, dist, covered = self._covered_from_sites(open_sites)
        res = _finish(raw.status, float(count), raw.bound, options, "min", diags, rounds, deadline)
        return StationSolution(
            res,
            open_sites,
            site,
            dist,
            float(count),
            covered=covered,
            uncoverable=uncov,
            secondary=self._capped(dist),
        )


def _replace_secondary(sol: StationSolution, secondary: float) -> StationSolution:
    return StationSolution(
        sol.result,
        sol.sites,
        sol.assignment,
        sol.distance,
        sol.objective,
        covered=sol.covered,
        uncoverable=sol.uncoverable,
        secondary=secondary,
        allocation=sol.allocation,
    )
