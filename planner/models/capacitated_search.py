r"""Capacitated facility location heuristic: single-source plans found fast.

:func:`capacitated_search` is used by :class:`~planner.models.SortingCentreModel`
before (and often instead of) its MIP. Nothing here proves anything: the model pairs
the plan found here with a *bound* from a relaxation, and only that pair makes a claim
about optimality.

Capacitated plan pricing
------------------------
*From scratch* (:func:`price_plan`): for a fixed set ``S`` of open sites, demand point
``i`` (tonnage ``t_i``) is first sent to its cheapest open site. Overloaded sites are
then relieved greedily: points on an overloaded site move to their cheapest
alternative *with room*, cheapest per tonne of overload removed first. Finally points
that sit on a dearer site than necessary shift back to a cheaper one with room, until
nothing moves. The result is a feasible single-source plan (or ``inf`` when the greedy
finds no room), not necessarily the best assignment for ``S``.

*Incrementally* (for a move from a feasible plan): only the points of a closed site
("orphans") must move, by regret onto open sites with room; a new site first attracts
the points that save most per tonne by moving to it; then the same shift-back. This
keeps what earlier moves arranged, which matters when capacity is tight. A move is
priced both ways and the cheaper plan kept.

Capacitated search
------------------
Swap local search (Teitz-Bart interchange; add/drop moves when the number of sites
is free) with pruning: dropping capacity gives every move a cheap *lower bound* (cost
of sending every point to its nearest open site), computed for all moves at once from
the best and second-best open site of each point. Moves are priced in order of that
bound; a step stops when the bound reaches the best priced move (so it takes the best
move as priced) or ``patience`` moves after the first improving one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from planner.instance.distance import CostMatrix

__all__ = [
    "DENSE_LIMIT",
    "NEIGHBOURS",
    "CapacitatedPlan",
    "capacitated_search",
    "listed_neighbours",
    "price_plan",
]

# Dense (demand x candidate) cost blocks up to this many entries are kept in memory;
# beyond it each open site's move partners are limited to its NEIGHBOURS nearest
# candidates by co-occurrence in demand lists.
DENSE_LIMIT = 4_000_000
NEIGHBOURS = 12


@dataclass(frozen=True)
class CapacitatedPlan:
    """A feasible single-source plan.

    Attributes
    ----------
    sites
        Open site indices, sorted.
    assignment
        Site of every demand point.
    cost
        Assignment cost plus fixed cost of the open sites.
    moves
        Improving moves the search applied.
    split
        ``(station, site, share)`` of a split plan (multi-sourcing), whose ``cost`` it
        is; ``assignment`` is then each station's largest share only.
    """

    sites: np.ndarray
    assignment: np.ndarray
    cost: float
    moves: int = 0
    split: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


def price_plan(
    costs: np.ndarray, tonnage: np.ndarray, capacity: np.ndarray
) -> tuple[float, np.ndarray | None]:
    """Greedy single-source assignment to fixed open sites (see module docstring).

    Parameters
    ----------
    costs
        ``(n, k)`` cost of serving each demand point from each open site (``inf``: not
        allowed).
    tonnage
        ``t_i``, shape ``(n,)``.
    capacity
        Capacity of each open site, shape ``(k,)``.

    Returns
    -------
    (cost, assignment)
        Assignment cost and the column index per demand point, or ``(inf, None)``.
    """
    n, k = costs.shape
    if k == 0:
        return (0.0, np.zeros(0, dtype=np.int64)) if n == 0 else (np.inf, None)
    rows = np.arange(n)
    a = np.argmin(costs, axis=1)
    cur = costs[rows, a]
    if not np.all(np.isfinite(cur)):
        return np.inf, None
    res = capacity - np.bincount(a, weights=tonnage, minlength=k)
    tol = 1e-9 * max(1.0, float(np.max(capacity)))
    while True:
        over = res < -tol
        if not over.any():
            break
        movers = np.flatnonzero(over[a] & (tonnage > 0))
        if movers.size == 0:
            return np.inf, None
        t = tonnage[movers]
        room = res[None, :] + tol >= t[:, None]
        room[np.arange(movers.size), a[movers]] = False
        alt = np.where(room, costs[movers], np.inf)
        dest = np.argmin(alt, axis=1)
        extra = alt[np.arange(movers.size), dest] - cur[movers]
        relief = np.minimum(t, -res[a[movers]])
        score = np.where(np.isfinite(extra), extra / relief, np.inf)
        order = np.argsort(score, kind="stable")
        moved = False
        for b in order.tolist():
            if not np.isfinite(score[b]):
                break
            i, src, dst = int(movers[b]), int(a[movers[b]]), int(dest[b])
            # Scores are from the start of the round: skip sites already relieved and
            # room already taken; the next round re-prices what is left.
            if res[src] >= -tol or res[dst] + tol < tonnage[i]:
                continue
            res[src] += tonnage[i]
            res[dst] -= tonnage[i]
            a[i], cur[i] = dst, costs[i, dst]
            moved = True
        if not moved:
            return np.inf, None
    _shift_back(costs, tonnage, a, cur, res, tol)
    return float(cur.sum()), a


def _shift_back(
    costs: np.ndarray,
    tonnage: np.ndarray,
    a: np.ndarray,
    cur: np.ndarray,
    res: np.ndarray,
    tol: float,
) -> None:
    """Move points to a cheaper open site with room until none can move (in place)."""
    while True:
        dearer = np.flatnonzero(cur > costs.min(axis=1) + 1e-12 * np.maximum(1.0, cur))
        moved = False
        for i in dearer.tolist():
            row = costs[i]
            for q in np.argsort(row, kind="stable").tolist():
                if row[q] >= cur[i]:
                    break
                if res[q] + tol >= tonnage[i]:
                    res[a[i]] += tonnage[i]
                    res[q] -= tonnage[i]
                    a[i], cur[i] = q, row[q]
                    moved = True
                    break
        if not moved:
            return


class _Columns:
    """Cost columns ``c_{.j}`` fetched lazily and cached."""

    def __init__(self, fetch: Callable[[np.ndarray], np.ndarray], n: int) -> None:
        self.fetch = fetch
        self.n = n
        self.cache: dict[int, np.ndarray] = {}

    def get(self, sites: np.ndarray) -> np.ndarray:
        sites = np.asarray(sites, dtype=np.int64)
        missing = [j for j in sites.tolist() if j not in self.cache]
        if missing:
            block = self.fetch(np.asarray(missing, dtype=np.int64))
            for k, j in enumerate(missing):
                self.cache[j] = np.ascontiguousarray(block[:, k])
        if sites.size == 0:
            return np.empty((self.n, 0))
        return np.column_stack([self.cache[j] for j in sites.tolist()])


@dataclass
class _State:
    """A feasible plan during the search: sites in column order and the assignment."""

    sites: np.ndarray  # open sites, column order of ``block``
    block: np.ndarray  # (n, k) costs to the open sites
    a: np.ndarray  # column per demand point
    cur: np.ndarray  # cost per demand point
    res: np.ndarray  # residual capacity per column
    cost: float  # total, fixed costs included


def _full_state(
    sites: np.ndarray,
    block: np.ndarray,
    tonnage: np.ndarray,
    capacity: np.ndarray,
    fixed_cost: np.ndarray,
) -> _State | None:
    cost, a = price_plan(block, tonnage, capacity[sites])
    if a is None:
        return None
    cur = block[np.arange(block.shape[0]), a]
    res = capacity[sites] - np.bincount(a, weights=tonnage, minlength=sites.size)
    return _State(sites, block, a, cur, res, cost + float(fixed_cost[sites].sum()))


def _move_state(
    state: _State,
    kind: int,
    pos: int,
    site: int,
    column: np.ndarray | None,
    tonnage: np.ndarray,
    capacity: np.ndarray,
    fixed_cost: np.ndarray,
) -> _State | None:
    """Price a move from a feasible plan, changing only what the move touches.

    ``kind`` 0 swaps the site in column ``pos`` for ``site``, 1 drops column ``pos``,
    2 adds ``site``. Points whose site closes ("orphans") are placed by regret (the
    point that would lose most by waiting goes first) on open sites with room; a new
    site first attracts the points that save most per tonne by moving to it. Then
    points on a dearer site than necessary shift back while there is room.
    """
    n = state.a.size
    t = tonnage
    tol = 1e-9 * max(1.0, float(np.max(capacity)))
    a, cur = state.a.copy(), state.cur.copy()
    new = None
    if kind == 0:
        sites = state.sites.copy()
        sites[pos] = site
        block = state.block.copy()
        block[:, pos] = column
        res = state.res.copy()
        res[pos] = capacity[site]
        orphans = np.flatnonzero(a == pos)
        new = pos
    elif kind == 1:
        sites = np.delete(state.sites, pos)
        block = np.delete(state.block, pos, axis=1)
        res = np.delete(state.res, pos)
        orphans = np.flatnonzero(a == pos)
        a = np.where(a > pos, a - 1, a)
    else:
        sites = np.append(state.sites, site)
        block = np.column_stack([state.block, column])
        res = np.append(state.res, capacity[site])
        orphans = np.empty(0, dtype=np.int64)
        new = sites.size - 1
    a[orphans] = -1
    cur[orphans] = np.inf
    if new is not None:
        gain = cur - block[:, new]
        movers = np.flatnonzero((gain > 0) & (a >= 0))
        if movers.size:
            ratio = gain[movers] / np.maximum(t[movers], 1e-12)
            for i in movers[np.argsort(-ratio, kind="stable")].tolist():
                if t[i] <= res[new] + tol:
                    res[a[i]] += t[i]
                    res[new] -= t[i]
                    a[i], cur[i] = new, block[i, new]
    left = orphans
    while left.size:
        sub = np.where(res[None, :] + tol >= t[left, None], block[left], np.inf)
        two = np.sort(sub, axis=1)[:, :2] if sub.shape[1] > 1 else np.hstack([sub, sub])
        if not np.all(np.isfinite(two[:, 0])):
            return None
        regret = np.where(np.isfinite(two[:, 1]), two[:, 1] - two[:, 0], np.inf)
        b = int(np.argmax(regret))
        i = int(left[b])
        q = int(np.argmin(sub[b]))
        res[q] -= t[i]
        a[i], cur[i] = q, block[i, q]
        left = np.delete(left, b)
    _shift_back(block, t, a, cur, res, tol)
    if np.any(res < -tol) or a.size != n:
        return None
    return _State(sites, block, a, cur, res, float(cur.sum() + fixed_cost[sites].sum()))


def capacitated_search(
    columns: Callable[[np.ndarray], np.ndarray],
    tonnage: np.ndarray,
    capacity: np.ndarray,
    fixed_cost: np.ndarray,
    start: np.ndarray,
    *,
    allowed: np.ndarray,
    required: np.ndarray,
    groups: Sequence[tuple[np.ndarray, int, int | None]] = (),
    p: int | None = None,
    p_mode: str = "exact",
    neighbours: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    seconds: float | None = None,
    patience: int = 150,
    full_pricing: bool = True,
) -> CapacitatedPlan | None:
    """Improve ``start`` by capacity-aware swap local search.

    Parameters
    ----------
    columns
        ``columns(sites)`` returns the ``(n, len(sites))`` assignment costs ``c_ij``.
    tonnage, capacity, fixed_cost
        ``t_i``; ``Q_j`` and ``f_j`` per candidate site.
    start
        Initial open sites; they must satisfy the rules (count, groups, required).
    allowed
        Bool mask of sites that may open.
    required
        Sites that must stay open.
    groups
        ``(sites, min_open, max_open)`` triplets to respect.
    p, p_mode
        Number of sites, ``"exact"`` or ``"at_most"``; ``None``: free (add and drop).
    neighbours
        ``neighbours(open_sites, assignment)`` returns the closed sites worth trying;
        default: every allowed site.
    seconds
        Time budget (``None``: until no move improves).
    patience
        Once an improving move is found, at most this many more moves are priced
        before taking the best one (the bound usually stops the step earlier).

    Returns
    -------
    CapacitatedPlan or None
        ``None`` when no feasible plan was found.
    """
    t0 = time.monotonic()
    tonnage = np.asarray(tonnage, dtype=np.float64)
    capacity = np.asarray(capacity, dtype=np.float64)
    n, m = tonnage.size, int(allowed.size)
    cols = _Columns(columns, n)
    is_required = np.zeros(m, dtype=bool)
    is_required[np.asarray(required, dtype=np.int64)] = True
    g_mat = np.zeros((len(groups), m), dtype=np.int64)
    g_lo = np.zeros(len(groups), dtype=np.int64)
    g_hi = np.full(len(groups), np.iinfo(np.int64).max)
    for g, (sites, lo, hi) in enumerate(groups):
        g_mat[g, np.asarray(sites, dtype=np.int64)] = 1
        g_lo[g] = lo
        if hi is not None:
            g_hi[g] = hi

    def expired() -> bool:
        return seconds is not None and time.monotonic() - t0 > seconds

    sites = np.unique(np.asarray(start, dtype=np.int64))
    state = _full_state(sites, cols.get(sites), tonnage, capacity, fixed_cost)
    moves = 0
    can_add = p is None or p_mode == "at_most"
    can_drop = p is None or p_mode == "at_most"
    while not expired():
        sites = state.sites if state is not None else sites
        block = state.block if state is not None else cols.get(sites)
        best_cost = state.cost if state is not None else np.inf
        k = sites.size
        order = np.argsort(block, axis=1, kind="stable")[:, :2]
        d1 = block[np.arange(n), order[:, 0]]
        d2 = block[np.arange(n), order[:, 1]] if k > 1 else np.full(n, np.inf)
        fixed_now = float(fixed_cost[sites].sum())
        is_open = np.zeros(m, dtype=bool)
        is_open[sites] = True
        if neighbours is not None and state is not None:
            closed = np.asarray(neighbours(sites, sites[state.a]), dtype=np.int64)
        else:
            closed = np.arange(m)
        closed = closed[allowed[closed] & ~is_open[closed]]
        cand = cols.get(closed)
        counts = g_mat[:, sites].sum(axis=1)
        # Per move: lower bound, kind (0 swap, 1 drop, 2 add), column out, site in.
        found: list[tuple[np.ndarray, int, np.ndarray, np.ndarray]] = []
        for pos, r in enumerate(sites.tolist()):
            if is_required[r]:
                continue
            base = np.where(order[:, 0] == pos, d2, d1)
            cnt = counts - g_mat[:, r]
            if closed.size:
                after = cnt[:, None] + g_mat[:, closed]
                ok = np.all((after >= g_lo[:, None]) & (after <= g_hi[:, None]), axis=0)
                if ok.any():
                    lb = np.minimum(base[:, None], cand[:, ok]).sum(axis=0)
                    lb += fixed_now - fixed_cost[r] + fixed_cost[closed[ok]]
                    found.append((lb, 0, np.full(lb.size, pos), np.flatnonzero(ok)))
            if can_drop and k > 1 and np.all(cnt >= g_lo):
                lb = np.array([base.sum() + fixed_now - fixed_cost[r]])
                found.append((lb, 1, np.array([pos]), np.array([-1])))
        if can_add and closed.size and (p is None or k < p):
            ok = np.all(counts[:, None] + g_mat[:, closed] <= g_hi[:, None], axis=0)
            if ok.any():
                lb = np.minimum(d1[:, None], cand[:, ok]).sum(axis=0)
                lb += fixed_now + fixed_cost[closed[ok]]
                found.append((lb, 2, np.full(lb.size, -1), np.flatnonzero(ok)))
        if not found:
            break
        lbs = np.concatenate([f[0] for f in found])
        kinds = np.concatenate([np.full(f[0].size, f[1]) for f in found])
        outs = np.concatenate([f[2] for f in found])
        ins = np.concatenate([f[3] for f in found])
        tol = 1e-9 * max(1.0, abs(best_cost)) if np.isfinite(best_cost) else 0.0
        promising = np.flatnonzero(lbs < best_cost - tol)
        promising = promising[np.argsort(lbs[promising], kind="stable")]
        step: _State | None = None
        since = 0
        for q in promising.tolist():
            bar = step.cost if step is not None else best_cost
            if lbs[q] >= bar - tol or expired() or since > patience:
                break
            kind, pos, c = int(kinds[q]), int(outs[q]), int(ins[q])
            site = int(closed[c]) if c >= 0 else -1
            column = cand[:, c] if c >= 0 else None
            trial = None
            if state is not None:
                trial = _move_state(state, kind, pos, site, column, tonnage, capacity, fixed_cost)
            if full_pricing or trial is None:
                if kind == 0:
                    new_sites = sites.copy()
                    new_sites[pos] = site
                    new_block = block.copy()
                    new_block[:, pos] = column
                elif kind == 1:
                    new_sites = np.delete(sites, pos)
                    new_block = np.delete(block, pos, axis=1)
                else:
                    new_sites = np.append(sites, site)
                    new_block = np.column_stack([block, column])
                again = _full_state(new_sites, new_block, tonnage, capacity, fixed_cost)
                if again is not None and (trial is None or again.cost < trial.cost):
                    trial = again
            if step is not None:
                since += 1
            if trial is not None and trial.cost < bar - tol:
                step = trial
        if step is None:
            break
        state = step
        moves += 1
    if state is None:
        return None
    return CapacitatedPlan(np.sort(state.sites), state.sites[state.a], float(state.cost), moves)


def listed_neighbours(cm: CostMatrix):
    """Move partners for big instances: the sites listed by each open site's stations."""

    def neighbours(open_sites: np.ndarray, assigned: np.ndarray) -> np.ndarray:
        out = []
        for r in open_sites.tolist():
            rows = np.flatnonzero(assigned == r)
            lo, hi = cm.indptr[rows], cm.indptr[rows + 1]
            listed = np.concatenate([cm.indices[a:b] for a, b in zip(lo, hi, strict=True)] or [[]])
            sites, counts = np.unique(listed.astype(np.int64), return_counts=True)
            out.append(sites[np.argsort(-counts, kind="stable")[:NEIGHBOURS]])
        return np.unique(np.concatenate(out)) if out else np.empty(0, dtype=np.int64)

    return neighbours
