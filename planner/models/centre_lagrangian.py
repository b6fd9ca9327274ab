r"""Lagrangian bound, heuristic and fixing for the capacitated centre tier (assignment
rows relaxed).

For the sorting-centre model (:class:`~planner.models.SortingCentreModel`)

.. math::

    \min \sum_{ij} c_{ij} x_{ij} + \sum_j f_j y_j \quad\text{s.t.}\quad
    \sum_j x_{ij} = 1,\ \sum_i t_i x_{ij} \le Q_j y_j,\ 0 \le x_{ij} \le y_j,\
    y \in Y

(``Y``: the count, required and excluded sites, group minimums and maximums, and the
aggregate capacity row :math:`\sum_j Q_j y_j \ge \sum_i t_i`), the serve-once rows are
moved into the objective with multipliers :math:`u_i`:

.. math::

    L(u) = \sum_i u_i + \min_{y \in Y} \sum_j y_j \big(f_j + K_j(u)\big),\qquad
    K_j(u) = \min\Big\{\sum_i (c_{ij} - u_i) x_{ij} : \sum_i t_i x_{ij} \le Q_j,\
    0 \le x_{ij} \le 1\Big\}.

:math:`K_j` is a continuous knapsack (greedy by reduced cost per tonne) and the choice
of ``y`` a small 0-1 programme over the candidates (``scipy.optimize.milp``). Dropping
single sourcing and moving rows into the objective are relaxations, so for *every*
``u`` the value :math:`L(u)` is a lower bound on every plan, split or single-source, on
any pairs (``c`` is the full matrix of costs). The multipliers follow subgradient steps
(Polyak's step towards the best known plan's cost, halved when the bound stalls); the
best value seen is the bound. At its best it reaches the LP bound of the strong
formulation, which is much tighter than the uncapacitated relaxation when capacity
binds at many centres.

Single sourcing (``single_source=True``): :math:`K_j` is then a 0-1 knapsack, solved
by dynamic programming on integer units (weights and capacities rounded *down* after
one scaling, which only enlarges each knapsack, see :func:`knapsack_units`). The
Lagrangian then lacks the integrality property and its bound exceeds the LP bound;
it holds for single-source plans only.

Lagrangian heuristic (``heuristic=True``): the sites of the first round, of every
round that sets a new best bound (at most every few rounds) and of the best round are
turned into plans: the best assignment found to those sites
(:mod:`planner.models.assignment`: the transportation LP for split plans, repair and
shift/swap local search for single-source ones). The best is the ``incumbent``, and
its cost steers the steps.

Reduced-cost fixing (``fixing=True``): at the best multipliers, the cheapest site
choice with site ``j`` forced open (closed) plus :math:`\sum u_i` bounds every plan
that opens (closes) ``j``; if it exceeds the best known cost ``UB``, no cheaper plan
does that and the site is fixed the other way. For a pair ``(i, j)`` (single sourcing
only: a split plan may use a pair for a sliver), the forced-open bound of ``j`` plus
the rise of :math:`K_j` with ``i`` forced in bounds every plan sending ``i`` to ``j``
(:func:`_pair_rise`). A MIP over what is left, started from a plan of cost ``UB``,
has the same optimum as the full problem and its bound holds for every plan.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

__all__ = ["CentreBound", "CentreIncumbent", "CentreLagrangian", "centre_lagrangian_bound"]


def _knapsacks(reduced: np.ndarray, tonnage: np.ndarray, capacity: np.ndarray):
    """:math:`K_j` for every column and the fractional ``x`` reaching it."""
    n, m = reduced.shape
    x = np.zeros((n, m))
    value = np.zeros(m)
    free = tonnage <= 0
    for j in range(m):
        col = reduced[:, j]
        gain = np.flatnonzero((col < 0) & np.isfinite(col))
        if gain.size == 0:
            continue
        take_free = gain[free[gain]]
        x[take_free, j] = 1.0
        paid = gain[~free[gain]]
        order = paid[np.argsort(col[paid] / tonnage[paid], kind="stable")]
        filled = np.cumsum(tonnage[order])
        whole = filled <= capacity[j]
        x[order[whole], j] = 1.0
        cut = np.flatnonzero(~whole)
        if cut.size:
            k = order[cut[0]]
            before = filled[cut[0]] - tonnage[k]
            x[k, j] = max(0.0, (capacity[j] - before) / tonnage[k])
        value[j] = float(col[gain] @ x[gain, j])
    return value, x


#: Rounds between two repairs of the Lagrangian heuristic (at most).
_REPAIR_EVERY = 5
#: Share of the ascent's budget the repairs may take (the best round's repair at the
#: end always runs).
_REPAIR_SHARE = 0.3

#: Largest work (stations x candidates x capacity units) for the 0-1 knapsacks of one
#: round; beyond it the continuous knapsacks are used.
DP_WORK = 3e7

#: Largest scaled capacity of the 0-1 knapsack dynamic programme.
KNAPSACK_UNITS = 2_000


def knapsack_units(tonnage: np.ndarray, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer weights and capacities for the 0-1 knapsacks (a relaxation of the real ones).

    Weights are rounded *down* and capacities too after the same scaling: every set of
    stations that fits a centre in tonnes fits in units (an integer sum of rounded-down
    weights never exceeds the rounded-down scaled capacity), so the programme's
    minimum never exceeds the true one and the bound stays valid. Integer tonnages
    with small capacities are kept exactly.
    """
    top = float(np.max(capacity[np.isfinite(capacity)], initial=1.0))
    whole = bool(np.allclose(tonnage, np.round(tonnage)))
    scale = 1.0 if whole and top <= KNAPSACK_UNITS else KNAPSACK_UNITS / max(top, 1e-9)
    weight = np.floor(tonnage * scale + 1e-9).astype(np.int64)
    room = np.floor(np.minimum(capacity, top) * scale + 1e-9).astype(np.int64)
    return weight, room


