"""Solver glue: :func:`solve_problem` runs a PuLP problem on HiGHS (or CBC) under a
:class:`~planner.models.deadline.Deadline` and reads back what PuLP does not expose: the
best bound, the solver's own stop reason (time/node limit versus optimal) and hence an
honest gap.

HiGHS does not honour its own ``time_limit`` everywhere: some phases check no limit
(root-node randomized rounding with objective propagation, after feasibility jump has
found a first plan) and can run seconds past it on a city-size station tier. So HiGHS
runs under a :class:`_Guard` that interrupts it at the deadline through highspy's
callbacks and, if it still has not returned, cuts it off and keeps the best plan it
reported. CBC runs as a child process that honours its wall-clock limit.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import re
import sys
import tempfile
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pulp

from planner.models.deadline import MIN_SOLVE_S, Deadline, OutOfTime, check_time
from planner.models.results import (
    ERROR,
    INFEASIBLE,
    OPTIMAL,
    TIME_LIMIT_FEASIBLE,
    UNBOUNDED,
)
from planner.models.rules import SolverOptions

__all__ = [
    "GUARD_GRACE_S",
    "OBJECTIVE_SCALE_TARGET",
    "STRONG_INCUMBENT",
    "RawSolve",
    "solve_problem",
]

#: HiGHS's own time limit ends this much before the deadline (never below
#: :data:`~planner.models.deadline.MIN_SOLVE_S`), so it normally stops by itself, with
#: its final bound, before the guard cuts it off at the deadline (see :class:`_Guard`).
GUARD_GRACE_S = 0.15

#: HiGHS settings for a MIP handed a plan that is already at or near the optimum (the
#: p-median after its swap search and Lagrangian presolve): what is left is proving
#: the bound, so the sub-MIP heuristics (RINS, RENS, root reduced-cost), which look for
#: better plans, and the restarts after root fixings, which redo presolve and the root
#: cuts, only cost time; so does strong branching to initialise pseudo-costs on a
#: tree that stays small. On generated p-median graphs of 500-900 nodes with p = 5 or
#: 10 (``benchmarks/results/small_p.md``) the defaults took two to four times as long
#: (pmed16: 14 s -> 2.5 s; a 900-node p = 10 graph: 25 s -> 8 s), for the same
#: optimum; the capacitated centre tier's MIP, started from its search's re-assigned
#: plan, proved the 100-point capacitated p-medians of ``benchmarks/capacitated.py``
#: in 2.1-19.0 s instead of 2.3-22.8 s. Not used where the start may be poor, as in
#: the multi-sourcing centre tier (CFLP): RINS improves it there (one 1,000 x 100
#: instance ended at 0.78 % after 120 s with these settings, 0.07 % in 88 s without).
STRONG_INCUMBENT: dict[str, Any] = {
    "mip_allow_restart": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_pscost_minreliable": 0,
}


@dataclass(frozen=True)
class RawSolve:
    """What one MIP solve returned, in the :mod:`planner.models.results` status vocabulary.

    ``objective`` and ``bound`` include the objective's constant term and are in the
    problem's own sense (bound <= objective when minimising).
    """

    status: str
    objective: float | None
    bound: float | None
    has_solution: bool
    #: Why it stopped short: an error, "no solution within the limit", "interrupted at
    #: the deadline" (HiGHS stopped by the guard's callback) or "cut off at the
    #: deadline" (the guard gave up waiting, see :class:`_Guard`).
    detail: str = ""


class _HiGHS(pulp.HiGHS):  # type: ignore[misc, valid-type]
    """PuLP's HiGHS with two fixes.

    * PuLP 3.3's status table lacks ``kSolutionLimit`` (node limit), ``kMemoryLimit``
      and ``kHighsInterrupt`` and raises ``KeyError`` on them; values are already
      loaded by then, so we map them to "stopped with/without a solution".
    * The model is passed to HiGHS in a few batched calls instead of one Python call
      per column and per row, which dominates the solve time of the big but easy
      radius formulations.

    It also accepts a (partial) warm start, which PuLP only offers for HiGHS_CMD:
    variables whose ``varValue`` is set are handed to HiGHS, which completes the rest;
    and a :class:`_Guard`, which runs the solve where it can be cut off at the deadline.
    """

    def __init__(
        self, *args: Any, warm_start: bool = False, guard: _Guard | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.warm_start = warm_start
        self.guard = guard

    def callSolver(self, lp: pulp.LpProblem) -> None:
        if self.guard is None:
            lp.solverModel.run()
        else:
            self.guard.run(lp.solverModel)

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:
        import highspy

        # Handing a city-size model to HiGHS takes a good part of a second: stop if the
        # deadline passes meanwhile (OutOfTime: the solve is skipped).
        deadline = self.guard.deadline if self.guard is not None else None
        h = lp.solverModel
        inf = highspy.kHighsInf
        variables = lp.variables()
        if self.guard is not None:
            self.guard.variables = variables  # PuLP re-sorts on every call: keep them
        n = len(variables)
        mult = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        objective = lp.objective if lp.objective is not None else {}
        lower = np.empty(n)
        upper = np.empty(n)
        cost = np.empty(n)
        integer = []
        for i, var in enumerate(variables):
            check_time(deadline, i, every=4096)
            var.index = i
            lower[i] = -inf if var.lowBound is None else var.lowBound
            upper[i] = inf if var.upBound is None else var.upBound
            cost[i] = mult * objective.get(var, 0.0)
            if var.cat == pulp.LpInteger and self.mip:
                integer.append(i)
        if n:
            h.addVars(n, lower, upper)
            h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        if integer:
            h.changeColsIntegrality(
                len(integer),
                np.asarray(integer, dtype=np.int32),
                np.ones(len(integer), dtype=np.uint8),
            )
        constraints = list(lp._constraints.values())
        m = len(constraints)
        starts = np.empty(m, dtype=np.int32)
        row_lo = np.empty(m)
        row_hi = np.empty(m)
        index: list[int] = []
        value: list[float] = []
        for r, con in enumerate(constraints):
            check_time(deadline, r, every=2048)
            con.index = r
            starts[r] = len(index)
            for var, coef in con.items():
                if coef != 0:
                    index.append(var.index)
                    value.append(coef)
            lb, ub = con.getLb(), con.getUb()
            row_lo[r] = -inf if lb is None else lb
            row_hi[r] = inf if ub is None else ub
        if m:
            h.addRows(
                m,
                row_lo,
                row_hi,
                len(index),
                starts,
                np.asarray(index, dtype=np.int32),
                np.asarray(value, dtype=np.float64),
            )
        if self.warm_start:
            start = [(v.index, float(v.varValue)) for v in variables if v.varValue is not None]
            if start:
                idx, val = zip(*start, strict=True)
                h.setSolution(len(idx), np.asarray(idx, dtype=np.int32), np.asarray(val))

    def findSolutionValues(self, lp: pulp.LpProblem) -> tuple[int, int]:
        try:
            return super().findSolutionValues(lp)
        except KeyError:
            info = lp.solverModel.getInfo()
            if info.primal_solution_status == 2:
                return pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible
            return pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound


class _CutOff(Exception):
    """The guarded HiGHS run did not stop by the deadline and was left behind."""


# Guarded runs that were cut off and are still finishing (they were asked to stop and
# do so at HiGHS's next limit check). Solves may run in several threads (app jobs).
_LEFT_BEHIND: set[threading.Thread] = set()
_LEFT_BEHIND_LOCK = threading.Lock()


def _run_highs(h: Any) -> None:
    """``h.run()`` in a guard's worker thread (tests replace it to simulate a hang)."""
    h.run()


