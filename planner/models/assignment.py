r"""The best assignment of demand to sites that are already open.

Whatever stops a capacitated solve (time limit, gap target, node limit, a cut-off at
the deadline), the open sites of its plan are a fact and their assignment is a
smaller problem that can be solved well on its own. The models call this module
before they report, so the plan returned is the best known for its open sites and
its objective is the cost of that plan.

All functions work on a dense block ``costs`` of shape ``(n, k)``: the cost of
serving demand point ``i`` *entirely* from open site ``q`` (``inf``: not allowed),
tonnage (or households) ``t_i`` and capacities ``Q_q``.

Split assignment (multi-sourcing)
---------------------------------
.. math::

    \min \sum_{i,q} c_{iq} x_{iq} \quad\text{s.t.}\quad \sum_q x_{iq} = 1,\quad
    \sum_i t_i x_{iq} \le Q_q,\quad x \ge 0

is the transportation LP; its optimum *is* the best split plan on those sites
(:func:`split_assignment`, ``scipy.optimize.linprog`` with HiGHS).

Single sourcing (generalized assignment)
----------------------------------------
With ``x`` binary the problem is the generalized assignment problem (NP-hard in
general, small here). :func:`single_source_assignment`

1. *repairs*: the better of the incumbent's assignment and a greedy one (each point
   at its cheapest site, overloads relieved cheapest per tonne first;
   :func:`~planner.models.capacitated_search.price_plan`);
2. *improves* it by local search under capacities: **shift** (one point to a cheaper
   site with room) and **swap** (two points on different sites trade places when
   both sites stay within capacity and the total falls), until no move improves;
3. *proves or improves*: the split LP above is a lower bound; when the local optimum
   meets it the assignment is proven best. Otherwise the LP's reduced costs
   :math:`\bar c_{iq} = c_{iq} - u_i - t_i v_q` (:math:`v \le 0`) bound every
   assignment using pair :math:`(i,q)` by :math:`LP + \bar c_{iq}`, so the pairs
   with :math:`LP + \bar c_{iq} > UB` cannot improve on ``UB`` and are left out;
   the generalized assignment on the pairs left is solved exactly
   (``scipy.optimize.milp``) within the time given. If it finishes, the result is
   proven best for the sites (a cheaper assignment, or none cheaper than ``UB``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from scipy import optimize, sparse

from planner.models.capacitated_search import CapacitatedPlan, price_plan

__all__ = ["SiteAssignment", "single_source_assignment", "split_assignment"]

#: Largest number of pairs (after reduced-cost fixing) handed to the exact
#: generalized-assignment MIP; beyond it the local search's plan stands unproven.
EXACT_PAIRS_LIMIT = 60_000


@dataclass(frozen=True)
class SiteAssignment:
    """Demand assigned to fixed open sites.

    Attributes
    ----------
    rows, cols, shares
        One entry per (demand point, column of the block) pair with a positive share;
        single sourcing: one entry per point with share 1.
    cost
        :math:`\\sum c_{iq} x_{iq}` of exactly these shares.
    proven
        Whether no cheaper assignment to these sites exists (LP optimum, or the
        generalized assignment proven).
    bound
        A lower bound on every assignment to these sites of the same kind (the split
        LP; the exact MIP's optimum when proven).
    """

    rows: np.ndarray
    cols: np.ndarray
    shares: np.ndarray
    cost: float
    proven: bool
    bound: float | None = None

    def columns_of(self, n: int) -> np.ndarray:
        """Per demand point, the column with its largest share (``-1`` without one)."""
        out = np.full(n, -1, dtype=np.int64)
        best = np.full(n, -1.0)
        for i, q, s in zip(self.rows.tolist(), self.cols.tolist(), self.shares.tolist(),
                           strict=True):  # fmt: skip
            if s > best[i] + 1e-12:
                best[i], out[i] = s, q
        return out


def _tolerance(value: float) -> float:
    return 1e-9 * max(1.0, abs(value))


def _tolerance_array(values: np.ndarray) -> np.ndarray:
    return 1e-9 * np.maximum(1.0, np.abs(values))


def _rows(
    rows: np.ndarray, cols: np.ndarray, tonnage: np.ndarray, n: int, k: int
) -> tuple[sparse.csr_array, sparse.csr_array]:
    """Serve-once rows (one per demand point) and capacity rows (one per site)."""
    pairs = np.arange(rows.size)
    a_eq = sparse.csr_array((np.ones(rows.size), (rows, pairs)), shape=(n, rows.size))
    a_ub = sparse.csr_array((tonnage[rows].astype(float), (cols, pairs)), shape=(k, rows.size))
    return a_eq, a_ub


def _split_lp(
    costs: np.ndarray, tonnage: np.ndarray, capacity: np.ndarray, time_limit_s: float | None
):
    """The transportation LP on the finite pairs; ``None`` when infeasible or unfinished."""
    n, k = costs.shape
    rows, cols = np.nonzero(np.isfinite(costs))
    c = costs[rows, cols]
    a_eq, a_ub = _rows(rows, cols, tonnage, n, k)
    options: dict = {"presolve": True}
    if time_limit_s is not None:
        options["time_limit"] = max(float(time_limit_s), 0.05)
    # No upper bound on x: the rows imply it, and without bound duals every reduced
    # cost c - u_i - t_i v_q is non-negative at the optimum (used for fixing).
    res = optimize.linprog(
        c,
        A_ub=a_ub,
        b_ub=np.asarray(capacity, dtype=float),
        A_eq=a_eq,
        b_eq=np.ones(n),
        bounds=(0, None),
        method="highs",
        options=options,
    )
    if res.status != 0 or res.x is None:
        return None
    return rows, cols, c, res


def split_assignment(
    costs: np.ndarray,
    tonnage: np.ndarray,
    capacity: np.ndarray,
    time_limit_s: float | None = None,
) -> SiteAssignment | None:
    """Cheapest split assignment to the open sites (the transportation LP).

    Returns ``None`` when no assignment fits the capacities on the allowed pairs, or
    the LP did not finish within ``time_limit_s``.
    """
    found = _split_lp(costs, tonnage, capacity, time_limit_s)
    if found is None:
        return None
    rows, cols, c, res = found
    share = np.clip(res.x, 0.0, 1.0)
    keep = share > 1e-9
    cost = float(c[keep] @ share[keep])
    return SiteAssignment(rows[keep], cols[keep], share[keep], cost, True, float(res.fun))


def single_source_assignment(
    costs: np.ndarray,
    tonnage: np.ndarray,
    capacity: np.ndarray,
    start: np.ndarray | None = None,
    seconds: float | None = None,
    exact: bool = True,
) -> SiteAssignment | None:
    """Best single-source assignment found to the open sites (see the module docstring).

    Parameters
    ----------
    costs, tonnage, capacity
        The block, ``t_i`` and ``Q_q``.
    start
        The incumbent's column per demand point (kept when nothing better is found).
    seconds
        Budget for the whole call (``None``: none). The repair and one pass of local
        search always run; the exact step only with time left.
    exact
        Try to prove (or improve) the local optimum with the LP bound and the exact
        generalized assignment on the pairs reduced-cost fixing leaves.

    Returns
    -------
    SiteAssignment or None
        ``None`` when neither the start nor the greedy repair fits the capacities.
    """
    t0 = time.monotonic()

    def left() -> float | None:
        return None if seconds is None else seconds - (time.monotonic() - t0)

    n = costs.shape[0]
    tonnage = np.asarray(tonnage, dtype=np.float64)
    capacity = np.asarray(capacity, dtype=np.float64)
    tol = 1e-9 * max(1.0, float(capacity.max(initial=1.0)))
    best = None
    if start is not None and _fits(costs, tonnage, capacity, start, tol):
        best = np.asarray(start, dtype=np.int64).copy()
    cost, greedy = price_plan(costs, tonnage, capacity)
    if greedy is not None and (best is None or cost < _cost(costs, best)):
        best = greedy
    if best is None:
        return None
    a = _local_search(costs, tonnage, capacity, best, tol, left)
    cost = _cost(costs, a)
    proven, bound = False, None
    rem = left()
    if exact and n and (rem is None or rem > 0.2):
        a, cost, proven, bound = _prove(costs, tonnage, capacity, a, cost, rem)
    rows = np.arange(n)
    return SiteAssignment(rows, a, np.ones(n), cost, proven, bound)


def assign_to_sites(
    costs: np.ndarray,
    tonnage: np.ndarray,
    capacity: np.ndarray,
    incumbent: tuple[np.ndarray, np.ndarray, np.ndarray],
    multi_source: bool,
    seconds: float | None,
) -> SiteAssignment | None:
    """Best assignment found to the open sites: the split LP when tonnage may be
    split, else the single-source search started from ``incumbent``.

    ``incumbent``: ``(row, column, share)`` of the plan in hand (its column per row is
    the single-source start when every row has one with share > 0.5)."""
    if multi_source:
        return split_assignment(costs, tonnage, capacity, seconds)
    rows, cols, share = incumbent
    start = np.full(costs.shape[0], -1, dtype=np.int64)
    start[rows[share > 0.5]] = cols[share > 0.5]
    return single_source_assignment(
        costs, tonnage, capacity, start if np.all(start >= 0) else None, seconds
    )


def reassigned_plan(
    plan: CapacitatedPlan,
    costs: np.ndarray,
    tonnage: np.ndarray,
    capacity: np.ndarray,
    fixed_cost: float,
    multi_source: bool,
    seconds: float | None,
) -> CapacitatedPlan:
    """``plan`` with the best assignment found to its open sites, when cheaper.

    Parameters
    ----------
    plan
        A feasible plan; ``costs`` is its block (one column per site of
        ``plan.sites``, in that order) and ``capacity`` those sites' capacities.
    fixed_cost
        The fixed cost of the plan's sites (part of ``plan.cost``).
    """
    sites = np.asarray(plan.sites, dtype=np.int64)
    if plan.split is not None:
        rows, site_of, share = plan.split
    else:
        n = costs.shape[0]
        rows, site_of, share = np.arange(n), plan.assignment, np.ones(n)
    incumbent = (rows, np.searchsorted(sites, site_of), share)
    better = assign_to_sites(costs, tonnage, capacity, incumbent, multi_source, seconds)
    if better is None or better.cost + fixed_cost >= plan.cost - _tolerance(plan.cost):
        return plan
    order = np.lexsort((-better.shares, better.rows))
    lead = np.ones(order.size, dtype=bool)
    lead[1:] = better.rows[order][1:] != better.rows[order][:-1]
    assignment = np.full(costs.shape[0], -1, dtype=np.int64)
    assignment[better.rows[order[lead]]] = sites[better.cols[order[lead]]]
    split = (better.rows, sites[better.cols], better.shares) if multi_source else None
    return CapacitatedPlan(sites, assignment, better.cost + fixed_cost, plan.moves, split)


def _fits(
    costs: np.ndarray, tonnage: np.ndarray, capacity: np.ndarray, a: np.ndarray, tol: float
) -> bool:
    a = np.asarray(a)
    if a.shape != (costs.shape[0],) or np.any(a < 0) or np.any(a >= costs.shape[1]):
        return False
    if not np.all(np.isfinite(costs[np.arange(a.size), a])):
        return False
    load = np.bincount(a, weights=tonnage, minlength=costs.shape[1])
    return bool(np.all(load <= capacity + tol))


def _cost(costs: np.ndarray, a: np.ndarray) -> float:
    return float(costs[np.arange(a.size), a].sum())


def _local_search(
    costs: np.ndarray,
    tonnage: np.ndarray,
    capacity: np.ndarray,
    a: np.ndarray,
    tol: float,
    left,
) -> np.ndarray:
    """Shift and swap moves under capacity until none improves (or time is up)."""
    n = a.size
    a = a.copy()
    cur = costs[np.arange(n), a]
    res = capacity - np.bincount(a, weights=tonnage, minlength=costs.shape[1])
    first = True
    while first or (left() is None or left() > 0):
        first = False
        moved = False
        # Shift: each point to its cheapest site with room, biggest saving first.
        gain = cur[:, None] - costs
        for i in np.argsort(-gain.max(axis=1), kind="stable").tolist():
            if gain[i].max() <= _tolerance(cur[i]):
                break
            room = res + tol >= tonnage[i]
            room[a[i]] = False
            alt = np.where(room, costs[i], np.inf)
            q = int(np.argmin(alt))
            if alt[q] < cur[i] - _tolerance(cur[i]):
                res[a[i]] += tonnage[i]
                res[q] -= tonnage[i]
                a[i], cur[i] = q, alt[q]
                moved = True
        # Swap: a point that would be cheaper on a full site trades with one there. Only
        # points with a cheaper site can start one (in any improving swap one of the two
        # points moves to a cheaper site); members per site are from the pass's start
        # and re-checked, so a pass costs about n x (cheaper sites) x (n / k).
        members = [np.flatnonzero(a == q) for q in range(costs.shape[1])]
        starters = np.flatnonzero((costs < (cur - _tolerance_array(cur))[:, None]).any(axis=1))
        for i in starters.tolist():
            better = np.flatnonzero(costs[i] < cur[i] - _tolerance(cur[i]))
            for b in better.tolist():
                if b == a[i]:
                    continue
                others = members[b]
                others = others[a[others] == b]
                if others.size == 0:
                    continue
                src = a[i]
                delta = costs[i, b] - cur[i] + costs[others, src] - cur[others]
                ok = (res[b] + tonnage[others] - tonnage[i] + tol >= 0) & (
                    res[src] + tonnage[i] - tonnage[others] + tol >= 0
                )
                delta = np.where(ok & np.isfinite(delta), delta, np.inf)
                j = int(np.argmin(delta))
                if delta[j] < -_tolerance(cur[i] + cur[others[j]]):
                    o = int(others[j])
                    res[b] += tonnage[o] - tonnage[i]
                    res[src] += tonnage[i] - tonnage[o]
                    a[i], a[o] = b, src
                    cur[i], cur[o] = costs[i, b], costs[o, src]
                    members[b] = np.append(members[b], i)
                    members[src] = np.append(members[src], o)
                    moved = True
                    break
            rem = left()
            if rem is not None and rem <= 0:
                break
        if not moved:
            break
    return a


def _prove(
    costs: np.ndarray,
    tonnage: np.ndarray,
    capacity: np.ndarray,
    a: np.ndarray,
    upper: float,
    seconds: float | None,
) -> tuple[np.ndarray, float, bool, float | None]:
    """LP bound, reduced-cost fixing and the exact MIP on the pairs left."""
    t0 = time.monotonic()
    found = _split_lp(costs, tonnage, capacity, None if seconds is None else 0.5 * seconds)
    if found is None:
        return a, upper, False, None
    rows, cols, c, res = found
    lp = float(res.fun)
    if upper <= lp + _tolerance(upper) * 10:
        return a, upper, True, lp
    u = np.asarray(res.eqlin.marginals)
    v = np.minimum(np.asarray(res.ineqlin.marginals), 0.0)
    reduced = c - u[rows] - tonnage[rows] * v[cols]
    # A pair whose reduced cost alone lifts the LP bound past the incumbent is in no
    # cheaper assignment; the margin absorbs the LP's dual tolerances.
    slack = upper - lp + 1e-6 * max(1.0, abs(upper))
    keep = reduced <= slack
    # The incumbent's pairs stay, so the MIP is feasible and can only match or beat it.
    incumbent = np.zeros(costs.shape, dtype=bool)
    incumbent[np.arange(a.size), a] = True
    keep |= incumbent[rows, cols]
    rows, cols, c = rows[keep], cols[keep], c[keep]
    rem = None if seconds is None else seconds - (time.monotonic() - t0)
    if rows.size > EXACT_PAIRS_LIMIT or (rem is not None and rem < 0.1):
        return a, upper, False, lp
    n, k = costs.shape
    a_eq, a_ub = _rows(rows, cols, tonnage, n, k)
    options: dict = {"mip_rel_gap": 0.0, "presolve": True}
    if rem is not None:
        options["time_limit"] = max(rem, 0.1)
    mip = optimize.milp(
        c,
        integrality=np.ones(rows.size),
        bounds=optimize.Bounds(0, 1),
        constraints=[
            optimize.LinearConstraint(a_eq, 1, 1),
            optimize.LinearConstraint(a_ub, -np.inf, np.asarray(capacity, dtype=float)),
        ],
        options=options,
    )
    if mip.x is not None:
        chosen = mip.x > 0.5
        b = np.full(n, -1, dtype=np.int64)
        b[rows[chosen]] = cols[chosen]
        if np.all(b >= 0) and _fits(costs, tonnage, capacity, b, 1e-6 * max(1.0, capacity.max())):
            cost = _cost(costs, b)
            if cost < upper - _tolerance(upper):
                a, upper = b, cost
    proven = mip.status == 0  # optimal on the pairs that can beat the incumbent
    # Unproven, the MIP's bound holds for the assignments on the pairs kept; all others
    # cost more than the incumbent.
    bound = upper if proven else max(lp, min(upper, _mip_bound(mip)))
    return a, upper, proven, bound


def _mip_bound(mip) -> float:
    bound = getattr(mip, "mip_dual_bound", None)
    return float(bound) if bound is not None and math.isfinite(bound) else -math.inf
