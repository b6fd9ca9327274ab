r"""The p-median: open exactly ``p`` recycling stations, minimise household-weighted
distance (:class:`PMedian`).

Works on a sparse :class:`~planner.instance.distance.CostMatrix` (demand points x
candidate sites, metres) with the shared :class:`~planner.models.PolicyRules`:

* required sites   ``y_j = 1``;
* excluded sites   ``y_j = 0`` (dropped from the matrix and from the distance source);
* site groups      ``min_G <= sum_{j in G} y_j <= max_G`` (a station in every
  township, a station in a community that asked for one, a cap per county);
* cover rules      ``sum_u z_u >= K``, ``z_u <= sum_{j in N(u)} y_j``, ``0 <= z_u <= 1``
  (at least ``K`` of a county's villages with a station within their radius);
* capacity         each open site serves at most ``C_j`` households. This needs
  assignment variables ``x_ij``, created only on the pairs stored in the cost matrix.

Notation used in the docstrings: demand points ``i`` with weight ``w_i`` and
households ``h_i``, candidate sites ``j``, cost ``d_ij`` (metres), open-site binaries
``y_j``, ``N_i(r) = {j : d_ij <= r}``.

Returns a :class:`~planner.models.StationSolution`; see :mod:`planner.models.results`
for the status vocabulary and :mod:`planner.models.diagnosis` for the infeasibility
policy (no exceptions for rules that cannot be met: status ``"infeasible"`` plus
diagnoses).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pulp

from planner.i18n import PlannerError
from planner.instance.distance import CostMatrix, sparse_distances, sparse_knn
from planner.models._base import (
    CostInput,
    SitingModel,
    assign_block,
    capacitated_solution,
    default_k,
    finish,
    grow_all,
    is_restricted,
    radius_block,
    restricted_note,
    set_start,
    split_solution,
    tol,
    var_values,
)
from planner.models._highs import STRONG_INCUMBENT, RawSolve, solve_problem
from planner.models.deadline import Deadline, OutOfTime
from planner.models.diagnosis import Diagnosis
from planner.models.p_median_presolve import presolve, presolved_solution
from planner.models.results import (
    ERROR,
    INFEASIBLE,
    OPTIMAL,
    TIME_LIMIT_FEASIBLE,
    StationSolution,
    relative_gap,
)
from planner.models.rules import PolicyRules, SolverOptions
from planner.models.transport import TransportPlan, repair_sites, transport_assignment
from planner.models.warm import adapt_sites, rules_hold

__all__ = ["PMedian", "initial_k"]

# Longest initial list of from_points. Lists grow exactly where needed, so a cap only
# saves memory: with p = 30 of 20,000 sites, 2 m / p would list 26.7 million pairs.
_MAX_K = 64
# The transportation LP that re-assigns a stopped MIP's open sites gets at least this
# long even when the deadline is spent (well inside the 2 s a tier may overrun).
_REASSIGN_S = 0.5


def initial_k(n_sites: int, p: int, capacity: bool = False) -> int:
    """Initial list length of :meth:`PMedian.from_points` (also for callers' own lists).

    For callers that build the matrix themselves (e.g. from a road network).
    Uncapacitated lists are capped at ``_MAX_K``: with few sites open (``2 m / p``
    large) the presolve fetches the pairs it needs itself and the grow loop lists
    exactly what each row lacks. Capacity pushes demand past its nearest sites and
    its model cannot grow one row at a time, so it keeps three times ``2 m / p`` (at
    least 15), uncapped: its pairs decide which plans count.
    """
    k = default_k(n_sites, p)
    if capacity:
        return min(n_sites, max(3 * k, 15))
    return min(k, _MAX_K)


class PMedian(SitingModel):
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
    capacity, site groups, cover rules or site costs and with a distance source, the
    MIP is preceded by (:mod:`planner.models.p_median_presolve`):

    1. a swap search (fast interchange on sparse pairs,
       :func:`~planner.models.median_search.median_search`) from seeded starts: the
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
        :mod:`~planner.models.p_median_presolve`); ``False`` goes straight to the
        check-and-grow MIP.
    site_cost
        ``f_j``, added to the objective for every open site (same unit as
        ``weights x cost``); negative values make a site preferred (e.g. a station
        beside a refuse transfer station). Default none. Not with capacity.
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
        site_cost: Any = None,
    ) -> None:
        super().__init__(cost, weights, p=p, rules=rules, households=households)
        self.max_rounds = int(max_rounds)
        self.presolve = bool(presolve)
        # Per-site opening cost added to the objective (the sorting-centre tier's
        # uncapacitated relaxation sets it too).
        self._site_cost: np.ndarray | None = None
        if site_cost is not None:
            f = np.asarray(site_cost, dtype=np.float64)
            if f.shape != (self.n_sites,) or not np.all(np.isfinite(f)):
                raise PlannerError("model.bad_value", what="site_cost", value=f.shape)
            if self.capacity is not None and np.any(f):
                raise PlannerError("model.bad_value", what="site_cost", value="capacity")
            self._site_cost = f if np.any(f) else None

    @classmethod
    def from_cost_matrix(
        cls, cost: CostInput, p: int, weights: Any = None, **kwargs: Any
    ) -> PMedian:
        """Model on a prepared cost matrix (see class docstring for ``cost``); keyword
        arguments as in the constructor."""
        return cls(cost, p, weights, **kwargs)

    @classmethod
    def from_points(
        cls,
        demand_xy: np.ndarray,
        site_xy: np.ndarray,
        p: int,
        weights: Any = None,
        *,
        radius: float | np.ndarray | None = None,
        k: int | None = None,
        circuity: float = 1.0,
        **kwargs: Any,
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
        **kwargs
            As in the constructor (``rules``, ``households``, ``max_rounds``,
            ``presolve``).
        """
        site_xy = np.asarray(site_xy, dtype=np.float64)
        if radius is not None:
            cm = sparse_distances(demand_xy, site_xy, radius, circuity)
        else:
            rules = kwargs.get("rules")
            capacity = rules is not None and rules.capacity is not None
            kk = k if k is not None else initial_k(len(site_xy), p, capacity)
            cm = sparse_knn(demand_xy, site_xy, kk, circuity)
        return cls(cm, p, weights, **kwargs)

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
            pre = presolve(self, cm, rows, options, deadline, hint)
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
                return presolved_solution(self, pre, full_cm, rows, options, deadline, diags)
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
                terms, const, _ = radius_block(
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
                set_start(y, start)
            # After the presolve the start is its swap-search plan, usually optimal.
            tuning = STRONG_INCUMBENT if pre is not None else None
            raw = solve_problem(prob, options, deadline, best is not None, tuning)
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
            open_sites = np.flatnonzero(var_values(y) > 0.5)
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
            closed = upper - lower <= max(1e-6, float(tol(upper))) + gap_target * abs(upper)
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
        res = finish(
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
        cost = self._nearest_cost(cm, rows, self.weights)
        return -math.inf if cost is None else cost

    # -------------------------------------------------------------- presolve

    def _presolve_applies(self, cm: CostMatrix) -> bool:
        """Heuristic + Lagrangian presolve: exact p, no groups, cover rules or site
        costs, a source (the swap search and the Lagrangian know none of them)."""
        return (
            self.presolve
            and cm.source is not None
            and self.p is not None
            and self.p_mode == "exact"
            and self._site_cost is None
            and not self.rules.groups
            and not self.rules.cover_rules
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
        _, listed = cm.nearest_listed(sites)
        model_cost = np.where(np.isfinite(listed), listed, beyond)
        _, true_d = cm.nearest_open(sites)
        cost = float(np.dot(self.weights[rows], true_d[rows]))
        if self._site_cost is not None:
            cost += float(self._site_cost[sites].sum())
        under = rows[true_d[rows] > model_cost[rows] + tol(model_cost[rows])]
        return cost, true_d, under

    def _solve_capacitated(
        self, cm: CostMatrix, rows: np.ndarray, options: SolverOptions, deadline: Deadline
    ) -> StationSolution:
        diags: list[Diagnosis] = []
        start, global_bound = self._uncapacitated_start(cm, options, deadline)
        rounds = grew = 0
        fallback = None
        if start is not None and not self.single_source:
            cm, fallback, grew = self._transport_start(cm, rows, start, deadline)
            if fallback is not None and not rules_hold(
                np.flatnonzero(start > 0.5), self.rules, self.n_sites, self.p, self.p_mode
            ):
                # The repair keeps counts and groups but not the village coverage: its
                # plan may only start the MIP, never be returned.
                fallback = None
        while True:
            rounds += 1
            if fallback is not None and deadline.expired():
                deadline.note("skipped")
                return self._transport_solution(
                    cm, fallback, options, deadline, diags, rounds, global_bound, grew, rows=rows
                )
            prob = pulp.LpProblem("cap_p_median", pulp.LpMinimize)
            y = self._rule_builder.site_vars(prob)
            self._rule_builder.add(prob, y)
            try:
                x, _ = assign_block(
                    prob,
                    y,
                    cm,
                    rows,
                    self.households,
                    self.capacity,
                    self.single_source,
                    deadline=deadline,
                )
            except OutOfTime:
                deadline.note("skipped")
                if fallback is not None:
                    return self._transport_solution(
                        cm,
                        fallback,
                        options,
                        deadline,
                        diags,
                        rounds,
                        global_bound,
                        grew,
                        rows=rows,
                    )
                raw = RawSolve(ERROR, None, None, False, "no solution within the limit")
                return self._failed(raw, options, deadline, rounds, diags)
            prob.setObjective(
                pulp.LpAffineExpression(
                    [(v, float(self.weights[cm.rows[pos]] * cm.data[pos])) for pos, v in x.items()]
                )
            )
            if start is not None:
                set_start(y, start)
            if fallback is not None:
                shares = dict(
                    zip(fallback.positions.tolist(), fallback.shares.tolist(), strict=True)
                )
                set_start(list(x.values()), np.array([shares.get(pos, 0.0) for pos in x]))
            raw = solve_problem(prob, options, deadline, warm_start=start is not None)
            if raw.status == INFEASIBLE:
                grown = grow_all(cm, rows)
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
                    bound = max(
                        (b for b in (raw.bound, global_bound) if b is not None), default=None
                    )
                    return self._transport_solution(
                        cm,
                        fallback,
                        options,
                        deadline,
                        diags,
                        rounds,
                        bound,
                        grew,
                        raw.status,
                        rows=rows,
                    )
                return self._failed(raw, options, deadline, rounds, diags)
            break
        if grew:
            diags.append(Diagnosis("solve.grew_pairs", {"rounds": grew}, "info"))
        if is_restricted(cm, rows):
            diags.append(restricted_note(cm, rows, global_bound))
        if not self.single_source and raw.objective is not None:
            # Whatever stopped the MIP, its open sites get their best split assignment
            # (the transportation LP on the same pairs) before the plan is reported.
            better = self._best_split(cm, rows, np.flatnonzero(var_values(y) > 0.5), deadline)
            if better is not None and better.objective < raw.objective - tol(raw.objective):
                diags.append(Diagnosis("solve.reassigned", {
                    "before": raw.objective, "after": better.objective,
                    "n": int(np.count_nonzero(var_values(y) > 0.5)),
                }, "info"))  # fmt: skip
                bound = max((b for b in (raw.bound, global_bound) if b is not None), default=None)
                return self._transport_solution(
                    cm,
                    better,
                    options,
                    deadline,
                    diags,
                    rounds,
                    bound,
                    0,
                    raw.status,
                    rows,
                    note=False,
                )
        # Dropping capacity is a relaxation: the uncapacitated bound still holds when the
        # MIP stopped before proving one of its own (cut off at the deadline).
        bound = max((b for b in (raw.bound, global_bound) if b is not None), default=None)
        return capacitated_solution(
            self, cm, y, x, raw, options, deadline, diags, rounds, bound=bound
        )

    def _best_split(
        self, cm: CostMatrix, rows: np.ndarray, open_sites: np.ndarray, deadline: Deadline
    ) -> TransportPlan | None:
        """The transportation LP on ``open_sites``; it runs for a short while even when
        the deadline is spent (a plan stopped by the limit still gets it)."""
        rem = deadline.remaining()
        seconds = None if rem is None else max(rem, _REASSIGN_S)
        return transport_assignment(
            cm, rows, open_sites, self.weights, self.households, self.capacity, seconds
        )

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
                cm,
                rows,
                open_sites,
                self.weights,
                self.households,
                self.capacity,
                tuple(self.rules.groups),
                np.asarray(self.rules.required, dtype=np.int64),
                deadline=deadline.sub(None if rem is None else 0.5 * rem),
            )
            if plan is not None:
                start[:] = 0.0
                start[open_sites] = 1.0
                return cm, plan, grew
            # Only the lists of the points still short grow: growing every list makes
            # the LP and the MIP many times larger for a few dense communities.
            grown = grow_all(cm, short_rows)
            if grown is None:
                break
            cm, grew = grown, grew + 1
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
        rows: np.ndarray | None = None,
        note: bool = True,
    ) -> StationSolution:
        """The transport plan as the tier's answer, with ``bound`` and its gap.

        Every point served at its nearest allowed site bounds every plan, so the gap is
        stated even when nothing else proved a bound in time (``rows``: the points).
        ``note``: say that the plan is the uncapacitated optimum's sites (it is, unless
        the MIP's sites were re-assigned)."""
        if rows is not None:
            nearest = self._nearest_bound(cm, rows)
            if math.isfinite(nearest):
                bound = nearest if bound is None else max(bound, nearest)
        diags = list(diags)
        if grew:
            diags.append(Diagnosis("solve.grew_pairs", {"rounds": grew}, "info"))
        if note:
            diags.append(Diagnosis("solve.capacity_transport", {}, "info"))
        gap = relative_gap(plan.objective, bound, self.sense) if bound is not None else None
        status = (
            OPTIMAL
            if gap is not None and gap <= (options.gap or 0.0)
            else (
                TIME_LIMIT_FEASIBLE if status in (OPTIMAL, TIME_LIMIT_FEASIBLE, ERROR) else status
            )
        )
        res = finish(status, plan.objective, bound, options, self.sense, diags, rounds, deadline)
        return split_solution(self, cm, plan.positions, plan.shares, res, plan.objective)

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
