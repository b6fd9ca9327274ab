"""Solver time limits: a wall-clock budget per tier, and a hard guard around HiGHS.

Issue 14, family 9: a short ``time_limit_s`` was overrun several times over per tier.
The limit is now a :class:`~planner.models.Deadline` started with the tier (building
included); every phase gets what is left of it, and HiGHS runs under a guard that
interrupts it at the deadline, or cuts it off and keeps the best plan it reported.

These tests drive the mechanism with injected clocks (a deadline already spent, one
that passes at a chosen moment) and never assert wall-clock times; measured seconds
are printed for information only.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np
import pulp
import pytest
from conftest import reference_data

import planner.models as models
from planner.instance.distance import CostMatrix
from planner.models import (
    MCLP,
    Deadline,
    PMedian,
    PolicyRules,
    SetCover,
    SiteGroup,
    SolverOptions,
    SortingCentreModel,
    _highs,
    groups_from_labels,
    solve_problem,
)
from planner.models.lagrangian import LagrangianAscent
from planner.models.median_search import median_search
from planner.models.reference import euclidean, orlib_cap
from planner.models.warm import rules_hold

NO_PLAN_ZH = "在求解时限内未找到任何可行方案；请放宽时限或规则。"
NO_PLAN_EN = "No feasible plan was found within the limit; allow more time or relax the rules."
SKIPPED_ZH = "时限已用完，求解器未再启动；返回此前（启发式搜索或上一轮求解）得到的最好方案。"
SKIPPED_EN = (
    "The time limit was used up, so the solver was not started (again); the best plan "
    "found before (by the heuristic search or an earlier round) is returned."
)
CUT_OFF_ZH = "求解器到达时限后没有自行停止，已在时限处中断；返回中断前找到的最好方案。"
CUT_OFF_EN = (
    "The solver did not stop at the time limit on its own; it was cut off at the limit "
    "and the best plan found before that is returned."
)


class ManualClock:
    """A clock that moves only when told (``clock.now = ...``)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def spent(budget: float = 10.0) -> Deadline:
    """A deadline whose budget was used up before the model was solved (by building)."""
    clock = ManualClock()
    deadline = Deadline(budget, clock=clock)
    clock.now = budget + 1.0
    return deadline


def _points(seed: int, n: int, m: int):
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 10_000, (n, 2))
    sites = rng.uniform(0, 10_000, (m, 2))
    weights = rng.integers(1, 50, n).astype(float)
    return demand, sites, weights


def _diag_keys(sol) -> list[str]:
    return [d.key for d in sol.diagnoses]


def _diag(sol, key: str):
    found = [d for d in sol.diagnoses if d.key == key]
    assert found, f"{key} not in {_diag_keys(sol)}"
    return found[0]


def _townships(m: int, size: int = 10) -> list[SiteGroup]:
    labels = [f"T{j // size}" for j in range(m)]
    return groups_from_labels(labels, min_open=1, kind="township")


# --------------------------------------------------------------------------- Deadline


def test_deadline_counts_down_on_its_clock_and_never_goes_negative():
    clock = ManualClock()
    deadline = Deadline(2.0, clock=clock)
    clock.now = 0.5
    assert deadline.remaining() == pytest.approx(1.5) and not deadline.expired()
    clock.now = 1.97
    assert deadline.expired()  # under MIN_SOLVE_S left: no solver call is worth starting
    clock.now = 9.0
    assert deadline.remaining() == 0.0


def test_a_phase_share_never_outlasts_the_tier():
    clock = ManualClock()
    tier = Deadline(10.0, clock=clock)
    clock.now = 8.0
    share = tier.sub(5.0)  # e.g. the relaxation's 25 %: capped by the 2 s the tier has left
    assert share.remaining() == pytest.approx(2.0)
    assert tier.sub(None).remaining() == pytest.approx(2.0)
    assert Deadline(None).remaining() is None and not Deadline(None).expired()


