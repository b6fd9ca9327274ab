r"""Sorting-centre siting: capacitated facility location over the stations.

Stations (with their collected tonnage, t/day) are the demand; candidate sorting
centres (capacity t/day, optional fixed cost) are the sites. The model reuses the
station tier's :class:`~planner.models.PolicyRules` (required / excluded centres,
"at least one centre per county" groups) and diagnosis machinery.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
import pulp

from planner.i18n import PlannerError
from planner.instance.distance import CostMatrix, sparse_distances, sparse_knn
from planner.models._base import (
    CostInput,
    RuleBuilder,
    SitingModel,
    add_row,
    as_cost_matrix,
    default_k,
    demand_array,
    finish,
    finite_capacity,
    grow_all,
    is_restricted,
    largest_share,
    new_var,
    restricted_note,
    set_start,
    tol,
    var_values,
    within_gap,
)
from planner.models._highs import STRONG_INCUMBENT, solve_problem
from planner.models.assignment import SiteAssignment, assign_to_sites, reassigned_plan
from planner.models.capacitated_search import (
    DENSE_LIMIT,
    CapacitatedPlan,
    capacitated_search,
    listed_neighbours,
)
from planner.models.centre_lagrangian import (
    CentreIncumbent,
    CentreLagrangian,
    centre_lagrangian_bound,
)
from planner.models.deadline import Deadline, OutOfTime, check_time
from planner.models.diagnosis import Diagnosis
from planner.models.p_median import PMedian
from planner.models.results import (
    ERROR,
    INFEASIBLE,
    OPTIMAL,
    TIME_LIMIT_FEASIBLE,
    CentreSolution,
    SolveResult,
    relative_gap,
)
from planner.models.rules import PolicyRules, SolverOptions
from planner.models.warm import adapt_sites

__all__ = ["SortingCentreModel"]


_NO_TIME = Diagnosis("solve.no_solution_in_limit")

# Share of the remaining time for the uncapacitated relaxation and for the local
# search (each also capped in seconds); the MIP, when needed, gets the rest.
_RELAX_SHARE, _RELAX_CAP_S = 0.25, 60.0
_SEARCH_SHARE, _SEARCH_CAP_S = 0.15, 20.0
# Re-assigning the stations to a plan's open centres before it is reported: at least
# this long even when the deadline is spent (well inside the 2 s a tier may overrun),
# at most the cap.
_REASSIGN_S, _REASSIGN_CAP_S = 0.5, 10.0
# Share of the remaining time for improving a plan's assignment before the gap checks.
_POLISH_SHARE = 0.1
# Share of the remaining time (and cap) for the Lagrangian bound when the
# uncapacitated one does not prove the search's plan.
_LAGR_SHARE, _LAGR_CAP_S = 0.25, 20.0


class _UncapacitatedCentres(PMedian):
    """The centre model without capacity: p-median (or UFL) with fixed costs.

    Same rules, same cost (``weights`` x matrix) and exact check-and-grow, so its
    bound holds for every capacitated plan, whatever pairs that plan uses.
    """

    def __init__(
        self,
        cost: CostMatrix,
        p: int | None,
        weights: np.ndarray,
        rules: PolicyRules,
        p_mode: str,
        fixed_cost: np.ndarray,
    ) -> None:
        super().__init__(cost, p, weights, rules=rules)  # type: ignore[arg-type]
        self.p_mode = p_mode
        self._rule_builder = RuleBuilder(self.rules, self.n_sites, self.p, p_mode)
        self._site_cost = fixed_cost if np.any(fixed_cost) else None


class SortingCentreModel(SitingModel):
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

    How it is solved
    ----------------
    1. *Relaxation.* The same model without capacity (a p-median, or an
       uncapacitated facility location with the fixed costs) is solved exactly with
       the radius formulation and check-and-grow of :class:`PMedian`. Dropping
       capacity, single sourcing and any pair restriction is a relaxation, so its
       proven bound ``LB`` holds for every capacitated plan.
    2. *Heuristic.* Starting from the relaxation's sites, a capacity-aware swap local
       search (:func:`~planner.models.capacitated_search.capacitated_search`) finds a feasible
       single-source plan of cost ``UB``, pricing any station-centre pair (exact
       distances from the matrix's source). When the relaxation finds nothing in its
       share of a time limit, the search starts from a greedy plan meeting the count
       and rules, and ``LB`` is every station's nearest allowed candidate. The plan's
       stations are then re-assigned to its centres as well as they can be
       (:func:`~planner.models.assignment.reassigned_plan`) before any gap check.
    3. If ``UB - LB <= gap x UB`` the plan is returned as ``"optimal"`` with bound
       ``LB``: a proven gap against *every* plan, with no pair restriction at all
       (info diagnosis ``solve.centre_bound``; common when few centres are full).
    4. Otherwise (or without a plan) the Lagrangian of
       :mod:`~planner.models.centre_lagrangian` (serve-once rows relaxed, 0-1
       knapsacks for single sourcing) gives a bound on every plan, plans built from
       its rounds' sites (kept when cheaper) and reduced-cost fixing of sites and,
       single-source, of pairs. If it proves the plan: ``solve.centre_lagrangian_bound``.
    5. Otherwise the MIP below runs with those sites and pairs fixed and the best plan
       as its start (the pair lists first grown to hold the plan's pairs); the
       reported bound is the largest of the MIP's and the others.

    ``heuristic=False`` skips 1-4 (the MIP alone, as in earlier versions).

    Sparse pairs and the grow fallback
    ----------------------------------
    In the MIP ``x_ij`` exists only for the pairs stored in the cost matrix (by
    default each station's k nearest candidates, ties included; or a radius), plus
    the pairs of the heuristic plan. This is a *restriction*: "optimal" means optimal
    among plans that send every station to one of its listed candidates, and the
    solution carries a ``solve.restricted_pairs_bound`` (or ``solve.restricted_pairs``)
    info diagnosis saying so, with the relaxation's bound that holds without the
    restriction. Complete rows (a dense or ``radius=inf`` matrix) make it exact. When
    the restriction makes the model infeasible although the arithmetic checks pass
    (capacity needed far away), every growable row's radius is doubled and the model
    re-solved, up to ``max_rounds`` times; only then is infeasibility reported (with
    an elastic diagnosis).

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
    heuristic
        Run the relaxation and the local search first (see "How it is solved").
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
        heuristic: bool = True,
    ) -> None:
        if rules is not None and rules.capacity is not None:
            raise PlannerError("model.bad_value", what="rules.capacity", value="use capacity=")
        super().__init__(cost, tonnage, p=p, rules=rules, households=tonnage)
        if p_mode not in ("exact", "at_most"):
            raise PlannerError("model.bad_value", what="p_mode", value=p_mode)
        m = self.n_sites
        self.tonnage = self.weights
        self.capacity = finite_capacity(
            demand_array(capacity, m, "capacity", None, allow_inf=True),
            float(self.tonnage.sum()),
        )
        self.fixed_cost = demand_array(fixed_cost, m, "fixed_cost", 0.0)
        self.multi_source = bool(multi_source)
        self.single_source = not self.multi_source
        self.cost_per_tonne_metre = float(cost_per_tonne_metre)
        self.total_cost = bool(total_cost)
        self.max_rounds = int(max_rounds)
        # The relaxation and the local search know no cover rules: with any, the MIP
        # alone (which has them) decides.
        self.heuristic = bool(heuristic) and not self.rules.cover_rules
        self.p_mode = p_mode
        self._rule_builder = RuleBuilder(self.rules, m, self.p, p_mode)

    @classmethod
    def from_cost_matrix(
        cls, cost: CostInput, tonnage: Any, capacity: Any, p: int | None = None, **kwargs: Any
    ) -> SortingCentreModel:
        """Model on a prepared matrix; keyword arguments as in the constructor."""
        return cls(as_cost_matrix(cost), tonnage, capacity, p, **kwargs)

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

    def solve(
        self,
        options: SolverOptions | None = None,
        start: Sequence[int] | None = None,
        *,
        deadline: Deadline | None = None,
    ) -> CentreSolution:
        """Solve; see the class docstring for the steps and what they prove.

        ``start``: centre site indices of a neighbouring plan (e.g. the previous point
        of a sweep), handed to the uncapacitated relaxation as its first incumbent.
        ``deadline``: the tier's wall-clock budget, already running (it then replaces
        ``options.time_limit_s``).
        """
        options = options or SolverOptions()
        deadline = Deadline.of(options, deadline)
        cm = self.cost.drop_sites(self.rules.excluded)
        rows = np.arange(self.n_demand)
        diags = self._rule_checks(rows) + self._unreachable(cm, rows)
        if any(d.severity == "error" for d in diags):
            return self._no_plan(INFEASIBLE, diags, options, deadline, 0)
        plan, global_bound, rounds = None, None, 0
        if self.heuristic:
            start, global_bound, rounds = self._relaxation(options, deadline, start)
            if start is None:
                # The relaxation found nothing in its share of the time: search from a
                # greedy plan instead, bounded by the nearest-candidate cost.
                start = self._greedy_start(cm)
                global_bound = _max_bound(global_bound, self._nearest_bound(cm, rows))
            if start is not None:
                plan = self._polished(cm, self._search(cm, start, deadline), deadline)
        proof = "solve.centre_bound"
        fixing = None
        lagrangian_wanted = plan is None or not within_gap(plan.cost, global_bound, options.gap)
        if self.heuristic and lagrangian_wanted:
            # Capacity binds where the uncapacitated bound is weak: the Lagrangian bound
            # (assignment rows relaxed) holds for every plan too and is often tighter;
            # its heuristic may improve the plan and its fixing shrinks the MIP.
            fixing = self._lagrangian(cm, plan, deadline, options.gap)
            if fixing is not None:
                lagrangian = fixing.bound if math.isfinite(fixing.bound) else None
                if lagrangian is not None and (global_bound is None or lagrangian > global_bound):
                    global_bound, proof = lagrangian, "solve.centre_lagrangian_bound"
                found = _better_plan(plan, fixing.incumbent, self.n_demand)
                if found is not plan:
                    plan = self._polished(cm, found, deadline)
        if plan is not None and within_gap(plan.cost, global_bound, options.gap):
            return self._from_plan(
                cm, plan, OPTIMAL, global_bound, options, deadline, diags, rounds, proof=proof
            )
        if plan is not None and deadline.expired():
            # No time left for the MIP (building it would overrun): the plan in hand.
            deadline.note("skipped")
            return self._from_plan(
                cm, plan, TIME_LIMIT_FEASIBLE, global_bound, options, deadline, diags, rounds
            )
        if plan is not None:
            cm = self._fit_plan(cm, plan)
        grew = 0
        while True:
            rounds += 1
            try:
                prob, y, x = self._build(cm, rows, deadline)
            except OutOfTime:
                # Building the MIP used up the budget: the plan in hand, if any.
                deadline.note("skipped")
                if plan is None:
                    return self._no_plan(ERROR, [_NO_TIME], options, deadline, rounds)
                return self._from_plan(
                    cm, plan, TIME_LIMIT_FEASIBLE, global_bound, options, deadline, diags, rounds
                )
            if plan is not None:
                self._set_plan_start(cm, plan, y, x)
            if fixing is not None and plan is not None and plan.cost <= fixing.upper:
                # Sites fixed by their Lagrangian bounds: no plan cheaper than the start
                # differs there, so the reduced MIP's bound holds for every plan.
                _fix_sites(y, x, cm, fixing)
            # A single-source start is close to optimal (CFLP's is not: RINS improves it).
            tuning = STRONG_INCUMBENT if plan is not None and self.single_source else None
            raw = solve_problem(prob, options, deadline, plan is not None, tuning)
            if raw.status == INFEASIBLE and plan is None:
                grown = grow_all(cm, rows)
                if grown is not None and rounds < self.max_rounds and not deadline.expired():
                    cm, grew = grown, grew + 1
                    continue
                more = self._elastic(options, deadline, cm, rows, with_capacity=True)
                return self._no_plan(INFEASIBLE, diags + more, options, deadline, rounds)
            break
        if grew:
            diags.append(Diagnosis("solve.grew_pairs", {"rounds": grew}, "info"))
        if is_restricted(cm, rows):
            diags.append(restricted_note(cm, rows, global_bound))
        mip_better = raw.has_solution and (
            plan is None or (raw.objective or 0.0) <= plan.cost + float(tol(plan.cost))
        )
        if not mip_better:
            if plan is None:
                return self._failed(raw, options, deadline, rounds, diags)
            # The solver stopped without improving on (or accepting) the heuristic plan,
            # which is then at least as good as anything it proved a bound for.
            bound = _max_bound(raw.bound, global_bound)
            closed = raw.status == OPTIMAL or within_gap(plan.cost, bound, options.gap)
            status = OPTIMAL if closed else TIME_LIMIT_FEASIBLE
            # The MIP's bound holds on the listed pairs only: so must the re-assignment.
            return self._from_plan(
                cm, plan, status, bound, options, deadline, diags, rounds, listed_only=True
            )
        centres = np.flatnonzero(var_values(y) > 0.5)
        pos = np.fromiter(x.keys(), dtype=np.int64, count=len(x))
        share = var_values(list(x.values()))
        pos, share, _, _ = largest_share(cm, pos, share, self.n_demand)
        st, ce = cm.rows[pos], cm.indices[pos]
        bound = _max_bound(raw.bound, global_bound)
        # The MIP's bound holds on the listed pairs only: the re-assignment keeps to them.
        return self._reported(
            cm, centres, (st, ce, share), raw.status, bound, options, deadline, diags, rounds,
            listed_only=True,
        )  # fmt: skip

    # -------------------------------------------------------------- heuristic path

    def _unit_weights(self) -> np.ndarray:
        """Cost per matrix unit of each station (the relaxation's p-median weights)."""
        if self.total_cost:
            return np.ones(self.n_demand)
        return self.cost_per_tonne_metre * self.tonnage

    def _relaxation(
        self, options: SolverOptions, deadline: Deadline, hint: Sequence[int] | None = None
    ) -> tuple[np.ndarray | None, float | None, int]:
        """Sites and proven bound of the uncapacitated relaxation (step 1)."""
        rem = deadline.remaining()
        budget = _RELAX_CAP_S if rem is None else min(_RELAX_CAP_S, _RELAX_SHARE * rem)
        if budget < 0.1:
            return None, None, 0
        relaxed = _UncapacitatedCentres(
            _short_lists(self.cost, self.p),
            self.p,
            self._unit_weights(),
            self.rules,
            self.p_mode,
            self.fixed_cost,
        )
        # A hundredth of the gap asked: cheap, as the p-median LP is nearly integral.
        gap = None if options.gap is None else options.gap / 100
        quick = replace(options, time_limit_s=budget, gap=gap)
        sol = relaxed.solve(quick, start=hint, deadline=deadline.sub(budget))
        rounds = sol.result.rounds
        if not sol.result.has_plan:
            return None, None, rounds
        return np.asarray(sol.sites, dtype=np.int64), sol.bound, rounds

    def _greedy_start(self, cm: CostMatrix) -> np.ndarray | None:
        """Sites of a quick plan meeting the count and rules (capacity left to the search)."""
        if self.p is None:
            return None
        return adapt_sites(
            cm, self._unit_weights(), np.empty(0, dtype=np.int64), self.p, self.rules, self.p_mode
        )

    def _nearest_bound(self, cm: CostMatrix, rows: np.ndarray) -> float | None:
        """Bound of every plan: each station at its nearest allowed candidate."""
        return self._nearest_cost(cm, rows, self._unit_weights())

    def _search(
        self, cm: CostMatrix, start: np.ndarray, deadline: Deadline
    ) -> CapacitatedPlan | None:
        """Capacity-aware local search from the relaxation's sites (step 2)."""
        rem = deadline.remaining()
        budget = _SEARCH_CAP_S if rem is None else min(_SEARCH_CAP_S, _SEARCH_SHARE * rem)
        unit = self._unit_weights()

        def columns(sites: np.ndarray) -> np.ndarray:
            return unit[:, None] * cm.columns(sites)

        neighbours = None
        if self.n_demand * self.n_sites > DENSE_LIMIT:
            neighbours = listed_neighbours(cm)
        allowed = np.ones(self.n_sites, dtype=bool)
        allowed[self.rules.excluded] = False
        return capacitated_search(
            columns,
            self.tonnage,
            self.capacity,
            self.fixed_cost,
            start,
            allowed=allowed,
            required=self.rules.required,
            groups=[(g.sites, g.min_open, g.max_open) for g in self.rules.groups],
            p=self.p,
            p_mode=self.p_mode,
            neighbours=neighbours,
            seconds=budget,
        )

    def _lagrangian(
        self, cm: CostMatrix, plan: CapacitatedPlan | None, deadline: Deadline, gap: float | None
    ) -> CentreLagrangian | None:
        """Bound, plan and site fixing of :mod:`planner.models.centre_lagrangian` from a share
        of the time, until ``plan`` is within ``gap``; ``None``: too large or no time."""
        if self.n_demand * self.n_sites > DENSE_LIMIT:
            return None
        rem = deadline.remaining()
        budget = _LAGR_CAP_S if rem is None else min(_LAGR_CAP_S, _LAGR_SHARE * rem)
        if budget < 0.2:
            return None
        dist = cm.columns(np.arange(self.n_sites))
        costs = np.where(np.isfinite(dist), self._unit_weights()[:, None] * dist, np.inf)
        return centre_lagrangian_bound(
            costs,
            self.tonnage,
            self.capacity,
            self.fixed_cost,
            p=self.p,
            p_mode=self.p_mode,
            groups=[(g.sites, g.min_open, g.max_open) for g in self.rules.groups],
            required=self.rules.required,
            excluded=self.rules.excluded,
            upper=None if plan is None else plan.cost,
            seconds=budget,
            single_source=self.single_source,
            heuristic=True,
            fixing=True,
            gap=gap,
        )

    def _polished(
        self, cm: CostMatrix, plan: CapacitatedPlan | None, deadline: Deadline
    ) -> CapacitatedPlan | None:
        """``plan`` with the best assignment found to its open centres.

        The gap checks that follow compare a plan's cost with the bounds, so the plan
        is improved before them, not only before reporting: a search plan whose sites
        are right but whose assignment is a few tenths of a percent off is then proven
        without a MIP."""
        rem = deadline.remaining()
        budget = _REASSIGN_CAP_S if rem is None else min(_REASSIGN_CAP_S, _POLISH_SHARE * rem)
        if plan is None or budget < _REASSIGN_S:
            return plan
        dist = cm.columns(plan.sites)
        costs = np.where(np.isfinite(dist), self._unit_weights()[:, None] * dist, np.inf)
        fixed = float(self.fixed_cost[plan.sites].sum())
        capacity = self.capacity[plan.sites]
        return reassigned_plan(
            plan, costs, self.tonnage, capacity, fixed, self.multi_source, budget
        )

    def _plan_distance(self, cm: CostMatrix, plan: CapacitatedPlan) -> np.ndarray:
        block = cm.columns(plan.sites)
        col = np.searchsorted(plan.sites, plan.assignment)
        return block[np.arange(self.n_demand), col]

    def _fit_plan(self, cm: CostMatrix, plan: CapacitatedPlan) -> CostMatrix:
        """Grow the rows whose list misses the plan's pair, so the MIP start is valid."""
        dist = self._plan_distance(cm, plan)
        need = np.flatnonzero(dist > cm.radius)
        if need.size == 0 or cm.source is None:
            return cm
        return cm.grow(need, dist[need])

    def _set_plan_start(
        self, cm: CostMatrix, plan: CapacitatedPlan, y: list, x: dict[int, pulp.LpVariable]
    ) -> None:
        start_y = np.zeros(self.n_sites)
        start_y[plan.sites] = 1.0
        set_start(y, start_y)
        pos = np.fromiter(x.keys(), dtype=np.int64, count=len(x))
        chosen = (cm.indices[pos] == plan.assignment[cm.rows[pos]]).astype(np.float64)
        if plan.split is not None:
            share = np.zeros((self.n_demand, self.n_sites))
            share[plan.split[0], plan.split[1]] = plan.split[2]
            chosen = share[cm.rows[pos], cm.indices[pos]]
        set_start(list(x.values()), chosen)

    def _from_plan(
        self,
        cm: CostMatrix,
        plan: CapacitatedPlan,
        status: str,
        bound: float | None,
        options: SolverOptions,
        deadline: Deadline,
        diags: list[Diagnosis],
        rounds: int,
        proof: str | None = None,
        listed_only: bool = False,
    ) -> CentreSolution:
        """The search's plan as the answer (its assignment improved where it can be)."""
        st = np.arange(self.n_demand)
        allocation = (st, plan.assignment.astype(np.int64), np.ones(self.n_demand))
        if plan.split is not None:
            allocation = plan.split
        return self._reported(
            cm, plan.sites, allocation, status, bound, options, deadline, diags, rounds,
            proof, listed_only,
        )  # fmt: skip

    def _reported(
        self,
        cm: CostMatrix,
        centres: np.ndarray,
        allocation: tuple[np.ndarray, np.ndarray, np.ndarray],
        status: str,
        bound: float | None,
        options: SolverOptions,
        deadline: Deadline,
        diags: list[Diagnosis],
        rounds: int,
        proof: str | None = None,
        listed_only: bool = False,
    ) -> CentreSolution:
        """The plan on ``centres`` as the tier's answer, whatever stopped the solve.

        Before reporting, the stations are re-assigned to the open centres as well as
        they can be (:mod:`planner.models.assignment`: the transportation LP when
        tonnage may be split, repair, local search and the exact generalized
        assignment when not); the better of that and ``allocation`` is returned, and
        the objective is the cost of exactly the plan returned. ``bound`` must hold for
        every plan; the status becomes ``"optimal"`` only when the returned plan is
        within the gap target of it. ``proof``: the key of the info diagnosis saying
        which bound proves it (``solve.centre_bound``: the uncapacitated relaxation;
        ``solve.centre_lagrangian_bound``), stated with the returned plan's gap. ``listed_only``:
        stations may only move to centres on their lists (the MIP's restriction, which
        its bound assumes).
        """
        centres = np.asarray(centres, dtype=np.int64)
        # Every station at its nearest allowed candidate bounds every plan: a gap is
        # stated even when the solver was cut off before it reported a bound.
        bound = _max_bound(bound, self._nearest_bound(cm, np.arange(self.n_demand)))
        unit = self._unit_weights()
        dist = cm.columns(centres)
        if listed_only:
            col_of = np.full(self.n_sites, -1, dtype=np.int64)
            col_of[centres] = np.arange(centres.size)
            hit = col_of[cm.indices] >= 0
            listed = np.full(dist.shape, np.inf)
            listed[cm.rows[hit], col_of[cm.indices[hit]]] = cm.data[hit]
            dist = listed
        costs = np.where(np.isfinite(dist), unit[:, None] * dist, np.inf)
        st, ce, share = allocation
        col = np.searchsorted(centres, ce)
        transport = float(np.dot(costs[st, col], share))
        better = self._reassign(costs, centres, st, col, share, deadline)
        notes = []
        if better is not None and better.cost < transport - float(tol(transport)):
            notes.append(
                Diagnosis(
                    "solve.reassigned",
                    {"before": transport, "after": better.cost, "n": int(centres.size)},
                    "info",
                )
            )
            st, col, share, transport = better.rows, better.cols, better.shares, better.cost
        ce = centres[col]
        fixed = float(self.fixed_cost[centres].sum())
        objective = transport + fixed
        if status == TIME_LIMIT_FEASIBLE and within_gap(objective, bound, options.gap):
            status = OPTIMAL  # the returned plan is within the gap target of the bound
        if proof is not None and bound is not None:
            gap = relative_gap(objective, bound) or 0.0
            diags = [
                *diags,
                Diagnosis(
                    proof,
                    {"gap": f"{100 * gap:.3g}%", "bound": float(bound)},
                    "info",
                ),
            ]
        diags = [*diags, *notes]
        assignment = np.full(self.n_demand, -1, dtype=np.int64)
        first = np.lexsort((-share, st))
        lead = np.ones(first.size, dtype=bool)
        lead[1:] = st[first][1:] != st[first][:-1]
        pick = first[lead]
        assignment[st[pick]] = ce[pick]
        distance = np.full(self.n_demand, np.inf)
        distance[st[pick]] = dist[st[pick], col[pick]]
        load = np.bincount(ce, weights=self.tonnage[st] * share, minlength=self.n_sites)
        res = finish(status, objective, bound, options, "min", diags, rounds, deadline)
        return CentreSolution(
            res,
            centres,
            assignment,
            distance,
            load,
            transport,
            fixed,
            objective,
            allocation=(st, ce, share),
        )

    def _reassign(
        self,
        costs: np.ndarray,
        centres: np.ndarray,
        st: np.ndarray,
        col: np.ndarray,
        share: np.ndarray,
        deadline: Deadline,
    ) -> SiteAssignment | None:
        """Best assignment found to ``centres`` (costs per station and open centre).

        It runs even when the deadline is spent: a short, bounded step
        (:data:`_REASSIGN_S` at least), so a plan stopped by the limit is still
        reported with the best assignment for its centres."""
        rem = deadline.remaining()
        seconds = _REASSIGN_CAP_S if rem is None else max(_REASSIGN_S, min(rem, _REASSIGN_CAP_S))
        return assign_to_sites(
            costs, self.tonnage, self.capacity[centres], (st, col, share),
            self.multi_source, seconds,
        )  # fmt: skip

    def _build(self, cm: CostMatrix, rows: np.ndarray, deadline: Deadline | None = None):
        """The MIP; raises :class:`~planner.models.OutOfTime` if ``deadline`` is spent."""
        prob = pulp.LpProblem("sorting_centres", pulp.LpMinimize)
        y = self._rule_builder.site_vars(prob)
        self._rule_builder.add(prob, y)
        pair_cost = self._pair_costs(cm)
        x: dict[int, pulp.LpVariable] = {}
        load: dict[int, list] = {}
        for n, i in enumerate(rows.tolist()):
            check_time(deadline, n, every=64)
            terms = []
            for pos in range(int(cm.indptr[i]), int(cm.indptr[i + 1])):
                j = int(cm.indices[pos])
                v = new_var(prob, f"x{pos}", 0, 1, binary=self.single_source)
                x[pos] = v
                terms.append((v, 1))
                add_row(prob, [(v, 1), (y[j], -1)], pulp.LpConstraintLE, 0, f"link{pos}")
                if self.tonnage[i] > 0:
                    load.setdefault(j, []).append((v, float(self.tonnage[i])))
            add_row(prob, terms, pulp.LpConstraintEQ, 1, f"serve{i}")
        for j, terms in load.items():
            add_row(
                prob, [*terms, (y[j], -float(self.capacity[j]))], pulp.LpConstraintLE, 0, f"cap{j}"
            )
        total = float(self.tonnage.sum())
        if total > 0:
            add_row(
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

    def _empty(self, result: SolveResult) -> CentreSolution:
        n = self.n_demand
        return CentreSolution(
            result,
            np.empty(0, dtype=np.int64),
            np.full(n, -1),
            np.full(n, np.inf),
            np.zeros(self.n_sites),
            None,
            None,
            None,
        )


def _short_lists(cm: CostMatrix, p: int | None) -> CostMatrix:
    """The p-median's usual short lists (about ``2 m / p`` per row), when rows can grow.

    The relaxation is exact whatever the lists (check-and-grow), but each listed pair
    costs LP columns; long MIP lists would only slow it down. Without a distance
    source unlisted pairs are unusable, so the lists are kept as they are.
    """
    if cm.source is None:
        return cm
    k = default_k(cm.n_sites, p if p else max(1, cm.n_sites // 10))
    counts = cm.row_counts
    kth = np.full(cm.n_demand, np.inf)
    long = counts > k
    kth[long] = cm.data[cm.indptr[:-1][long] + k - 1]
    return cm.within(np.minimum(cm.radius, kth))


def _better_plan(
    plan: CapacitatedPlan | None, found: CentreIncumbent | None, n: int
) -> CapacitatedPlan | None:
    """The Lagrangian heuristic's plan when cheaper than the search's (or it has none)."""
    if found is None:
        return plan
    if plan is not None and found.cost >= plan.cost - float(tol(plan.cost)):
        return plan
    split = (found.rows, found.sites[found.cols], found.shares)
    return CapacitatedPlan(found.sites, found.assignment(n), found.cost, split=split)


def _fix_sites(y: list, x: dict, cm: CostMatrix, fixing: CentreLagrangian) -> None:
    """Fix the MIP's sites and pairs the Lagrangian bounds rule out."""
    for j in fixing.fixed_open.tolist():
        y[j].lowBound = 1
    for j in fixing.fixed_closed.tolist():
        y[j].upBound = 0
    if fixing.closed_pairs is not None:
        for pos, v in x.items():
            if fixing.closed_pairs[cm.rows[pos], cm.indices[pos]]:
                v.upBound = 0


def _max_bound(*bounds: float | None) -> float | None:
    known = [b for b in bounds if b is not None and math.isfinite(b)]
    return max(known) if known else None
