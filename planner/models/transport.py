r"""Best split assignment to a fixed set of open sites under capacity (transportation LP).

Given open sites :math:`S`, stored pairs :math:`P` (a sparse cost matrix), weights
:math:`w_i`, households :math:`h_i` and capacities :math:`C_j`:

.. math::

    \min \sum_{(i,j) \in P,\, j \in S} w_i d_{ij} x_{ij}
    \quad\text{s.t.}\quad
    \sum_{j:(i,j) \in P,\, j \in S} x_{ij} = 1 \;\; \forall i, \qquad
    \sum_{i:(i,j) \in P} h_i x_{ij} \le C_j \;\; \forall j \in S, \qquad
    0 \le x_{ij} \le 1.

For fixed sites this LP *is* the capacitated p-median with split assignment, so its
solution is the best plan on those sites. The capacitated model uses it twice: the
uncapacitated optimum's sites, assigned this way, are a feasible plan before any MIP
runs (HiGHS often finds no capacitated plan at city scale within minutes), and that plan
is the MIP's full warm start. It is a linear programme: ``scipy.optimize.linprog`` with
HiGHS on sparse matrices, no PuLP model to build.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, sparse

from planner.instance.distance import CostMatrix
from planner.models.deadline import Deadline
from planner.models.rules import SiteGroup

__all__ = ["TransportPlan", "repair_sites", "transport_assignment"]


@dataclass(frozen=True)
class TransportPlan:
    """A split assignment to fixed open sites.

    Attributes
    ----------
    objective
        :math:`\\sum w_i d_{ij} x_{ij}`.
    positions
        Positions in the cost matrix's CSR arrays of the pairs with a positive share.
    shares
        :math:`x_{ij}` of those pairs (each demand point's shares sum to 1).
    """

    objective: float
    positions: np.ndarray
    shares: np.ndarray


def transport_assignment(
    cm: CostMatrix,
    rows: np.ndarray,
    open_sites: np.ndarray,
    weights: np.ndarray,
    households: np.ndarray,
    capacity: np.ndarray,
    time_limit_s: float | None = None,
) -> TransportPlan | None:
    """Cheapest split assignment of ``rows`` to ``open_sites`` within capacity.

    Parameters
    ----------
    cm
        Cost matrix; only its stored pairs are used.
    rows
        Demand points that must be served.
    open_sites
        Site indices that are open.
    weights, households
        Per demand point (full length).
    capacity
        Per site (full length), households.
    time_limit_s
        Limit for the LP (``None``: none).

    Returns
    -------
    TransportPlan or None
        ``None`` when no such assignment exists on the stored pairs (a demand point
        has no open site on its list, or capacity runs short locally), or the LP did
        not finish within the limit.
    """
    found = _solve(cm, rows, open_sites, weights, households, capacity, time_limit_s, False)
    if found is None:
        return None
    plan, unserved = found
    return plan if unserved.max(initial=0.0) <= 1e-7 else None


def repair_sites(
    cm: CostMatrix,
    rows: np.ndarray,
    open_sites: np.ndarray,
    weights: np.ndarray,
    households: np.ndarray,
    capacity: np.ndarray,
    groups: tuple[SiteGroup, ...] = (),
    required: np.ndarray | None = None,
    rounds: int = 30,
    deadline: Deadline | None = None,
) -> tuple[np.ndarray, TransportPlan | None, np.ndarray]:
    """Move open sites until every demand point can be served within capacity.

    Starts from ``open_sites`` (e.g. the uncapacitated optimum, which ignores that a
    community of 13,000 households needs many stations of 1,000 nearby). Each round
    solves the transportation LP with an "unserved" slack (always feasible); where
    households are left unserved, the cheapest closed sites on those demand points'
    lists are opened and as many of the least-loaded open sites closed, keeping the
    number of sites, ``required`` sites and every group's minimum and maximum.

    Returns
    -------
    (open_sites, plan, short_rows)
        The sites reached and their assignment; ``plan`` is ``None`` if no repair was
        found within ``rounds`` (or the time), and ``short_rows`` are then the demand
        points still short of capacity: all sites on their lists are open, so their
        lists must grow (the caller's choice).
    """
    is_open = np.zeros(cm.n_sites, dtype=bool)
    is_open[np.asarray(open_sites, dtype=np.int64)] = True
    fixed = np.zeros(cm.n_sites, dtype=bool)
    if required is not None:
        fixed[np.asarray(required, dtype=np.int64)] = True
    member = _memberships(groups, cm.n_sites)
    short_rows = np.empty(0, dtype=np.int64)
    for _ in range(rounds):
        if deadline is not None and deadline.expired():
            break
        left = None if deadline is None else deadline.remaining()
        found = _solve(cm, rows, np.flatnonzero(is_open), weights, households, capacity, left, True)
        if found is None:
            break
        plan, unserved = found
        short = unserved * households[rows]  # households left unserved, per point
        short_rows = rows[unserved > 1e-7]
        if short_rows.size == 0:
            return np.flatnonzero(is_open), plan, short_rows
        load = np.zeros(cm.n_sites)
        np.add.at(
            load, cm.indices[plan.positions], households[cm.rows[plan.positions]] * plan.shares
        )
        if not _move(cm, rows, short, is_open, fixed, load, capacity, groups, member):
            break
    return np.flatnonzero(is_open), None, short_rows


def _memberships(groups: tuple[SiteGroup, ...], n_sites: int) -> list[list[int]]:
    """For each site, the groups it belongs to."""
    out: list[list[int]] = [[] for _ in range(n_sites)]
    for g, group in enumerate(groups):
        for j in np.asarray(group.sites).tolist():
            out[j].append(g)
    return out


def _move(
    cm: CostMatrix,
    rows: np.ndarray,
    short: np.ndarray,
    is_open: np.ndarray,
    fixed: np.ndarray,
    load: np.ndarray,
    capacity: np.ndarray,
    groups: tuple[SiteGroup, ...],
    member: list[list[int]],
) -> bool:
    """One repair round: open sites near the shortage, close the least loaded.

    Returns whether anything moved."""
    count = np.array([int(is_open[np.asarray(g.sites)].sum()) for g in groups], dtype=int)

    def can_open(j: int) -> bool:
        return all(groups[g].max_open is None or count[g] < groups[g].max_open for g in member[j])

    def can_close(j: int) -> bool:
        return not fixed[j] and all(count[g] > groups[g].min_open for g in member[j])

    opened: list[int] = []
    for r in np.argsort(-short).tolist():
        need = short[r]
        if need <= 1e-6:
            break
        i = int(rows[r])
        for pos in range(int(cm.indptr[i]), int(cm.indptr[i + 1])):
            j = int(cm.indices[pos])
            if need <= 1e-6:
                break
            if is_open[j] or not can_open(j):
                continue
            is_open[j] = True
            opened.append(j)
            for g in member[j]:
                count[g] += 1
            need -= capacity[j]
    if not opened:
        return False
    # Close as many as were opened: the least used first, never a fixed site or one a
    # group's minimum needs; a site just opened stays.
    order = np.argsort(load / np.maximum(capacity, 1e-9), kind="stable")
    just = set(opened)
    closed = 0
    for j in order.tolist():
        if closed == len(opened):
            break
        if is_open[j] and j not in just and can_close(j):
            is_open[j] = False
            for g in member[j]:
                count[g] -= 1
            closed += 1
    for j in opened[closed:][::-1]:  # could not close enough: undo the surplus openings
        is_open[j] = False
    return closed > 0


def _solve(
    cm: CostMatrix,
    rows: np.ndarray,
    open_sites: np.ndarray,
    weights: np.ndarray,
    households: np.ndarray,
    capacity: np.ndarray,
    time_limit_s: float | None,
    elastic: bool,
) -> tuple[TransportPlan, np.ndarray] | None:
    """The LP; with ``elastic`` each demand point may leave a share unserved at a
    price above any distance, so the LP is always feasible and the unserved shares say
    where capacity is short. Returns the plan and the unserved share per row."""
    rows = np.asarray(rows, dtype=np.int64)
    is_open = np.zeros(cm.n_sites, dtype=bool)
    is_open[np.asarray(open_sites, dtype=np.int64)] = True
    starts, ends = cm.indptr[rows], cm.indptr[rows + 1]
    row_of = np.repeat(np.arange(rows.size), ends - starts)
    pos = (
        np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)])
        if rows.size
        else np.empty(0, dtype=np.int64)
    )
    keep = is_open[cm.indices[pos]]
    pos, row_of = pos[keep], row_of[keep]
    if not elastic and np.bincount(row_of, minlength=rows.size).min(initial=1) == 0:
        return None  # some demand point has no open site on its list
    used, col = np.unique(cm.indices[pos], return_inverse=True)
    n = pos.size
    cost = weights[rows][row_of] * cm.data[pos]
    eq_rows, eq_cols = row_of, np.arange(n)
    ub_vals = households[rows][row_of].astype(float)
    n_slack = rows.size if elastic else 0
    if elastic:
        price = 10.0 * (float(cost.max(initial=0.0)) + 1.0)
        cost = np.concatenate([cost, np.full(n_slack, price)])
        eq_rows = np.concatenate([eq_rows, np.arange(rows.size)])
        eq_cols = np.concatenate([eq_cols, n + np.arange(rows.size)])
    a_eq = sparse.csr_array(
        (np.ones(eq_rows.size), (eq_rows, eq_cols)), shape=(rows.size, n + n_slack)
    )
    a_ub = sparse.csr_array((ub_vals, (col, np.arange(n))), shape=(used.size, n + n_slack))
    options: dict = {"presolve": True}
    if time_limit_s is not None:
        options["time_limit"] = max(float(time_limit_s), 0.01)
    res = optimize.linprog(
        cost,
        A_ub=a_ub,
        b_ub=capacity[used].astype(float),
        A_eq=a_eq,
        b_eq=np.ones(rows.size),
        bounds=(0, 1),
        method="highs",
        options=options,
    )
    if res.status != 0 or res.x is None:
        return None
    share = np.clip(res.x[:n], 0.0, 1.0)
    unserved = np.clip(res.x[n:], 0.0, 1.0) if elastic else np.zeros(rows.size)
    positive = share > 1e-9
    objective = float(cost[:n] @ share)
    return TransportPlan(objective, pos[positive], share[positive]), unserved