def test_events_reach_the_tier_but_a_skip_only_when_the_tier_is_spent():
    clock = ManualClock()
    tier = Deadline(10.0, clock=clock)
    share = tier.sub(1.0)
    clock.now = 2.0
    share.note("skipped")  # the share is spent, the tier is not: its solver still runs
    share.note("cut_off")
    assert share.events == {"skipped", "cut_off"} and tier.events == {"cut_off"}
    clock.now = 11.0
    share.note("skipped")
    assert tier.events == {"skipped", "cut_off"}


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_solver_is_not_started_when_the_deadline_is_spent(solver, monkeypatch):
    started = []
    monkeypatch.setattr(_highs, "_solve_highs", lambda *a: started.append(a))
    monkeypatch.setattr(_highs, "_solve_cbc", lambda *a: started.append(a))
    prob = pulp.LpProblem("tiny", pulp.LpMinimize)
    x = prob.add_variable("x", 0, 1, pulp.LpBinary)
    prob += x
    deadline = spent()
    raw = solve_problem(prob, SolverOptions(solver=solver), deadline)
    assert started == []
    assert (raw.status, raw.has_solution, raw.detail) == (
        "error",
        False,
        "no solution within the limit",
    )
    assert deadline.events == {"skipped"}


# --------------------------------------------------------------- (a) spent while building


def test_pmedian_spent_during_building_returns_the_heuristic_plan_with_a_gap():
    demand, sites, w = _points(1, 300, 120)
    model = PMedian.from_points(demand, sites, 12, w)  # presolve: swap search + Lagrangian
    sol = model.solve(SolverOptions(time_limit_s=10), deadline=spent())
    assert sol.status == "time_limit_feasible"
    assert len(sol.sites) == 12 and len(set(sol.sites.tolist())) == 12
    true_cost = float(w @ euclidean(demand, sites)[:, sol.sites].min(axis=1))
    assert sol.objective == pytest.approx(true_cost)
    assert sol.gap is not None and 0 < sol.gap <= 1 and sol.bound <= sol.objective


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_pmedian_with_township_rules_spent_returns_a_rule_abiding_plan(solver):
    # Township minimums switch the presolve off: the MIP path's greedy plan is returned.
    demand, sites, w = _points(2, 300, 120)
    rules = PolicyRules(groups=_townships(120))
    model = PMedian.from_points(demand, sites, 20, w, rules=rules)
    sol = model.solve(SolverOptions(solver=solver, time_limit_s=10), deadline=spent())
    assert sol.status == "time_limit_feasible"
    assert rules_hold(sol.sites, rules, 120, 20)
    true_cost = float(w @ euclidean(demand, sites)[:, sol.sites].min(axis=1))
    assert sol.objective == pytest.approx(true_cost)
    # The bound: every community at its nearest candidate, whatever opens.
    nearest = float(w @ euclidean(demand, sites).min(axis=1))
    assert sol.bound == pytest.approx(nearest) and sol.gap == pytest.approx(
        (true_cost - nearest) / true_cost
    )
    skipped = _diag(sol, "solve.solver_skipped")
    assert (skipped.severity, skipped.message("zh"), skipped.message("en")) == (
        "info",
        SKIPPED_ZH,
        SKIPPED_EN,
    )


def test_sorting_centres_spent_returns_a_capacity_feasible_plan_with_a_gap():
    stations, sites, t = _points(3, 150, 25)
    cap = t.sum() / 6 * 1.2
    counties = groups_from_labels([f"C{j % 3}" for j in range(25)], min_open=1, kind="county")
    rules = PolicyRules(groups=counties)
    model = SortingCentreModel.from_points(stations, sites, t, cap, p=6, rules=rules)
    sol = model.solve(SolverOptions(time_limit_s=10), deadline=spent())
    assert sol.status == "time_limit_feasible"
    assert len(sol.centres) == 6 and rules_hold(sol.centres, rules, 25, 6)
    assert np.all(sol.assignment >= 0) and np.all(sol.load <= cap + 1e-6)
    d = euclidean(stations, sites)
    served = d[np.arange(150), sol.assignment]
    assert sol.objective == pytest.approx(float(t @ served))
    assert sol.bound == pytest.approx(float(t @ d.min(axis=1)))
    assert 0 < sol.gap < 1
    assert _diag(sol, "solve.solver_skipped").message("en") == SKIPPED_EN


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda d, s, w: MCLP.from_points(d, s, 5, 1_500.0, w), id="mclp"),
        pytest.param(lambda d, s, w: SetCover.from_points(d, s, 3_000.0, w), id="set_cover"),
        pytest.param(
            lambda d, s, w: PMedian.from_points(
                d, s, 8, w, rules=PolicyRules(capacity=w.sum() / 8 * 1.1)
            ),
            id="capacitated-p-median",
        ),
    ],
)
def test_no_plan_by_the_deadline_is_said_plainly(make):
    demand, sites, w = _points(4, 80, 40)
    sol = make(demand, sites, w).solve(SolverOptions(time_limit_s=5), deadline=spent(5))
    assert sol.status == "error" and len(sol.sites) == 0
    no_plan = _diag(sol, "solve.no_solution_in_limit")
    assert (no_plan.message("zh"), no_plan.message("en")) == (NO_PLAN_ZH, NO_PLAN_EN)
    assert "solve.solver_skipped" not in _diag_keys(sol)  # nothing was returned instead