def _pair_rise(
    reduced: np.ndarray, value: np.ndarray, weight: np.ndarray, room: np.ndarray
) -> np.ndarray:
    """Lower bound on how much the 0-1 knapsack :math:`K_j` rises when station ``i``
    must go to ``j``.

    Forcing ``i`` in leaves ``room_j - w_i`` units to the others: the knapsack's value
    at that room over *all* stations (``i`` may be counted twice, which only lowers it)
    plus ``i``'s own reduced cost. ``inf`` where ``i`` alone exceeds the room or the
    pair is not allowed.
    """
    n, m = reduced.shape
    rise = np.full((n, m), np.inf)
    for j in range(m):
        col = reduced[:, j]
        ok = np.isfinite(col)
        gain = np.flatnonzero((col < 0) & ok)
        free = gain[weight[gain] <= 0]
        paid = gain[(weight[gain] > 0) & (weight[gain] <= room[j])]
        cap = int(room[j])
        best = np.zeros(cap + 1)
        for i in paid.tolist():
            w, c = int(weight[i]), float(col[i])
            best[w:] = np.minimum(best[w:], best[: cap + 1 - w] + c)
        fits = ok & (weight <= cap)
        at = np.where(fits, cap - np.minimum(weight, cap), 0)
        forced = np.where(fits, col, 0.0) + col[free].sum() + best[at]
        rise[fits, j] = np.maximum(forced[fits] - value[j], 0.0)
    return rise