class _Guard:
    """Hard wall-clock guard around one HiGHS run.

    HiGHS checks its ``time_limit`` only at some points; some phases never check it
    (root-node randomized rounding with objective propagation, see the module
    docstring). The guard runs ``Highs.run`` in a worker thread and, through highspy's
    callbacks,

    * keeps every improving solution HiGHS reports and its latest dual bound;
    * interrupts the run at HiGHS's next check (MIP, simplex and IPM interrupt
      callbacks) once the deadline has passed.

    HiGHS's own limit ends :data:`GUARD_GRACE_S` earlier; the caller waits until the
    deadline and, if the run has not ended by then, gives up on it (:class:`_CutOff`)
    and returns the best solution reported so far. The left-behind run stops at its
    next check (the interrupt); the interpreter waits for it on exit.
    """

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.stop = False
        self.solution: np.ndarray | None = None
        self.bound = -math.inf  # HiGHS's (scaled, minimising) dual bound
        self.error: BaseException | None = None
        self.variables: list[pulp.LpVariable] = []  # in HiGHS's column order

    def _on_solution(self, event: Any) -> None:
        self.solution = np.array(event.data_out.mip_solution, dtype=np.float64)
        self._keep_bound(event)

    def _on_mip_check(self, event: Any) -> None:
        self._keep_bound(event)
        self._on_check(event)

    def _keep_bound(self, event: Any) -> None:
        # Only MIP callbacks fill the dual bound (LP ones leave it unset).
        bound = float(event.data_out.mip_dual_bound)
        if math.isfinite(bound):
            self.bound = max(self.bound, bound)

    def _on_check(self, event: Any) -> None:
        rem = self.deadline.remaining()
        if self.stop or (rem is not None and rem <= 0.0):
            event.interrupt()

    def run(self, h: Any) -> None:
        h.cbMipImprovingSolution += self._on_solution
        h.cbMipInterrupt += self._on_mip_check
        h.cbSimplexInterrupt += self._on_check
        h.cbIpmInterrupt += self._on_check
        done = threading.Event()

        def work() -> None:
            import highspy

            try:
                _run_highs(h)
            except BaseException as exc:  # re-raised in the caller's thread
                self.error = exc
            finally:
                done.set()
                # This thread's HiGHS scheduler ends with it (as highspy's own threads do).
                with contextlib.suppress(Exception):
                    highspy.Highs.resetThreadScheduler(False)

        thread = threading.Thread(target=work, name="planner-highs")
        thread.start()
        try:
            finished = done.wait(self.deadline.remaining())
        except BaseException:
            self.stop = True  # e.g. Ctrl-C: let HiGHS stop at its next check
            raise
        if not finished:
            self.stop = True
            with _LEFT_BEHIND_LOCK:
                _LEFT_BEHIND.difference_update([t for t in _LEFT_BEHIND if not t.is_alive()])
                _LEFT_BEHIND.add(thread)
            self.deadline.note("cut_off")
            raise _CutOff
        if self.error is not None:
            raise self.error

    def result(self, prob: pulp.LpProblem, scale: int | None) -> RawSolve:
        """The best solution reported before the cut-off, as a :class:`RawSolve`."""
        solution = self.solution
        if solution is None:
            return RawSolve(ERROR, None, None, False, "no solution within the limit")
        for var, value in zip(self.variables, solution.tolist(), strict=True):
            var.varValue = value
        objective = float(pulp.value(prob.objective))
        bound = None
        if prob.isMIP() and math.isfinite(self.bound):
            mult = -1.0 if prob.sense == pulp.LpMaximize else 1.0
            unscaled = self.bound * 2.0 ** (-scale) if scale is not None else self.bound
            bound = mult * unscaled + _objective_constant(prob)
        return RawSolve(TIME_LIMIT_FEASIBLE, objective, bound, True, "cut off at the deadline")