# ------------------------------------------------------- (b) every call gets the remainder


class _Spy:
    """Records the limit each solver call received against the tier's remaining time."""

    def __init__(self, clock: ManualClock, tier: Deadline, step: float) -> None:
        self.clock, self.tier, self.step = clock, tier, step
        self.calls: list[tuple[str, float, float]] = []

    def record(self, what: str, limit: float | None) -> None:
        rem = self.tier.remaining()
        self.calls.append((what, limit, rem))
        self.clock.now += self.step  # the solve uses some of the budget


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_each_grow_round_gets_only_what_is_left(solver, monkeypatch):
    clock = ManualClock()
    tier = Deadline(60.0, clock=clock)
    spy = _Spy(clock, tier, step=7.0)
    real_config = _highs._HiGHS.createAndConfigureSolver

    def highs_config(self, lp):
        real_config(self, lp)
        spy.record(lp.name, lp.solverModel.getOptionValue("time_limit")[1])

    monkeypatch.setattr(_highs._HiGHS, "createAndConfigureSolver", highs_config)
    real_cbc = pulp.PULP_CBC_CMD

    class CBC(real_cbc):
        def actualSolve(self, lp, **kwargs):
            spy.record(lp.name, self.timeLimit)
            return super().actualSolve(lp, **kwargs)

    monkeypatch.setattr(pulp, "PULP_CBC_CMD", CBC)
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 10_000, (150, 2))
    w = rng.integers(1, 9, 150).astype(float)
    # Two-site lists and no presolve: the check-and-grow loop needs several rounds.
    cm = CostMatrix.from_dense(euclidean(xy, xy), k=2)
    model = PMedian.from_cost_matrix(cm, 8, w, presolve=False)
    sol = model.solve(SolverOptions(solver=solver, time_limit_s=60), deadline=tier)
    print("calls (model, limit given, tier remaining):", spy.calls)
    assert sol.result.has_plan and len(spy.calls) >= 2
    for _, limit, rem in spy.calls:
        assert limit <= rem + 1e-9
    limits = [limit for _, limit, _ in spy.calls]
    assert limits == sorted(limits, reverse=True) and limits[0] > limits[-1] + 6.0
    if solver == "highs":
        # HiGHS's own limit ends a little before the deadline; the guard ends it there.
        assert limits[0] == pytest.approx(60.0 - _highs.GUARD_GRACE_S)


def test_every_phase_of_a_centre_tier_gets_at_most_the_tier_remainder(monkeypatch):
    clock = ManualClock()
    tier = Deadline(40.0, clock=clock)
    spy = _Spy(clock, tier, step=3.0)
    seen: list[tuple[str, float | None, float]] = []
    import planner.models.centres as centres

    def watch(module, name):
        real = getattr(module, name)

        def wrapped(*args, **kwargs):
            seen.append((name, kwargs.get("seconds"), tier.remaining()))
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapped)

    watch(centres, "capacitated_search")
    real_config = _highs._HiGHS.createAndConfigureSolver

    def highs_config(self, lp):
        real_config(self, lp)
        spy.record(lp.name, lp.solverModel.getOptionValue("time_limit")[1])

    monkeypatch.setattr(_highs._HiGHS, "createAndConfigureSolver", highs_config)
    stations_xy, sites, t = _points(6, 120, 30)
    # County minimums: the relaxation is a p-median MIP (HiGHS) on its share of the tier.
    counties = groups_from_labels([f"C{j % 3}" for j in range(30)], min_open=1, kind="county")
    model = SortingCentreModel.from_points(
        stations_xy, sites, t, t.sum() / 8 * 1.5, p=8, k=30, rules=PolicyRules(groups=counties)
    )
    sol = model.solve(SolverOptions(time_limit_s=40), deadline=tier)
    print("solver calls:", spy.calls, "heuristics:", seen)
    assert sol.result.has_plan and spy.calls and seen
    for _, limit, rem in spy.calls:
        assert limit <= rem + 1e-9
    for _, seconds, rem in seen:
        assert seconds is not None and seconds <= rem + 1e-9
    relax = [limit for name, limit, _ in spy.calls if name == "p_median"]
    assert relax and relax[0] <= 0.25 * 40.0