def _binary_knapsacks(reduced: np.ndarray, weight: np.ndarray, room: np.ndarray):
    """:math:`K_j` with ``x`` binary (single sourcing), by dynamic programming on units.

    Stronger than the continuous knapsack: the Lagrangian dual then exceeds the LP
    bound of the strong formulation (no integrality property).
    """
    n, m = reduced.shape
    x = np.zeros((n, m))
    value = np.zeros(m)
    for j in range(m):
        col = reduced[:, j]
        gain = np.flatnonzero((col < 0) & np.isfinite(col))
        if gain.size == 0:
            continue
        free = gain[weight[gain] <= 0]
        x[free, j] = 1.0
        paid = gain[weight[gain] > 0]
        paid = paid[weight[paid] <= room[j]]
        cap = int(room[j])
        best = np.zeros(cap + 1)
        took = np.zeros((paid.size, cap + 1), dtype=bool)
        for k, i in enumerate(paid.tolist()):
            w, c = int(weight[i]), float(col[i])
            cand = best[: cap + 1 - w] + c
            better = cand < best[w:]
            took[k, w:] = better
            best[w:] = np.where(better, cand, best[w:])
        left = cap
        for k in range(paid.size - 1, -1, -1):
            if took[k, left]:
                x[paid[k], j] = 1.0
                left -= int(weight[paid[k]])
        value[j] = float(col[free].sum() + best[cap])
    return value, x


@dataclass(frozen=True)
class _SiteRules:
    """The set ``Y`` of allowed site choices (count, groups, aggregate capacity)."""

    capacity: np.ndarray
    demand: float
    p: int | None
    p_mode: str
    groups: Sequence[tuple[np.ndarray, int, int | None]]
    required: np.ndarray
    excluded: np.ndarray

    def simple(self) -> bool:
        """Whether the cheapest choice is "the required sites and the cheapest others":
        an exact count, no groups, and any ``p`` allowed sites hold the demand."""
        if self.p is None or self.p_mode != "exact" or self.groups:
            return False
        allowed = np.ones(self.capacity.size, dtype=bool)
        allowed[self.excluded] = False
        if int(allowed.sum()) < self.p:
            return False
        smallest = np.sort(self.capacity[allowed])[: self.p].sum()
        return bool(smallest >= self.demand)

    def choose(
        self,
        score: np.ndarray,
        seconds: float | None,
        force_open: int | None = None,
        force_closed: int | None = None,
    ) -> np.ndarray | None:
        """Cheapest site choice in ``Y`` for per-site ``score`` (a small 0-1 programme);
        ``None`` when not proven (no valid bound then) or infeasible."""
        m = score.size
        lower = np.zeros(m)
        upper = np.ones(m)
        lower[self.required] = 1.0
        upper[self.excluded] = 0.0
        if force_open is not None:
            lower[force_open] = 1.0
        if force_closed is not None:
            upper[force_closed] = 0.0
        if np.any(lower > upper):
            return None
        rows, lo, hi = [], [], []
        if self.p is not None:
            rows.append(np.ones(m))
            lo.append(self.p if self.p_mode == "exact" else 0)
            hi.append(self.p)
        for sites, g_lo, g_hi in self.groups:
            row = np.zeros(m)
            row[np.asarray(sites, dtype=np.int64)] = 1.0
            rows.append(row)
            lo.append(g_lo)
            hi.append(np.inf if g_hi is None else g_hi)
        rows.append(self.capacity.astype(float))
        lo.append(self.demand)
        hi.append(np.inf)
        options: dict = {"mip_rel_gap": 0.0}
        if seconds is not None:
            options["time_limit"] = max(seconds, 0.05)
        res = optimize.milp(
            score,
            integrality=np.ones(m),
            bounds=optimize.Bounds(lower, upper),
            constraints=[optimize.LinearConstraint(np.vstack(rows), lo, hi)],
            options=options,
        )
        if res.status != 0 or res.x is None:
            return None
        return res.x > 0.5

    def choose_simple(self, score: np.ndarray) -> np.ndarray:
        """:meth:`choose` when :meth:`simple`: required sites and the cheapest others."""
        m = score.size
        chosen = np.zeros(m, dtype=bool)
        chosen[self.required] = True
        pool = np.ones(m, dtype=bool)
        pool[self.excluded] = False
        pool[chosen] = False
        need = self.p - int(chosen.sum())
        cand = np.flatnonzero(pool)
        chosen[cand[np.argsort(score[cand], kind="stable")[:need]]] = True
        return chosen

    def forced(self, score: np.ndarray, seconds: float | None) -> tuple[np.ndarray, np.ndarray]:
        """Per site, the cheapest choice's value with the site forced open, and closed
        (``inf`` where there is no such choice or it was not proven in time; callers
        must not fix anything on an ``inf``)."""
        m = score.size
        when_open = np.full(m, np.inf)
        when_closed = np.full(m, np.inf)
        if self.simple():
            chosen = self.choose_simple(score)
            base = float(score[chosen].sum())
            free_in = np.flatnonzero(chosen)
            free_in = free_in[~np.isin(free_in, self.required)]
            pool = np.ones(m, dtype=bool)
            pool[self.excluded] = False
            out = np.flatnonzero(pool & ~chosen)
            dearest_in = float(score[free_in].max()) if free_in.size else np.inf
            cheapest_out = float(score[out].min()) if out.size else np.inf
            when_open[chosen] = base
            when_open[out] = base + score[out] - dearest_in
            when_closed[out] = base
            when_closed[self.excluded] = base
            when_closed[free_in] = base - score[free_in] + cheapest_out
            return when_open, when_closed
        t0 = time.monotonic()
        for j in range(m):
            rem = None if seconds is None else seconds - (time.monotonic() - t0)
            if rem is not None and rem <= 0:
                break
            for force, out in ((True, when_open), (False, when_closed)):
                chosen = self.choose(score, rem, j if force else None, None if force else j)
                if chosen is not None:
                    out[j] = float(score[chosen].sum())
        return when_open, when_closed