_BANNER_LOCK = threading.Lock()
_banner_done = False


def _flush_c_stdout() -> None:
    with contextlib.suppress(OSError, AttributeError):  # no C runtime handle
        ctypes.CDLL(None).fflush(None)


def _swallow_highs_banner() -> None:
    """Let HiGHS print its one-per-process banner into /dev/null.

    highspy writes "Running HiGHS ... Copyright ..." to the C-level stdout the first
    time a ``Highs`` object is created in a process, before any option (``msg=False``
    sets ``output_flag`` only afterwards) can silence it. We create that first object
    ourselves with file descriptor 1 pointed at /dev/null, then restore it; later
    objects print nothing unless asked to. Done once; if the descriptor cannot be
    redirected (no real stdout) the banner is simply left alone.
    """
    global _banner_done
    if _banner_done:
        return
    with _BANNER_LOCK:
        if _banner_done:
            return
        import highspy

        try:
            sys.stdout.flush()
            saved = os.dup(1)
        except (OSError, ValueError, AttributeError):
            _banner_done = True
            return
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 1)
                try:
                    highspy.Highs()
                finally:
                    _flush_c_stdout()
                    os.dup2(saved, 1)
            finally:
                os.close(devnull)
        finally:
            os.close(saved)
            _banner_done = True


def _objective_constant(prob: pulp.LpProblem) -> float:
    return float(prob.objective.constant) if prob.objective is not None else 0.0


#: Largest objective coefficient HiGHS should see (see :func:`_objective_scale`).
OBJECTIVE_SCALE_TARGET = 128.0