def test_lagrangian_rounds_get_the_remainder(monkeypatch):
    clock = ManualClock()
    tier = Deadline(30.0, clock=clock)
    seen: list[tuple[float | None, float]] = []
    real_run = LagrangianAscent.run

    def run(self, upper, max_iterations, seconds=None):
        seen.append((seconds, tier.remaining()))
        clock.now += 2.0
        return real_run(self, upper, max_iterations, seconds)

    monkeypatch.setattr(LagrangianAscent, "run", run)
    demand, sites, w = _points(7, 400, 200)
    sol = PMedian.from_points(demand, sites, 10, w).solve(SolverOptions(gap=0.0), deadline=tier)
    print("Lagrangian rounds (seconds, remaining):", seen)
    assert sol.result.has_plan and seen
    assert all(s is not None and s <= rem for s, rem in seen)


def test_median_search_seconds_never_exceed_the_budget():
    # The swap search stops on its own clock: zero seconds returns the start, priced.
    demand, sites, w = _points(8, 200, 60)
    cm = CostMatrix.from_dense(euclidean(demand, sites), k=10)
    start = np.arange(6)
    plan = median_search(cm, w, start, required=np.empty(0, dtype=np.int64), seconds=0.0)
    assert plan.swaps == 0 and plan.sites.tolist() == start.tolist()
    assert plan.cost == pytest.approx(float(w @ euclidean(demand, sites)[:, start].min(axis=1)))


# ------------------------------------------------- (c) the guard stops a real HiGHS solve


def _single_source_cflp(seed: int, n: int, m: int, p: int):
    """A PuLP single-source capacitated facility problem HiGHS does not close at once."""
    rng = np.random.default_rng(seed)
    xy, sxy = rng.uniform(0, 10_000, (n, 2)), rng.uniform(0, 10_000, (m, 2))
    t = rng.uniform(1, 5, n)
    cap = t.sum() / p * 1.03
    cost = t[:, None] * euclidean(xy, sxy) / 1000
    return cost, t, np.full(m, cap), p


def _orlib_cap(name: str):
    _, _, demand, cost = orlib_cap(name, reference_data("orlib"))
    # The published costs and demands as a single-source problem with exactly four
    # warehouses of equal capacity (3 % slack): a binary packing HiGHS must branch on.
    return cost, demand, np.full(cost.shape[1], demand.sum() / 4 * 1.03), 4


def _problem(cost, t, cap, p):
    n, m = cost.shape
    prob = pulp.LpProblem("cflp", pulp.LpMinimize)
    y = [prob.add_variable(f"y{j}", 0, 1, pulp.LpBinary) for j in range(m)]
    x = {
        (i, j): prob.add_variable(f"x{i}_{j}", 0, 1, pulp.LpBinary)
        for i in range(n)
        for j in range(m)
    }
    prob += pulp.lpSum(float(cost[i, j]) * v for (i, j), v in x.items())
    for i in range(n):
        prob += pulp.lpSum(x[i, j] for j in range(m)) == 1
    for j in range(m):
        prob += pulp.lpSum(float(t[i]) * x[i, j] for i in range(n)) <= float(cap[j]) * y[j]
    if p is not None:
        prob += pulp.lpSum(y) == p
    return prob, y, x


