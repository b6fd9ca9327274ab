r"""Multi-period siting: which sites open in which year (phasing to 2027).

One model holds every tier that is phased (recycling stations, sorting centres) over
the years :math:`t = 1..T`, coupled by the yearly budgets.

Formulation
-----------
Sites :math:`j` of a tier, demand points :math:`i` with weights :math:`w_i`
(population for stations, tonnage for centres). Variables

* :math:`o_{jt} \in \{0, 1\}`: site :math:`j` is in service at the end of year
  :math:`t`, with :math:`o_{jt} \le o_{j,t+1}` (a site opened stays open; an existing
  site upgraded stays upgraded);
* per tier, year and demand point the radius-formulation variables of
  :class:`~planner.models.PMedian` (García, Labbé & Marín 2011) on the point's sorted
  distinct distances :math:`D_i^1 < \dots < D_i^{K_i}` to its listed sites:
  :math:`z_{it}^k \ge 1 - \sum_{j: d_{ij} \le D_i^k} o_{jt}` (with
  :math:`z^{k-1}` chained), cost
  :math:`D_i^1 + \sum_k (D_i^{k+1} - D_i^k) z_{it}^k`, where beyond the list a point
  is charged :math:`D_i^{K_i+1}`, the distance to its next-nearest site (a proven lower
  bound, so the truncated model is a relaxation);
* for a coverage objective (MCLP scenarios) instead :math:`0 \le u_{it} \le
  \sum_{j \in N_i} o_{jt}`, :math:`u_{it} \le 1`, :math:`N_i` the sites within the
  point's radius.

Rows

* cumulative targets :math:`\sum_j o_{jt} = n_t` where given, and the last year
  :math:`= n_T` (the tier's final count);
* cumulative per-county minimums :math:`\sum_{j \in c} o_{jt} \ge m_{ct}`;
* the last year obeys the tier's policy rules (required and excluded sites, group
  minimums and maximums: one per township, per-county limits) and, with a fixed final
  network, equals it (:math:`o_{jT} = 1` on it, 0 elsewhere);
* sites in service from the start (kept existing sites): :math:`o_{j1} = 1`;
* budget of year :math:`t` on the sites it opens or upgrades:
  :math:`\sum_j c_j (o_{jt} - o_{j,t-1}) \le B_t - F_t` (:math:`o_{j0} = 0` except for
  sites in service from the start, :math:`F_t` spending fixed in advance, such as
  closures in the first year).

Objective: minimise :math:`\sum_t \sum_{\text{tier}} s_{\text{tier}}
\sum_i w_i d_{it}` (population-weighted distance summed over the years; for coverage,
the population left uncovered), so early years favour the sites that serve most. Each
tier's term is scaled by :math:`s_{\text{tier}} = 1 / \sum_i w_i d_i^{\text{ref}}`, its
service by a reference network (the single-period plan), so person-metres and
tonne-metres are added as comparable, dimensionless numbers; the result reports each
tier's own figures. Policy rules on the last year cover required and excluded sites
and group minimums and maximums; coverage-share rules (``min_village_share``) and
station capacity are not modelled here (the plan rebuilt on the last year's network
checks them).

Solving: rounds of the truncated MIP (HiGHS/CBC). After each round the roll-out is
evaluated exactly (the true nearest open site of every point in every year); rows whose
nearest open site lies beyond their list are re-listed out to it and the MIP solved
again, until the exact objective is within the gap of the bound (a valid lower bound in
every round) or the time limit stops it with the best roll-out found.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pulp

from planner.instance.distance import CostMatrix
from planner.models._base import (
    add_row,
    finish,
    new_var,
    radius_block,
    set_start,
    var_values,
)
from planner.models._highs import solve_problem
from planner.models.deadline import Deadline, OutOfTime
from planner.models.diagnosis import Diagnosis
from planner.models.results import (
    ERROR,
    INFEASIBLE,
    OPTIMAL,
    TIME_LIMIT_FEASIBLE,
    SolveResult,
)
from planner.models.rules import PolicyRules, SolverOptions

__all__ = ["PhasedSiting", "PhasedSolution", "PhasedTier"]

#: Most rounds of re-listing before the best roll-out is returned as it is.
MAX_ROUNDS = 12


@dataclass(frozen=True, eq=False)
class PhasedTier:
    """One tier of the phased model.

    Attributes
    ----------
    name
        ``station`` or ``sorting_centre``.
    costs
        Demand × site distances (sparse lists, sorted; with a source to re-list rows and
        find the true nearest open site). Columns are the tier's candidate sites.
    weights
        Weight of each demand point (population, tonnage).
    site_cost
        One-off cost (yuan) of bringing each site into service (new: building it;
        existing: upgrading it; 0 for a site in service from the start).
    targets
        Cumulative count per year (``None``: free); the last entry is the final count.
    county_of
        County code of each site (for the per-county minimums).
    county_min
        Cumulative per-county minimums, one mapping per year.
    start_open
        Sites in service from the first year (kept existing sites).
    final
        Sites that must be the last year's network (a fixed final plan); ``None``: the
        model chooses it under ``rules``.
    rules
        The tier's policy rules on the last year's network (groups and
        required/excluded sites; capacity is not modelled here).
    objective
        ``median`` (weighted distance) or ``coverage`` (weight left uncovered).
    radius
        Coverage radius per demand point (``coverage`` only).
    reference
        A network whose service scales the tier's term (the single-period plan's
        sites); ``None``: ``final``, else every allowed site.
    """

    name: str
    costs: CostMatrix
    weights: np.ndarray
    site_cost: np.ndarray
    targets: Sequence[int | None]
    county_of: np.ndarray
    county_min: Sequence[dict[str, int]] = ()
    start_open: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    final: np.ndarray | None = None
    rules: PolicyRules = field(default_factory=PolicyRules)
    objective: Literal["median", "coverage"] = "median"
    radius: np.ndarray | None = None
    reference: np.ndarray | None = None

    @property
    def n_sites(self) -> int:
        return int(self.costs.n_sites)


@dataclass(frozen=True)
class PhasedSolution:
    """A roll-out and what it proves.

    Attributes
    ----------
    result
        Status, objective (the scaled sum over years and tiers), bound and proven gap.
    open_year
        Per tier: the index of the year each site comes into service, -1 if never.
    service
        Per tier and year: the exact weighted distance (``median``) or the weight
        covered (``coverage``) of the roll-out.
    spending
        One-off spending per year (yuan), fixed spending included.
    """

    result: SolveResult
    open_year: dict[str, np.ndarray]
    service: dict[str, list[float]]
    spending: list[float]


class PhasedSiting:
    """The multi-period model (see the module docstring for the mathematics).

    Parameters
    ----------
    tiers
        The phased tiers (:class:`PhasedTier`).
    budgets
        One-off budget per year (yuan; ``None``: no ceiling that year).
    fixed_spending
        Spending per year that no choice changes (closures in the first year).
    """

    sense = "min"

    def __init__(
        self,
        tiers: Sequence[PhasedTier],
        budgets: Sequence[float | None],
        fixed_spending: Sequence[float] | None = None,
    ) -> None:
        self.tiers = list(tiers)
        self.budgets = list(budgets)
        self.n_years = len(self.budgets)
        self.fixed = list(fixed_spending or [0.0] * self.n_years)
        for tier in self.tiers:
            if len(tier.targets) != self.n_years:
                raise ValueError("PhasedSiting: one target per year and tier")
        self.scale = {tier.name: _scale(tier) for tier in self.tiers}

    # ------------------------------------------------------------------ exact answers

    def evaluate(self, open_year: dict[str, np.ndarray]) -> dict[str, list[float]]:
        """Exact service per tier and year of a roll-out (true nearest open sites)."""
        out: dict[str, list[float]] = {}
        for tier in self.tiers:
            years = open_year[tier.name]
            values = []
            for t in range(self.n_years):
                opened = np.flatnonzero((years >= 0) & (years <= t))
                values.append(_service(tier, opened))
            out[tier.name] = values
        return out

    def scaled_total(self, service: dict[str, list[float]]) -> float:
        """The objective of a roll-out from its exact service."""
        total = 0.0
        for tier in self.tiers:
            values = np.asarray(service[tier.name], dtype=float)
            if tier.objective == "coverage":
                values = float(tier.weights.sum()) - values
            total += self.scale[tier.name] * float(values.sum())
        return total

    def spending(self, open_year: dict[str, np.ndarray]) -> list[float]:
        """One-off spending per year of a roll-out (yuan)."""
        out = list(self.fixed)
        for tier in self.tiers:
            years = open_year[tier.name]
            started = np.zeros(tier.n_sites, dtype=bool)
            started[tier.start_open] = True
            for t in range(self.n_years):
                new = (years == t) & ~started
                out[t] += float(tier.site_cost[new].sum())
        return out

    # ------------------------------------------------------------------ solve

    def solve(
        self,
        options: SolverOptions,
        deadline: Deadline | None = None,
        start: dict[str, np.ndarray] | None = None,
    ) -> PhasedSolution:
        """Solve in rounds of re-listing until the roll-out is proven within the gap.

        ``start``: a feasible roll-out (each tier's year index per site, -1 never), such
        as the fixed-final one, handed to the solver as its first plan; it changes how
        fast the model gets to its result, not what the result proves."""
        deadline = Deadline.of(options, deadline)
        lists = {tier.name: tier.costs for tier in self.tiers}
        best: tuple[float, dict[str, np.ndarray], dict[str, list[float]]] | None = None
        bound = -math.inf
        rounds = 0
        status = ERROR
        diagnoses: list[Diagnosis] = []
        while rounds < MAX_ROUNDS:
            rounds += 1
            try:
                prob, opened = self._build(lists, deadline)
            except OutOfTime:
                break
            if start is not None:
                for name, o in opened.items():
                    years = start[name]
                    for t, row in enumerate(o):
                        set_start(row, ((years >= 0) & (years <= t)).astype(float))
            raw = solve_problem(prob, options, deadline, warm_start=start is not None)
            if raw.status == INFEASIBLE:
                if best is None:
                    status = INFEASIBLE
                    diagnoses.append(Diagnosis("phasing.model_infeasible", {}, "error"))
                break
            if not raw.has_solution:
                break
            if raw.bound is not None and math.isfinite(raw.bound):
                bound = max(bound, float(raw.bound))
            years = {name: _first_year(var_values_2d(v)) for name, v in opened.items()}
            service = self.evaluate(years)
            value = self.scaled_total(service)
            if best is None or value < best[0]:
                best = (value, years, service)
            grown = False
            for tier in self.tiers:
                if tier.objective != "median":
                    continue
                rows, reach = _under_priced(lists[tier.name], years[tier.name], self.n_years)
                if rows.size:
                    lists[tier.name] = lists[tier.name].grow(rows, reach)
                    grown = True
            gap_ok = _within(best[0], bound, options.gap)
            if gap_ok or not grown:
                status = OPTIMAL if gap_ok else TIME_LIMIT_FEASIBLE
                break
            if deadline.expired():
                break
        if best is None:
            result = finish(status, None, None, options, "min", diagnoses, rounds, deadline)
            return PhasedSolution(result, {}, {}, [])
        value, years, service = best
        if status == ERROR:
            status = OPTIMAL if _within(value, bound, options.gap) else TIME_LIMIT_FEASIBLE
        result = finish(
            status,
            value,
            bound if math.isfinite(bound) else None,
            options,
            "min",
            diagnoses,
            rounds,
            deadline,
        )
        return PhasedSolution(result, years, service, self.spending(years))

    def _build(
        self, lists: dict[str, CostMatrix], deadline: Deadline
    ) -> tuple[pulp.LpProblem, dict[str, list[list[pulp.LpVariable]]]]:
        prob = pulp.LpProblem("phased", pulp.LpMinimize)
        T = self.n_years
        terms: list = []
        const = 0.0
        opened: dict[str, list[list[pulp.LpVariable]]] = {}
        spend: list[list] = [[] for _ in range(T)]
        for ti, tier in enumerate(self.tiers):
            p = f"t{ti}"
            o = [
                [new_var(prob, f"{p}o{j}_{t}", binary=True) for j in range(tier.n_sites)]
                for t in range(T)
            ]
            opened[tier.name] = o
            self._site_rows(prob, tier, o, p)
            started = np.zeros(tier.n_sites, dtype=bool)
            started[tier.start_open] = True
            for j in np.flatnonzero(~started & (tier.site_cost > 0)):
                c = float(tier.site_cost[j])
                spend[0].append((o[0][j], c))
                for t in range(1, T):
                    spend[t] += [(o[t][j], c), (o[t - 1][j], -c)]
            scale = self.scale[tier.name]
            for t in range(T):
                if tier.objective == "median":
                    cm = lists[tier.name]
                    tt, cc, _ = radius_block(
                        prob,
                        o[t],
                        cm,
                        cm.levels(),
                        np.arange(cm.n_demand),
                        tier.weights * scale,
                        cm.next_distance(),
                        prefix=f"{p}z{t}_",
                        deadline=deadline,
                    )
                    terms += tt
                    const += cc
                else:
                    tt, cc = _coverage_terms(prob, tier, o[t], scale, f"{p}u{t}_")
                    terms += tt
                    const += cc
        for t, budget in enumerate(self.budgets):
            if budget is not None and spend[t]:
                add_row(prob, spend[t], pulp.LpConstraintLE, budget - self.fixed[t], f"B{t}")
        prob.setObjective(pulp.LpAffineExpression(terms, constant=const))
        return prob, opened

    def _site_rows(self, prob: pulp.LpProblem, tier: PhasedTier, o: list, p: str) -> None:
        """Monotone opening, targets, county minimums, the last year's rules."""
        T = self.n_years
        n = tier.n_sites
        for j in range(n):
            for t in range(T - 1):
                add_row(prob, [(o[t][j], 1), (o[t + 1][j], -1)], pulp.LpConstraintLE, 0, "")
        for j in tier.start_open.tolist():
            o[0][j].lowBound = 1
        last = o[T - 1]
        if tier.final is not None:
            keep = np.zeros(n, dtype=bool)
            keep[np.asarray(tier.final, dtype=np.int64)] = True
            for j in range(n):
                if keep[j]:
                    last[j].lowBound = 1
                else:
                    for t in range(T):
                        o[t][j].upBound = 0
        else:
            for j in tier.rules.required.tolist():
                last[j].lowBound = 1
            for j in tier.rules.excluded.tolist():
                for t in range(T):
                    o[t][j].upBound = 0
            for g in tier.rules.groups:
                row = [(last[int(j)], 1) for j in g.sites]
                if g.min_open > 0:
                    add_row(prob, row, pulp.LpConstraintGE, g.min_open, "")
                if g.max_open is not None:
                    add_row(prob, row, pulp.LpConstraintLE, g.max_open, "")
        for t, target in enumerate(tier.targets):
            if target is not None:
                add_row(prob, [(v, 1) for v in o[t]], pulp.LpConstraintEQ, target, "")
        for t, mins in enumerate(tier.county_min):
            for county, low in mins.items():
                sites = np.flatnonzero(tier.county_of == county)
                if low > 0:
                    row = [(o[t][int(j)], 1) for j in sites]
                    add_row(prob, row, pulp.LpConstraintGE, low, "")


def var_values_2d(o: list[list[pulp.LpVariable]]) -> np.ndarray:
    """Years × sites values of the opening variables, rounded to 0/1."""
    return np.round(np.vstack([var_values(row) for row in o])).astype(np.int8)


def _first_year(values: np.ndarray) -> np.ndarray:
    """Index of the first year a site is open (-1: never)."""
    any_open = values.any(axis=0)
    return np.where(any_open, values.argmax(axis=0), -1).astype(np.int64)


def _service(tier: PhasedTier, opened: np.ndarray) -> float:
    """Exact weighted distance (median) or covered weight (coverage) of ``opened``."""
    if opened.size == 0:
        return math.inf if tier.objective == "median" else 0.0
    _, dist = tier.costs.nearest_open(opened)
    if tier.objective == "median":
        return float(np.dot(tier.weights, dist))
    return float(tier.weights[dist <= tier.radius + 1e-6].sum())


def _scale(tier: PhasedTier) -> float:
    """1 / the tier's service with every allowed site open (see the module docstring)."""
    if tier.objective == "coverage":
        total = float(tier.weights.sum())
        return 1.0 / total if total > 0 else 1.0
    allowed = tier.reference if tier.reference is not None else tier.final
    allowed = np.arange(tier.n_sites) if allowed is None else np.asarray(allowed)
    if allowed.size == 0:
        return 1.0
    _, dist = tier.costs.nearest_open(allowed)
    base = float(np.dot(tier.weights, dist))
    return 1.0 / base if base > 0 and math.isfinite(base) else 1.0


def _under_priced(cm: CostMatrix, years: np.ndarray, n_years: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose true nearest open site, in some year, lies beyond their list, and the
    distance to re-list them out to."""
    reach = np.zeros(cm.n_demand)
    for t in range(n_years):
        opened = np.flatnonzero((years >= 0) & (years <= t))
        if opened.size == 0:
            continue
        _, dist = cm.nearest_open(opened)
        beyond = np.isfinite(dist) & (dist > cm.radius + 1e-9)
        reach[beyond] = np.maximum(reach[beyond], dist[beyond])
    rows = np.flatnonzero(reach > 0)
    return rows, reach[rows]


def _coverage_terms(
    prob: pulp.LpProblem, tier: PhasedTier, o: list, scale: float, prefix: str
) -> tuple[list, float]:
    """Uncovered weight: ``w_i (1 - u_i)`` with ``u_i <= sum of o_j within reach``."""
    cm = tier.costs
    radius = np.broadcast_to(np.asarray(tier.radius, dtype=float), (cm.n_demand,))
    terms: list = []
    const = 0.0
    for i in range(cm.n_demand):
        w = float(tier.weights[i]) * scale
        lo, hi = int(cm.indptr[i]), int(cm.indptr[i + 1])
        sites = cm.indices[lo:hi][cm.data[lo:hi] <= radius[i] + 1e-6]
        const += w
        if sites.size == 0 or w == 0:
            continue
        u = new_var(prob, f"{prefix}{i}", 0, 1)
        terms.append((u, -w))
        add_row(prob, [(u, 1), *((o[int(j)], -1) for j in sites)], pulp.LpConstraintLE, 0, "")
    return terms, const


def _within(objective: float, bound: float, gap: float | None) -> bool:
    if not math.isfinite(bound):
        return False
    slack = max(1e-9, 1e-9 * abs(objective)) + (gap or 0.0) * abs(objective)
    return objective - bound <= slack
