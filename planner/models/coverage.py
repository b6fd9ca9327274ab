r"""Coverage models of the recycling-station tier: maximal covering (:class:`MCLP`) and
location set covering (:class:`SetCover`).

A demand point ``i`` is covered when an open site lies within its own radius ``r_i``
(urban and rural points may differ): ``N_i(r_i) = {j : d_ij <= r_i}`` over a sparse
:class:`~planner.instance.distance.CostMatrix` complete up to the radius. Both models
share the :class:`~planner.models.PolicyRules` (see :mod:`planner.models.p_median` for
the notation), one constructor path, the check of uncoverable demand and the
distance tie-break (stage 2), and differ only in what coverage is: the objective
(MCLP) or a constraint on every coverable point (set cover).
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import Any

import numpy as np
import pulp

from planner.instance.distance import CostMatrix, sparse_distances
from planner.models._base import (
    CostInput,
    SitingModel,
    add_row,
    assign_block,
    capacitated_solution,
    demand_array,
    finish,
    new_var,
    radius_block,
    set_start,
    tol,
    var_values,
)
from planner.models._highs import RawSolve, solve_problem
from planner.models.deadline import Deadline, OutOfTime
from planner.models.diagnosis import Diagnosis
from planner.models.results import INFEASIBLE, OPTIMAL, StationSolution
from planner.models.rules import PolicyRules, SolverOptions

__all__ = ["MCLP", "SetCover"]

_Stage = tuple[list, dict[int, pulp.LpVariable], dict[int, pulp.LpVariable]]


class _CoverageModel(SitingModel):
    """Shared parts of MCLP and set cover: construction, coverage lists, both stages."""

    #: Coverage is a constraint on every coverable point (set cover), not the objective.
    _must_cover = False
    #: Name of the stage-1 PuLP problem.
    _problem = "coverage"

    def __init__(
        self,
        cost: CostInput,
        radius: Any,
        weights: Any = None,
        *,
        p: int | None = None,
        rules: PolicyRules | None = None,
        households: Any = None,
        tie_break: bool = True,
        tie_break_time_limit_s: float | None = 60.0,
        site_discount: Any = None,
    ) -> None:
        super().__init__(cost, weights, p=p, rules=rules, households=households)
        self.radius = demand_array(radius, self.n_demand, "radius", None)
        self.tie_break = bool(tie_break)
        self.tie_break_time_limit_s = tie_break_time_limit_s
        # Raises model.matrix_too_short when the matrix cannot certify coverage.
        self._cover_all = self.cost.within(self.radius)
        self._cover = self._cover_all.drop_sites(self.rules.excluded)
        self._tie_cover = self._discounted(site_discount)

    def _discounted(self, discount: Any) -> CostMatrix:
        """The coverage pairs as stage 2 prices them: each pair's distance less its
        site's discount (metres, not below 0); the same pairs, so the same coverage."""
        if discount is None:
            return self._cover
        disc = np.asarray(discount, dtype=np.float64)
        if disc.shape != (self.cost.n_sites,) or not np.isfinite(disc).all() or (disc < 0).any():
            raise ValueError("site_discount: one finite value >= 0 per site")
        if not disc.any():
            return self._cover
        if self.capacity is not None:
            raise ValueError("site_discount is not modelled with capacity")
        cm = self._cover
        priced = np.maximum(cm.data - disc[cm.indices], 0.0)
        return CostMatrix.from_coo(
            cm.rows, cm.indices, priced, cm.n_demand, cm.n_sites, radius=cm.radius
        )

    def _stage2_value(self, open_sites: np.ndarray) -> float:
        """Stage 2's objective of a plan: ``sum_i w_i min(d'_i, r_i)`` with the
        discounted distances ``d'`` (the plain capped distance without a discount)."""
        if self._tie_cover is self._cover:
            return self._capped(self._covered_from_sites(open_sites)[1])
        _, priced = self._tie_cover.nearest_listed(open_sites)
        return self._capped(priced)

    @classmethod
    def from_cost_matrix(cls, cost: CostInput, *args: Any, **kwargs: Any) -> Any:
        """Model on a prepared cost matrix; the other arguments as in the constructor."""
        return cls(cost, *args, **kwargs)

    @classmethod
    def from_points(
        cls,
        demand_xy: np.ndarray,
        site_xy: np.ndarray,
        *args: Any,
        circuity: float = 1.0,
        **kwargs: Any,
    ) -> Any:
        """Model on coordinates (metres); lists exactly the pairs within ``radius``.

        The other arguments are the constructor's after ``cost`` (``radius`` among
        them); ``circuity`` is the road / straight-line factor.
        """
        radius = inspect.signature(cls).bind(None, *args, **kwargs).arguments["radius"]
        return cls(sparse_distances(demand_xy, site_xy, radius, circuity), *args, **kwargs)

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
        _, listed = self._cover.nearest_listed(open_sites)
        covered = np.isfinite(listed)
        return site, dist, covered

    def solve(
        self, options: SolverOptions | None = None, *, deadline: Deadline | None = None
    ) -> StationSolution:
        """Solve both stages; see the class docstring (``deadline`` as in
        :meth:`~planner.models.PMedian.solve`)."""
        options = options or SolverOptions()
        deadline = Deadline.of(options, deadline)
        uncov, diags = self._uncoverable()
        cm = self._cover
        rows = np.flatnonzero((cm.row_counts > 0) & (self.weights > 0))
        errors = self._rule_checks(rows if self._must_cover else None)
        if errors:
            return self._infeasible(diags + errors, options, deadline)
        sense = pulp.LpMaximize if self.sense == "max" else pulp.LpMinimize
        prob = pulp.LpProblem(self._problem, sense)
        y = self._rule_builder.site_vars(prob)
        self._rule_builder.add(prob, y)
        u, x = self._stage1(prob, y, rows)
        raw = solve_problem(prob, options, deadline)
        if raw.status == INFEASIBLE:
            if self._must_cover:
                capacity = self.capacity is not None
                more = self._elastic(options, deadline, cm, rows, with_capacity=capacity)
            else:
                more = self._elastic(options, deadline)
            return self._infeasible(diags + more, options, deadline, 1)
        if not raw.has_solution:
            return self._failed(raw, options, deadline, 1, diags)
        count = int(np.sum(var_values(y) > 0.5))
        if self._must_cover:
            keep: dict[str, Any] = {"count": count, "min_cover": None}
        else:
            cover_value = float(raw.objective or 0.0)
            keep = {"count": None, "min_cover": cover_value - float(tol(cover_value))}
        stage2 = self._tie_break((y, x, u), rows, options, deadline, diags, **keep)
        rounds = 1 if stage2 is None else 2
        if self.capacity is not None:
            stage = stage2 if stage2 is not None else (y, x, u)
            return self._capacitated(stage, raw, options, deadline, diags, rounds, uncov, count)
        open_sites = np.flatnonzero(var_values(y) > 0.5)
        if stage2 is not None:
            candidate = np.flatnonzero(var_values(stage2[0]) > 0.5)
            if self._stage2_value(candidate) <= self._stage2_value(open_sites):
                open_sites = candidate
        site, dist, covered = self._covered_from_sites(open_sites)
        objective = float(count) if self._must_cover else float(np.dot(self.weights, covered))
        res = finish(raw.status, objective, raw.bound, options, self.sense, diags, rounds, deadline)
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

    def _stage1(
        self, prob: pulp.LpProblem, y: list, rows: np.ndarray
    ) -> tuple[dict[int, pulp.LpVariable], dict[int, pulp.LpVariable]]:
        """Stage 1's coverage rows and objective; returns ``u`` (MCLP) and ``x`` (capacity)."""
        cm = self._cover
        u: dict[int, pulp.LpVariable] = {}
        x: dict[int, pulp.LpVariable] = {}
        if not self._must_cover:
            u = {i: new_var(prob, f"u{i}", 0, 1) for i in rows.tolist()}
        if self.capacity is not None:
            served = None if self._must_cover else u
            x, _ = assign_block(
                prob, y, cm, rows, self.households, self.capacity, self.single_source, served
            )
        elif self._must_cover:
            for i in rows.tolist():
                sites = cm.row(i)[0]
                add_row(prob, [(y[int(j)], 1) for j in sites], pulp.LpConstraintGE, 1, f"cov{i}")
        else:
            for i, ui in u.items():
                terms = [(ui, 1), *((y[int(j)], -1) for j in cm.row(i)[0])]
                add_row(prob, terms, pulp.LpConstraintLE, 0, f"cov{i}")
        if self._must_cover:
            objective = [(v, 1) for v in y]
        else:
            objective = [(ui, float(self.weights[i])) for i, ui in u.items()]
        prob.setObjective(pulp.LpAffineExpression(objective))
        return u, x

    def _capacitated(
        self,
        stage: _Stage,
        raw: RawSolve,
        options: SolverOptions,
        deadline: Deadline,
        diags: list[Diagnosis],
        rounds: int,
        uncov: np.ndarray,
        count: int,
    ) -> StationSolution:
        """The plan of the capacity model: split assignment on the coverage pairs."""
        y, x, u = stage
        share = {i: float(v.varValue or 0.0) for i, v in u.items()}
        if self._must_cover:
            objective, covered = float(count), None
        else:
            covered = np.zeros(self.n_demand, dtype=bool)
            covered[[i for i, v in share.items() if v > 0.5]] = True
            objective = float(sum(self.weights[i] * v for i, v in share.items()))
        sol = capacitated_solution(
            self, self._cover, y, x, raw, options, deadline, diags, rounds,
            objective=objective, covered=covered, uncoverable=uncov, bound=raw.bound,
        )  # fmt: skip
        if covered is None:
            covered = sol.assignment >= 0
        # Capped distance; a partly covered point counts its uncovered share at the radius.
        capped = np.minimum(sol.distance, self.radius)
        for i, v in share.items():
            capped[i] = v * capped[i] + (1 - v) * self.radius[i]
        return replace(sol, covered=covered, secondary=float(np.dot(self.weights, capped)))

    def _capped(self, dist: np.ndarray) -> float:
        return float(np.dot(self.weights, np.minimum(dist, self.radius)))

    def _tie_break(
        self,
        stage1: _Stage,
        rows: np.ndarray,
        options: SolverOptions,
        deadline: Deadline,
        diags: list[Diagnosis],
        *,
        count: int | None,
        min_cover: float | None,
    ) -> _Stage | None:
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
        cm = self._tie_cover  # the coverage pairs, discounted where a site is preferred
        prob = pulp.LpProblem("tie_break", pulp.LpMinimize)
        y = self._rule_builder.site_vars(prob)
        self._rule_builder.add(prob, y)
        set_start(y, var_values(y1))
        if count is not None:
            add_row(prob, [(v, 1) for v in y], pulp.LpConstraintEQ, count, "count")
        x: dict[int, pulp.LpVariable] = {}
        u: dict[int, pulp.LpVariable] = {}
        if self.capacity is None:
            try:
                terms, const, last = radius_block(
                    prob, y, cm, cm.levels(), rows, self.weights, self.radius, "t", deadline
                )
            except OutOfTime:
                diags.append(Diagnosis("solve.tie_break_skipped", {}, "info"))
                return None
            if min_cover is not None:
                # Uncovered weight may not exceed what stage 1 left uncovered.
                total = float(self.weights[rows].sum())
                lhs = [(v, float(self.weights[i])) for i, v in last.items() if v is not None]
                add_row(prob, lhs, pulp.LpConstraintLE, total - min_cover, "keep_cover")
            else:
                for v in last.values():
                    if v is not None:
                        v.upBound = 0
        else:
            if min_cover is not None:
                u = {i: new_var(prob, f"u{i}", 0, 1) for i in rows.tolist()}
                set_start(list(u.values()), var_values([u1[i] for i in u]))
            x, _ = assign_block(
                prob,
                y,
                cm,
                rows,
                self.households,
                self.capacity,
                self.single_source,
                served=u or None,
            )
            set_start(list(x.values()), var_values([x1[pos] for pos in x]))
            terms = [(v, float(self.weights[cm.rows[pos]] * cm.data[pos])) for pos, v in x.items()]
            const = 0.0
            if min_cover is not None:
                add_row(
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
    ``sum_i w_i min(d_i, r_i)`` with the radius formulation of
    :class:`~planner.models.PMedian` on the coverage lists (cost beyond the list =
    ``r_i``). A weighted single objective would need a secondary weight below the
    smallest coverage difference, which real-valued household weights do not give;
    two stages are exact. Stage 2 is
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
        See :class:`~planner.models.PMedian`.
    tie_break
        Run stage 2.
    tie_break_time_limit_s
        Cap on stage 2's time (``None``: only the overall limit).
    site_discount
        Metres per site (one value ``>= 0`` each) taken off the distance of every
        point a site serves in stage 2, never below 0: a preferred site (a facility
        kind's colocation, :attr:`planner.data.kinds.Colocation.preference_m`) wins
        among plans of equal coverage when it is at most that much farther. The
        coverage itself (stage 1) is unchanged. Not with capacity.
    """

    sense = "max"
    _problem = "mclp"

    def __init__(
        self, cost: CostInput, p: int, radius: Any, weights: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(cost, radius, weights, p=p, **kwargs)


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
    rules, households, tie_break, tie_break_time_limit_s, site_discount
        See :class:`MCLP`.
    """

    sense = "min"
    _must_cover = True
    _problem = "set_cover"

    def __init__(self, cost: CostInput, radius: Any, weights: Any = None, **kwargs: Any) -> None:
        super().__init__(cost, radius, weights, p=None, **kwargs)