def _objective_scale(prob: pulp.LpProblem) -> int | None:
    """HiGHS's ``user_objective_scale`` (a power of two) for ``prob``, or ``None``.

    Station objectives are population × metres, with coefficients up to ~2e8; against
    HiGHS's 1e-7 dual tolerance that is badly scaled (HiGHS warns so). The scale puts
    the largest cost between :data:`OBJECTIVE_SCALE_TARGET` and twice that. Unscaled, a
    city-size station tier solves many times slower and can stall in root-node rounding
    (objective propagation, which does not check the time limit); a largest cost near
    1,000 does not help, one near 200 does (the measurements are in the benchmark
    results). HiGHS reports objective and bound unscaled, and the relative gap does not
    depend on the scale.
    """
    if prob.objective is None:
        return None
    big = max((abs(float(c)) for c in prob.objective.values()), default=0.0)
    if not math.isfinite(big) or big <= OBJECTIVE_SCALE_TARGET:
        return None
    return -math.floor(math.log2(big / OBJECTIVE_SCALE_TARGET))


def _solve_highs(
    prob: pulp.LpProblem,
    options: SolverOptions,
    deadline: Deadline,
    warm_start: bool,
    tuning: Mapping[str, Any] | None = None,
) -> RawSolve:
    import highspy

    if not options.msg:
        _swallow_highs_banner()
    params: dict[str, Any] = dict(tuning or {})
    if options.node_limit is not None:
        params["mip_max_nodes"] = int(options.node_limit)
    scale = _objective_scale(prob)
    if scale is not None:
        params["user_objective_scale"] = scale
    time_limit = deadline.remaining()
    guard = None
    if time_limit is not None:
        guard = _Guard(deadline)
        time_limit = max(MIN_SOLVE_S, time_limit - GUARD_GRACE_S)
    solver = _HiGHS(
        msg=options.msg,
        timeLimit=time_limit,
        gapRel=0.0 if options.gap is None else options.gap,
        threads=options.threads,
        warm_start=warm_start,
        guard=guard,
        **params,
    )
    try:
        prob.solve(solver)
    except _CutOff:
        assert guard is not None
        return guard.result(prob, scale)
    except OutOfTime:
        deadline.note("skipped")
        return RawSolve(ERROR, None, None, False, "no solution within the limit")
    except (pulp.PulpSolverError, KeyError, RuntimeError) as exc:
        return RawSolve(ERROR, None, None, False, str(exc))
    h = prob.solverModel
    ms = h.getModelStatus()
    info = h.getInfo()
    mst = highspy.HighsModelStatus
    has_solution = info.primal_solution_status == 2
    const = _objective_constant(prob)
    mult = -1.0 if prob.sense == pulp.LpMaximize else 1.0
    objective = float(pulp.value(prob.objective)) if has_solution else None
    if ms == mst.kModelEmpty:
        return RawSolve(OPTIMAL, const, const, True)
    if ms == mst.kOptimal:
        status = OPTIMAL
    elif ms in (mst.kInfeasible, mst.kUnboundedOrInfeasible):
        # All siting objectives are bounded (non-negative costs), so "unbounded or
        # infeasible" can only be infeasible.
        return RawSolve(INFEASIBLE, None, None, False)
    elif ms == mst.kUnbounded:
        return RawSolve(UNBOUNDED, None, None, False)
    elif ms in (
        mst.kTimeLimit,
        mst.kSolutionLimit,
        mst.kIterationLimit,
        mst.kInterrupt,
        mst.kHighsInterrupt,
        mst.kObjectiveBound,
        mst.kObjectiveTarget,
        mst.kMemoryLimit,
    ):
        status = TIME_LIMIT_FEASIBLE if has_solution else ERROR
    else:
        return RawSolve(ERROR, None, None, False, h.modelStatusToString(ms))
    if not prob.isMIP():
        bound = objective
    else:
        raw = info.mip_dual_bound
        bound = mult * raw + const if math.isfinite(raw) else None
        if status == OPTIMAL and bound is None:
            bound = objective
    detail = "" if status != ERROR else "no solution within the limit"
    if status == TIME_LIMIT_FEASIBLE and ms == mst.kInterrupt:
        detail = "interrupted at the deadline"
    return RawSolve(status, objective, bound, has_solution, detail)


_CBC_RESULT = re.compile(r"^Result - (.+)$", re.M)
_CBC_OBJ = re.compile(r"^Objective value:\s+(\S+)", re.M)
_CBC_BOUND = re.compile(r"^(?:Lower|Upper) bound:\s+(\S+)", re.M)