@dataclass(frozen=True)
class CentreIncumbent:
    """A plan the Lagrangian heuristic built from a round's sites.

    Attributes
    ----------
    sites
        Open sites, sorted.
    rows, cols, shares
        Allocation (``cols``: positions in ``sites``).
    cost
        Transport plus fixed cost of exactly this allocation.
    """

    sites: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    shares: np.ndarray
    cost: float

    def assignment(self, n: int) -> np.ndarray:
        """Per station, the site taking its largest share."""
        out = np.full(n, -1, dtype=np.int64)
        best = np.full(n, -1.0)
        for i, q, s in zip(self.rows.tolist(), self.cols.tolist(), self.shares.tolist(),
                           strict=True):  # fmt: skip
            if s > best[i]:
                best[i], out[i] = s, int(self.sites[q])
        return out


def _repair(
    costs: np.ndarray,
    tonnage: np.ndarray,
    capacity: np.ndarray,
    fixed_cost: np.ndarray,
    sites: np.ndarray,
    single_source: bool,
    seconds: float,
) -> CentreIncumbent | None:
    """A plan on a round's sites: the best assignment found to them."""
    from planner.models.assignment import single_source_assignment, split_assignment

    block = costs[:, sites]
    if single_source:
        found = single_source_assignment(block, tonnage, capacity[sites], None, seconds, False)
    else:
        found = split_assignment(block, tonnage, capacity[sites], seconds)
    if found is None:
        return None
    cost = float(found.cost + fixed_cost[sites].sum())
    return CentreIncumbent(sites, found.rows, found.cols, found.shares, cost)


@dataclass(frozen=True)
class CentreLagrangian:
    """Everything the ascent found: bound, heuristic plan and site fixing.

    Attributes
    ----------
    bound
        Best :math:`L(u)` (a lower bound on every plan); ``-inf`` when no round ran.
    sites
        The site choice ``y`` of the best round.
    rounds
        Subgradient rounds done.
    incumbent
        Best plan the Lagrangian heuristic built (``None``: none fitted).
    fixed_open, fixed_closed
        Sites every plan cheaper than ``upper`` opens / keeps closed: their bound when
        forced the other way exceeds ``upper`` (reduced-cost fixing at the best
        multipliers). Empty when not computed.
    closed_pairs
        ``(n, m)`` mask of the station-centre pairs no single-source plan cheaper than
        ``upper`` uses (the bound with the pair forced exceeds it); ``None`` when not
        computed (always for split plans).
    upper
        The cost the fixing is relative to (the best plan known: the incumbent or the
        ``upper`` handed in).
    """

    bound: float
    sites: np.ndarray
    rounds: int
    incumbent: CentreIncumbent | None = None
    fixed_open: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    fixed_closed: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    upper: float = np.inf
    closed_pairs: np.ndarray | None = None


