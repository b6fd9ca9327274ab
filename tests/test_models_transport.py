"""The transportation LP and the capacity repair behind the capacitated station tier."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

from planner.instance.distance import CostMatrix
from planner.models import Deadline, PMedian, PolicyRules, SiteGroup, SolverOptions
from planner.models.transport import repair_sites, transport_assignment


def _dense_lp(dist, w, households, capacity, open_sites) -> float:
    """Independent dense LP of the split assignment to ``open_sites`` (inf if none)."""
    n, k = dist.shape[0], len(open_sites)
    cost = (w[:, None] * dist[:, open_sites]).ravel()
    a_eq = np.kron(np.eye(n), np.ones(k))
    a_ub = np.hstack([np.kron(households[i], np.eye(k)) for i in range(n)])
    res = linprog(
        cost,
        A_ub=a_ub,
        b_ub=capacity[open_sites],
        A_eq=a_eq,
        b_eq=np.ones(n),
        bounds=(0, 1),
        method="highs",
    )
    return float(res.fun) if res.status == 0 else np.inf


def _instance(seed: int, n: int = 12, m: int = 6):
    rng = np.random.default_rng(seed)
    demand, sites = rng.uniform(0, 1000, (n, 2)), rng.uniform(0, 1000, (m, 2))
    dist = np.linalg.norm(demand[:, None] - sites[None], axis=2)
    return dist, rng.integers(1, 10, n).astype(float)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_transport_equals_an_independent_dense_lp(seed):
    dist, w = _instance(seed)
    households = w * 10
    capacity = np.full(6, households.sum() / 2.5)
    cm = CostMatrix.from_dense(dist)
    rows = np.arange(12)
    for open_sites in itertools.combinations(range(6), 3):
        open_sites = np.array(open_sites)
        plan = transport_assignment(cm, rows, open_sites, w, households, capacity)
        expected = _dense_lp(dist, w, households, capacity, open_sites)
        if not np.isfinite(expected):
            assert plan is None
            continue
        assert plan.objective == pytest.approx(expected, rel=1e-7)
        # Every demand point fully served, every site within capacity, only open sites.
        served = np.bincount(cm.rows[plan.positions], weights=plan.shares, minlength=12)
        assert np.allclose(served, 1.0)
        sites = cm.indices[plan.positions]
        assert set(sites.tolist()) <= set(open_sites.tolist())
        load = np.bincount(
            sites, weights=households[cm.rows[plan.positions]] * plan.shares, minlength=6
        )
        assert np.all(load <= capacity + 1e-6)


def test_transport_none_when_a_point_has_no_open_site_on_its_list():
    dist, w = _instance(4)
    cm = CostMatrix.from_dense(dist, k=1)  # one site per list
    nearest = np.argmin(dist, axis=1)
    closed = nearest[0]
    open_sites = np.array([j for j in range(6) if j != closed])
    assert transport_assignment(cm, np.arange(12), open_sites, w, w, np.full(6, 1e9)) is None


def test_repair_moves_a_site_next_to_the_community_short_of_capacity():
    # A big community at x=0 (6 households) with candidates 0 and 1 beside it; a small
    # one at x=1000 with candidates 2 and 3. Capacity 4 per site. The uncapacitated
    # choice {0, 2, 3} leaves 2 households of the big community unserved on its list
    # (0 and 1); the repair opens 1 and closes the least used of 2 and 3.
    demand = np.array([[0.0, 0.0], [1000.0, 0.0]])
    sites = np.array([[0.0, 1.0], [0.0, 2.0], [1000.0, 1.0], [1000.0, 2.0]])
    dist = np.linalg.norm(demand[:, None] - sites[None], axis=2)
    cm = CostMatrix.from_dense(dist, radius=10.0)
    households = np.array([6.0, 1.0])
    capacity = np.full(4, 4.0)
    assert (
        transport_assignment(
            cm, np.arange(2), np.array([0, 2, 3]), households, households, capacity
        )
        is None
    )
    open_sites, plan, short = repair_sites(
        cm, np.arange(2), np.array([0, 2, 3]), households, households, capacity
    )
    assert plan is not None and short.size == 0
    assert {0, 1} <= set(open_sites.tolist()) and len(open_sites) == 3
    assert plan.objective == pytest.approx(
        _dense_lp(dist, households, households, capacity, open_sites)
    )


def test_repair_keeps_required_sites_and_group_minimums():
    demand = np.array([[0.0, 0.0], [1000.0, 0.0]])
    sites = np.array([[0.0, 1.0], [0.0, 2.0], [1000.0, 1.0], [1000.0, 2.0]])
    dist = np.linalg.norm(demand[:, None] - sites[None], axis=2)
    cm = CostMatrix.from_dense(dist, radius=10.0)
    households = np.array([6.0, 1.0])
    capacity = np.full(4, 4.0)
    # Site 3 is required and the east township needs one of {2, 3}: the repair may only
    # close 2 if 3 stays, so {0, 1, 3}.
    groups = (SiteGroup("东镇", [2, 3], min_open=1, kind="township"),)
    open_sites, plan, _ = repair_sites(
        cm,
        np.arange(2),
        np.array([0, 2, 3]),
        households,
        households,
        capacity,
        groups,
        required=np.array([3]),
    )
    assert plan is not None
    assert sorted(open_sites.tolist()) == [0, 1, 3]
    # With both east sites required there is nothing to close: no repair.
    _, none, short = repair_sites(
        cm,
        np.arange(2),
        np.array([0, 2, 3]),
        households,
        households,
        capacity,
        groups,
        required=np.array([2, 3]),
    )
    assert none is None and short.tolist() == [0]


def test_capacitated_pmedian_answers_with_the_repaired_plan_when_the_mip_has_no_time(
    monkeypatch,
):
    demand = np.array([[0.0, 0.0], [1000.0, 0.0]])
    sites = np.array([[0.0, 1.0], [0.0, 2.0], [1000.0, 1.0], [1000.0, 2.0]])
    households = np.array([6.0, 1.0])
    model = PMedian.from_points(
        demand, sites, 3, households, rules=PolicyRules(capacity=4.0), radius=10.0
    )
    # The clock stands still until the transport start is in hand, then jumps past the
    # limit, so the MIP is never built.
    now = [0.0]
    real = PMedian._transport_start

    def start_then_expire(self, *args):
        out = real(self, *args)
        now[0] = 1e6
        return out

    monkeypatch.setattr(PMedian, "_transport_start", start_then_expire)
    sol = model.solve(SolverOptions(time_limit_s=60), deadline=Deadline(60, lambda: now[0]))
    keys = {d.key for d in sol.diagnoses}
    assert "solve.capacity_transport" in keys
    assert sorted(sol.sites.tolist())[:2] == [0, 1]
    assert sol.status in ("optimal", "time_limit_feasible") and sol.gap is not None
    rows, cols, share = sol.allocation
    load = np.bincount(cols, weights=households[rows] * share, minlength=4)
    assert np.all(load <= 4.0 + 1e-9)


def test_repaired_plan_without_a_proven_bound_still_states_its_gap(monkeypatch):
    # Under load the uncapacitated start may stop before proving a bound; every point at
    # its nearest site still bounds every plan, so the answer keeps a gap.
    demand = np.array([[0.0, 0.0], [1000.0, 0.0]])
    sites = np.array([[0.0, 1.0], [0.0, 2.0], [1000.0, 1.0], [1000.0, 2.0]])
    households = np.array([6.0, 1.0])
    model = PMedian.from_points(
        demand, sites, 3, households, rules=PolicyRules(capacity=4.0), radius=10.0
    )
    real = PMedian._uncapacitated_start

    def no_bound(self, *args):
        start, _ = real(self, *args)
        return start, None

    now = [0.0]
    real_transport = PMedian._transport_start

    def start_then_expire(self, *args):
        out = real_transport(self, *args)
        now[0] = 1e6
        return out

    monkeypatch.setattr(PMedian, "_uncapacitated_start", no_bound)
    monkeypatch.setattr(PMedian, "_transport_start", start_then_expire)
    sol = model.solve(SolverOptions(time_limit_s=60), deadline=Deadline(60, lambda: now[0]))
    # Nearest sites: 6 households at 1 m, 1 at 1 m: bound 7.
    assert sol.bound == pytest.approx(7.0)
    assert sol.gap is not None and sol.objective >= sol.bound