def _check_incumbent(raw, cost, t, cap, y, x, proven: bool = False):
    n, m = cost.shape
    assert raw.has_solution and raw.status == "time_limit_feasible"
    assign = np.array([[x[i, j].varValue for j in range(m)] for i in range(n)])
    assert np.allclose(assign.sum(axis=1), 1.0, atol=1e-6)
    load = t @ assign
    is_open = np.array([v.varValue for v in y])
    assert np.all(load <= cap * is_open + 1e-6)
    assert raw.objective == pytest.approx(float(np.sum(cost * assign)))
    assert raw.bound is not None and raw.bound <= raw.objective + 1e-6
    gap = (raw.objective - raw.bound) / raw.objective
    assert -1e-9 <= gap <= 1 and (proven or gap > 0)
    return gap


@pytest.mark.parametrize(
    "instance",
    [
        pytest.param(lambda: _single_source_cflp(0, 120, 30, 8), id="random-120x30"),
        pytest.param(lambda: _orlib_cap("cap71"), id="orlib-cap71-single-source-p4"),
    ],
)
def test_interrupt_stops_a_real_highs_solve_at_the_deadline(instance, monkeypatch):
    cost, t, cap, p = instance()
    prob, y, x = _problem(cost, t, cap, p)
    clock = ManualClock()
    deadline = Deadline(600.0, clock=clock)
    real_on_solution = _highs._Guard._on_solution

    def first_incumbent_then_time_is_up(self, event):
        real_on_solution(self, event)
        clock.now = 601.0  # the deadline passes once HiGHS holds a plan

    monkeypatch.setattr(_highs._Guard, "_on_solution", first_incumbent_then_time_is_up)
    t0 = time.perf_counter()
    raw = solve_problem(prob, SolverOptions(gap=0.0), deadline)
    print(f"interrupted after {time.perf_counter() - t0:.2f} s (600 s budget on a fake clock)")
    assert raw.detail == "interrupted at the deadline"
    gap = _check_incumbent(raw, cost, t, cap, y, x)
    print(f"incumbent {raw.objective:.1f}, bound {raw.bound:.1f}, gap {gap:.2%}")


@pytest.fixture
def hanging_highs(monkeypatch):
    """HiGHS runs, then hangs like a phase that never checks its limit."""
    release = threading.Event()
    clock = ManualClock()

    def run_then_hang(h):
        h.run()
        clock.now += 1_000.0  # the deadline passes while HiGHS is "stuck"
        release.wait(60)

    monkeypatch.setattr(_highs, "_run_highs", run_then_hang)
    yield clock
    release.set()
    for thread in list(_highs._LEFT_BEHIND):
        thread.join(10)


def test_guard_cuts_off_a_hanging_solve_and_keeps_its_best_plan(hanging_highs):
    cost, t, cap, p = _single_source_cflp(1, 40, 10, 4)
    prob, y, x = _problem(cost, t, cap, p)
    deadline = Deadline(0.5, clock=hanging_highs)  # the caller waits 0.5 s of real time
    raw = solve_problem(prob, SolverOptions(), deadline)
    assert raw.detail == "cut off at the deadline" and deadline.events == {"cut_off"}
    assert any(thread.is_alive() for thread in _highs._LEFT_BEHIND)
    # HiGHS closed the gap before it hung: the cut-off keeps that plan and bound.
    _check_incumbent(raw, cost, t, cap, y, x, proven=True)


def test_a_cut_off_tier_says_so_and_returns_its_plan(hanging_highs):
    demand, sites, w = _points(9, 200, 60)
    rules = PolicyRules(groups=_townships(60, size=6))
    model = PMedian.from_points(demand, sites, 12, w, rules=rules)
    sol = model.solve(SolverOptions(time_limit_s=0.5), deadline=Deadline(0.5, clock=hanging_highs))
    assert sol.status == "time_limit_feasible" and rules_hold(sol.sites, rules, 60, 12)
    true_cost = float(w @ euclidean(demand, sites)[:, sol.sites].min(axis=1))
    assert sol.objective == pytest.approx(true_cost)
    assert sol.gap is not None and sol.bound <= sol.objective
    cut = _diag(sol, "solve.solver_cut_off")
    assert (cut.severity, cut.message("zh"), cut.message("en")) == ("info", CUT_OFF_ZH, CUT_OFF_EN)


