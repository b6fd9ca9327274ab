r"""Lagrangian bound for the capacitated centre tier (relaxing the assignment rows).

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
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

__all__ = ["CentreBound", "centre_lagrangian_bound"]


@dataclass(frozen=True)
class CentreBound:
    """What the ascent proved.

    Attributes
    ----------
    bound
        Best :math:`L(u)` (a lower bound on every plan); ``-inf`` when no round ran.
    sites
        The site choice ``y`` of the best round (a start for heuristics).
    rounds
        Subgradient rounds done.
    """

    bound: float
    sites: np.ndarray
    rounds: int


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


def _choose_sites(
    score: np.ndarray,
    capacity: np.ndarray,
    demand: float,
    p: int | None,
    p_mode: str,
    groups: Sequence[tuple[np.ndarray, int, int | None]],
    required: np.ndarray,
    excluded: np.ndarray,
    seconds: float | None,
) -> np.ndarray | None:
    """Cheapest site choice in ``Y`` for per-site ``score`` (a small 0-1 programme)."""
    m = score.size
    lower = np.zeros(m)
    upper = np.ones(m)
    lower[required] = 1.0
    upper[excluded] = 0.0
    rows, lo, hi = [], [], []
    if p is not None:
        rows.append(np.ones(m))
        lo.append(p if p_mode == "exact" else 0)
        hi.append(p)
    for sites, g_lo, g_hi in groups:
        row = np.zeros(m)
        row[np.asarray(sites, dtype=np.int64)] = 1.0
        rows.append(row)
        lo.append(g_lo)
        hi.append(np.inf if g_hi is None else g_hi)
    rows.append(capacity.astype(float))
    lo.append(demand)
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
        return None  # not solved to optimality: no valid bound from this round
    return res.x > 0.5


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
) -> CentreBound:
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
    """
    t0 = time.monotonic()
    m = costs.shape[1]
    tonnage = np.asarray(tonnage, dtype=np.float64)
    capacity = np.asarray(capacity, dtype=np.float64)
    fixed_cost = np.asarray(fixed_cost, dtype=np.float64)
    required = np.asarray(required, dtype=np.int64)
    excluded = np.asarray(excluded, dtype=np.int64)
    demand = float(tonnage.sum())
    ordered = np.sort(np.where(np.isfinite(costs), costs, np.inf), axis=1)
    # Start: each station's second-cheapest cost (its cheapest when it has one), which
    # makes a few candidates attractive from the first round.
    u = ordered[:, min(1, m - 1)]
    u = np.where(np.isfinite(u), u, ordered[:, 0])
    u = np.where(np.isfinite(u), u, 0.0)
    if upper is None or not np.isfinite(upper):
        dearest = np.where(np.isfinite(costs), costs, 0.0).max(axis=1)
        upper = float(dearest.sum() + fixed_cost.sum())
    best, best_sites, rounds, stall, step = -np.inf, np.zeros(m, dtype=bool), 0, 0, 2.0

    def left() -> float | None:
        return None if seconds is None else seconds - (time.monotonic() - t0)

    while rounds < max_rounds:
        rem = left()
        if rem is not None and rem <= 0:
            break
        reduced = costs - u[:, None]
        value, x = _knapsacks(reduced, tonnage, capacity)
        chosen = _choose_sites(
            fixed_cost + value, capacity, demand, p, p_mode, groups, required, excluded, rem
        )
        if chosen is None:
            break
        rounds += 1
        bound = float(u.sum() + (fixed_cost + value)[chosen].sum())
        if not np.isfinite(best) or bound > best + 1e-9 * max(1.0, abs(best)):
            best, best_sites, stall = bound, chosen, 0
        else:
            stall += 1
            if stall >= 10:
                step, stall = step / 2, 0
        if upper - best <= 1e-6 * max(1.0, abs(upper)) or step < 1e-4:
            break
        g = 1.0 - x[:, chosen].sum(axis=1)
        norm = float(g @ g)
        if norm <= 1e-12:
            break  # the relaxed plan serves every station once: L(u) is the LP value
        u = u + step * (upper - bound) / norm * g
    return CentreBound(best, np.flatnonzero(best_sites), rounds)