#: Kept for callers of the first version (bound, sites, rounds).
CentreBound = CentreLagrangian


def centre_lagrangian_bound(
    costs: np.ndarray,
    tonnage: np.ndarray,
    capacity: np.ndarray,
    fixed_cost: np.ndarray,
    *,
    p: int | None,
    p_mode: str = "exact",
    groups: Sequence[tuple[np.ndarray, int, int | None]] = (),
    required: np.ndarray | Sequence[int] = (),
    excluded: np.ndarray | Sequence[int] = (),
    upper: float | None = None,
    seconds: float | None = None,
    max_rounds: int = 300,
    single_source: bool = False,
    heuristic: bool = False,
    fixing: bool = False,
    gap: float | None = None,
) -> CentreLagrangian:
    """Subgradient ascent on :math:`L(u)` (see the module docstring).

    Parameters
    ----------
    costs
        Dense ``(n, m)`` cost of serving station ``i`` entirely from candidate ``j``
        (every pair: a list restriction would make the bound invalid for other plans);
        ``inf`` where not allowed.
    tonnage, capacity, fixed_cost
        ``t_i``; ``Q_j`` and ``f_j`` per candidate.
    p, p_mode, groups, required, excluded
        The site rules (``groups``: ``(sites, min_open, max_open)``).
    upper
        Cost of the best known plan (steers the step length); default: a rough one.
    seconds, max_rounds
        Budget.
    single_source
        Plans send each station to one centre: the knapsacks are 0-1 (a stronger
        bound, valid for single-source plans only) unless that work exceeds
        :data:`DP_WORK`; the heuristic then still builds single-source plans.
    heuristic
        Build a plan from each new round's sites (repair and local search of
        :mod:`planner.models.assignment`); the best is the ``incumbent``.
    fixing
        Fix sites at the end by their forced bounds (see :class:`CentreLagrangian`).
    gap
        Stop once the bound proves the best known plan within this relative gap (what
        the caller asks for; default: only at the plan's cost). On a small tier the
        remaining rounds cost more than the whole MIP would.
    """
    t0 = time.monotonic()
    m = costs.shape[1]
    tonnage = np.asarray(tonnage, dtype=np.float64)
    capacity = np.asarray(capacity, dtype=np.float64)
    fixed_cost = np.asarray(fixed_cost, dtype=np.float64)
    required = np.asarray(required, dtype=np.int64)
    excluded = np.asarray(excluded, dtype=np.int64)
    demand = float(tonnage.sum())
    choice = _SiteRules(capacity, demand, p, p_mode, tuple(groups), required, excluded)
    simple = choice.simple()
    binary = single_source
    if binary:
        weight, room = knapsack_units(tonnage, capacity)
        if costs.size * float(room.max(initial=0)) > DP_WORK:
            # Dynamic programmes this large would eat the rounds the ascent needs: the
            # continuous knapsacks (valid for every plan) instead, and no pair fixing.
            binary = False
    ordered = np.sort(np.where(np.isfinite(costs), costs, np.inf), axis=1)
    # Start: each station's second-cheapest cost (its cheapest when it has one), which
    # makes a few candidates attractive from the first round.
    u = ordered[:, min(1, m - 1)]
    u = np.where(np.isfinite(u), u, ordered[:, 0])
    u = np.where(np.isfinite(u), u, 0.0)
    known = upper is not None and np.isfinite(upper)
    if not known:
        dearest = np.where(np.isfinite(costs), costs, 0.0).max(axis=1)
        upper = float(dearest.sum() + fixed_cost.sum())
    best, best_sites, rounds, stall, step = -np.inf, np.zeros(m, dtype=bool), 0, 0, 2.0
    best_u = u.copy()
    incumbent: CentreIncumbent | None = None
    tried: set[bytes] = set()
    since_repair = 0
    spent = [0.0]  # seconds in repairs

    def _try_plan(chosen, upper, incumbent):
        key = chosen.tobytes()
        if key in tried:
            return upper, incumbent
        tried.add(key)
        r0 = time.monotonic()
        plan = _repair(
            costs, tonnage, capacity, fixed_cost, np.flatnonzero(chosen), single_source,
            max(1.0, 0.1 * (seconds or 10.0)),
        )  # fmt: skip
        spent[0] += time.monotonic() - r0
        if plan is not None and (incumbent is None or plan.cost < incumbent.cost):
            incumbent = plan
            upper = min(upper, plan.cost)
        return upper, incumbent

    def left() -> float | None:
        return None if seconds is None else seconds - (time.monotonic() - t0)

    while rounds < max_rounds:
        rem = left()
        if rem is not None and rem <= 0:
            break
        reduced = costs - u[:, None]
        if binary:
            value, x = _binary_knapsacks(reduced, weight, room)
        else:
            value, x = _knapsacks(reduced, tonnage, capacity)
        score = fixed_cost + value
        chosen = choice.choose_simple(score) if simple else choice.choose(score, rem)
        if chosen is None:
            break
        rounds += 1
        bound = float(u.sum() + score[chosen].sum())
        if not np.isfinite(best) or bound > best + 1e-9 * max(1.0, abs(best)):
            best, best_sites, best_u, stall = bound, chosen, u.copy(), 0
        else:
            stall += 1
            if stall >= 10:
                step, stall = step / 2, 0
        # Repair a round's sites when the round set a new best bound (its sites are
        # then near those of good plans) and a few rounds have passed since the last
        # repair; the first round's too, so the steps aim at a real plan early.
        since_repair += 1
        spare = seconds is None or spent[0] < _REPAIR_SHARE * seconds
        if heuristic and spare and stall == 0 and (rounds == 1 or since_repair >= _REPAIR_EVERY):
            since_repair = 0
            upper, incumbent = _try_plan(chosen, upper, incumbent)
        if upper - best <= 1e-6 * max(1.0, abs(upper)) + (gap or 0.0) * abs(upper):
            break
        if step < 1e-4:
            break
        g = 1.0 - x[:, chosen].sum(axis=1)
        norm = float(g @ g)
        if norm <= 1e-12:
            break  # the relaxed plan serves every station once: L(u) is the LP value
        u = u + step * (upper - bound) / norm * g
    if heuristic and np.isfinite(best):
        upper, incumbent = _try_plan(best_sites, upper, incumbent)
    fixed_open = np.empty(0, dtype=np.int64)
    fixed_closed = np.empty(0, dtype=np.int64)
    closed_pairs = None
    if fixing and np.isfinite(best) and (known or incumbent is not None):
        reduced = costs - best_u[:, None]
        if binary:
            value, _ = _binary_knapsacks(reduced, weight, room)
        else:
            value, _ = _knapsacks(reduced, tonnage, capacity)
        score = fixed_cost + value
        when_open, when_closed = choice.forced(score, left())
        margin = upper + 1e-6 * max(1.0, abs(upper))
        base = float(best_u.sum())
        # ``inf``: not computed in time (or no choice at all): nothing is fixed there.
        fixed_closed = np.flatnonzero(np.isfinite(when_open) & (base + when_open > margin))
        fixed_open = np.flatnonzero(np.isfinite(when_closed) & (base + when_closed > margin))
        if binary:
            # Only whole pairs can be fixed: a split plan may use a pair for a sliver,
            # which the bound with the whole station forced says nothing about.
            rise = _pair_rise(reduced, value, weight, room)
            closed_pairs = np.isfinite(when_open)[None, :] & (
                base + when_open[None, :] + rise > margin
            )
    return CentreLagrangian(
        best, np.flatnonzero(best_sites), rounds, incumbent, fixed_open, fixed_closed, upper,
        closed_pairs,
    )  # fmt: skip