def test_without_a_limit_highs_runs_unguarded(monkeypatch):
    guarded = []
    monkeypatch.setattr(_highs._Guard, "run", lambda self, h: guarded.append(h))
    cost, t, cap, p = _single_source_cflp(2, 12, 4, 2)
    prob, _, _ = _problem(cost, t, cap, p)
    raw = solve_problem(prob, SolverOptions(), None)
    assert guarded == [] and raw.status == "optimal"


# ------------------------------------------------------------------- (d) the pipeline


@pytest.mark.parametrize("limit", [0.01, 1.0])
def test_jinjiang_with_a_tiny_limit_still_plans_both_tiers(limit):
    from planner.run import run_plan
    from planner.scenario import default_scenario

    scenario = default_scenario("jinjiang")
    scenario = replace(scenario, solver=replace(scenario.solver, time_limit_s=limit))
    plan = run_plan("jinjiang", scenario)
    for r in plan.results:
        print(f"limit {limit}: {r.tier} {r.status} gap={r.gap} in {r.seconds} s")
    station, centre = plan.results
    assert (station.tier, centre.tier) == ("station", "sorting_centre")
    for r in (station, centre):
        assert r.status in ("optimal", "time_limit_feasible")
        assert r.gap is not None and 0 <= r.gap <= 1 and r.bound <= r.objective * (1 + 1e-9)
    sites = plan.sites
    assert (sites["tier"] == "station").sum() == scenario.stations.count
    assert (sites["tier"] == "sorting_centre").sum() == scenario.centres.count
    assert plan.demand["station_id"].notna().all()
    if limit == 0.01:
        # Nothing but building fits in 10 ms: the greedy plans, said so in both languages.
        for r in (station, centre):
            assert r.status == "time_limit_feasible"
            note = next(d for d in r.diagnoses if d["key"] == "solve.solver_skipped")
            assert (note["zh"], note["en"]) == (SKIPPED_ZH, SKIPPED_EN)


def test_model_building_counts_against_the_tier_budget(monkeypatch):
    # The tier's clock starts before the model is built: a build that takes the whole
    # budget leaves the solver nothing, and the tier returns its greedy plan at once.
    from planner.run import run_plan
    from planner.scenario import default_scenario

    clock = ManualClock()
    built = []

    class TierDeadline(Deadline):
        def __init__(self, seconds, clock_=None, parent=None):
            super().__init__(seconds, clock if clock_ is None else clock_, parent)

    real_from_cost_matrix = PMedian.from_cost_matrix.__func__

    def slow_build(cls, *args, **kwargs):
        built.append(clock.now)
        clock.now += 100.0  # building "takes" longer than the 60 s limit
        return real_from_cost_matrix(cls, *args, **kwargs)

    monkeypatch.setattr(models, "Deadline", TierDeadline)
    monkeypatch.setattr(PMedian, "from_cost_matrix", classmethod(slow_build))
    plan = run_plan("jinjiang", default_scenario("jinjiang"))  # time_limit_s: 60
    station = plan.results[0]
    assert built and station.status == "time_limit_feasible"
    assert [d["key"] for d in station.diagnoses] == ["solve.solver_skipped"]
    assert (plan.sites["tier"] == "station").sum() == 80


def test_a_left_behind_run_ends_once_highs_returns(monkeypatch):
    # A cut-off run keeps its (non-daemon) thread until HiGHS returns; then it is gone.
    release = threading.Event()
    clock = ManualClock()

    def run_then_hang(h):
        h.run()
        clock.now += 1_000.0
        release.wait(60)

    monkeypatch.setattr(_highs, "_run_highs", run_then_hang)
    cost, t, cap, p = _single_source_cflp(3, 20, 6, 3)
    prob, _, _ = _problem(cost, t, cap, p)
    raw = solve_problem(prob, SolverOptions(), Deadline(0.2, clock=clock))
    assert raw.detail == "cut off at the deadline"
    behind = [thread for thread in _highs._LEFT_BEHIND if thread.is_alive()]
    assert behind and not any(thread.daemon for thread in behind)
    release.set()
    for thread in behind:
        thread.join(10)
    assert not any(thread.is_alive() for thread in behind)