def _solve_cbc(
    prob: pulp.LpProblem, options: SolverOptions, deadline: Deadline, warm_start: bool
) -> RawSolve:
    # CBC runs as a child process that honours its wall-clock limit (PuLP's default
    # timeMode "elapsed"); it gets what is left of the budget.
    time_limit = deadline.remaining()
    with tempfile.TemporaryDirectory(prefix="planner-cbc-") as tmp:
        log_path = os.path.join(tmp, "cbc.log")
        with warnings.catch_warnings():
            # PuLP 3.3 flags its bundled CBC as going away in PuLP 4; this project pins
            # PuLP 3 on purpose, so the warning is noise for planners.
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            solver = pulp.PULP_CBC_CMD(
                msg=False,  # the log goes to a file we parse; echoed below when asked
                timeLimit=time_limit,
                gapRel=0.0 if options.gap is None else options.gap,
                threads=options.threads,
                maxNodes=options.node_limit,
                logPath=log_path,
                warmStart=warm_start,
            )
        try:
            prob.solve(solver)
        except pulp.PulpSolverError as exc:
            return RawSolve(ERROR, None, None, False, str(exc))
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            log = fh.read()
    if options.msg:
        print(log)
    result = _CBC_RESULT.findall(log)
    result_text = result[-1].strip() if result else ""
    has_solution = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    objective = float(pulp.value(prob.objective)) if has_solution else None
    if "infeasible" in result_text.lower() or prob.status == pulp.LpStatusInfeasible:
        return RawSolve(INFEASIBLE, None, None, False)
    if "unbounded" in result_text.lower() or prob.status == pulp.LpStatusUnbounded:
        return RawSolve(UNBOUNDED, None, None, False)
    if result_text.startswith("Optimal") or (
        not result_text
        and prob.status == pulp.LpStatusOptimal
        and prob.sol_status == pulp.LpSolutionOptimal
    ):
        status = OPTIMAL
    elif result_text.startswith("Stopped") or prob.status == pulp.LpStatusOptimal:
        status = TIME_LIMIT_FEASIBLE if has_solution else ERROR
    else:
        return RawSolve(ERROR, None, None, False, result_text or pulp.LpStatus[prob.status])
    bound = objective
    bound_match = _CBC_BOUND.findall(log)
    obj_match = _CBC_OBJ.findall(log)
    if status != OPTIMAL or options.gap:
        if bound_match and obj_match and objective is not None:
            # CBC prints bound and objective without PuLP's objective constant; shift
            # the bound by the same offset as the objective.
            bound = float(bound_match[-1]) + (objective - float(obj_match[-1]))
        elif status != OPTIMAL:
            bound = None
    detail = "" if status != ERROR else "no solution within the limit"
    return RawSolve(status, objective, bound, has_solution, detail)


def solve_problem(
    prob: pulp.LpProblem,
    options: SolverOptions,
    deadline: Deadline | float | None = None,
    warm_start: bool = False,
    tuning: Mapping[str, Any] | None = None,
) -> RawSolve:
    """Solve ``prob`` with the solver in ``options`` and report status and bound.

    Parameters
    ----------
    prob
        A PuLP problem.
    options
        Solver choice, gap, threads, node limit, log echo.
    deadline
        The caller's budget (a :class:`Deadline`, or seconds); ``None``: no limit.
        The solver gets the time remaining as its limit, and HiGHS runs under a
        :class:`_Guard` that cuts it off at the deadline. With less than
        :data:`MIN_SOLVE_S` left the solver is not started: the result is an
        ``"error"`` without a solution (detail "no solution within the limit") and the
        caller keeps the plan it has.
    warm_start
        Hand the variables' current ``varValue`` (set with ``setInitialValue``) to the
        solver as a starting plan; missing values are completed by the solver.
    tuning
        Extra HiGHS options (e.g. :data:`STRONG_INCUMBENT`); CBC ignores them. They
        change how fast a proof comes, never what is proven.
    """
    if not isinstance(deadline, Deadline):
        deadline = Deadline(None if deadline is None else float(deadline))
    if deadline.expired():
        deadline.note("skipped")
        return RawSolve(ERROR, None, None, False, "no solution within the limit")
    if options.solver == "cbc":
        return _solve_cbc(prob, options, deadline, warm_start)
    return _solve_highs(prob, options, deadline, warm_start, tuning)
