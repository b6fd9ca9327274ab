r"""Presolve of the uncapacitated p-median: a good plan, a Lagrangian bound and site
fixing before (or instead of) the MIP of :class:`~planner.models.PMedian`.

1. Swap search (:func:`~planner.models.median_search.median_search`) from D²-seeded
   starts gives the incumbent ``UB``.
2. Rounds of Lagrangian ascent (:class:`~planner.models.lagrangian.LagrangianAscent`)
   alternate with swap searches started from the subproblem's site sets, each round
   aiming at the best plan so far. The Lagrangian value bounds every plan.
3. If the bound closes the gap, done. Otherwise reduced-cost fixing closes (and opens)
   the sites no plan cheaper than the incumbent can change, and the radius MIP runs on
   the remaining sites, each row listing the free sites up to its second-nearest
   incumbent site (at least two free sites), warm-started with the incumbent. When
   that model would exceed ``_MODEL_LEVELS`` levels it is not built; the incumbent is
   returned with the Lagrangian gap (:func:`presolved_solution`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from planner.instance.distance import CostMatrix
from planner.models._base import RuleBuilder, finish, within_gap
from planner.models.deadline import Deadline
from planner.models.diagnosis import Diagnosis
from planner.models.lagrangian import LagrangianAscent, LagrangianBound, fix_sites
from planner.models.median_search import MedianPlan, median_search, median_start
from planner.models.pairs import PairSource, nearest_two
from planner.models.results import OPTIMAL, TIME_LIMIT_FEASIBLE, StationSolution
from planner.models.rules import SolverOptions

if TYPE_CHECKING:
    from planner.models.p_median import PMedian

__all__ = ["Presolved", "presolve", "presolved_solution"]

# Subgradient steps in all and per round (between rounds the swap search runs from the
# subproblem's site sets).
_LAGRANGIAN_STEPS = 4_000
_LAGRANGIAN_ROUND = 400
# Seeded starts of the swap search (the best is kept); local optima of these
# clustered instances differ by ~1 %, the Lagrangian rounds then refine the best.
_STARTS = 3
# When the fixed model is too large for a MIP, up to this many more starts try to
# lower the incumbent (the proven gap shrinks with it).
_EXTRA_STARTS = 10
# Lagrangian site sets priced per round, and swap searches started from the best.
_POLISH_PROBE = 8
_POLISH_RUNS = 2
# Largest radius model (distance levels ~ listed pairs) built after site fixing. Its
# LP gets hard with long rows (few medians): the root LP of a p = 30 model of ~67,000
# levels (67 a row) is already slow, and at twice that size it may not finish; beyond
# _MODEL_LEVELS the Lagrangian gap is what a run can prove. Short rows (many medians,
# at most _SHORT_ROWS levels a row) stay easy up to _MODEL_LEVELS_SHORT (p = n/3 at
# 5,000 points: 15,000 levels).
_MODEL_LEVELS = 60_000
_SHORT_ROWS = 8
_MODEL_LEVELS_SHORT = 400_000
# Up to this many medians the presolve tries several starts of the swap search.
_FEW_MEDIANS = 200
# Below this share of the cap the fixed model is small enough to solve quickly: the
# ascent stops early.
_QUICK_SHARE = 1 / 3


@dataclass
class Presolved:
    """What :func:`presolve` hands to the MIP loop of :class:`~planner.models.PMedian`.

    ``model``/``builder`` are the radius model's lists and rules after site fixing
    (``None``: no MIP, return ``plan`` with ``bound``); plans cheaper than ``ceiling``
    avoid the sites fixed closed.
    """

    plan: MedianPlan
    bound: float
    model: CostMatrix | None
    builder: RuleBuilder | None
    ceiling: float
    info: dict[str, Any]
    diagnoses: list[Diagnosis] = field(default_factory=list)


def presolve(
    model: PMedian,
    cm: CostMatrix,
    rows: np.ndarray,
    options: SolverOptions,
    deadline: Deadline,
    hint: np.ndarray | None = None,
) -> Presolved | None:
    """Good plan, Lagrangian bound and site fixing before (or instead of) the MIP of
    ``model`` (steps 1-3 of the module docstring); ``None`` when the swap search finds
    no start or no plan that serves every row (the MIP is left to decide).
    """
    assert model.p is not None
    p = model.p
    m = model.n_sites
    w = np.zeros(model.n_demand)
    w[rows] = model.weights[rows]
    allowed = np.ones(m, dtype=bool)
    allowed[model.rules.excluded] = False
    required = model.rules.required
    rem = deadline.remaining()
    gap_target = options.gap or 0.0
    search_end = None if rem is None else deadline.elapsed() + 0.1 * rem
    plan: MedianPlan | None = None
    # Many medians: local optima differ little and each start is dearer.
    for seed in range(_STARTS if p <= _FEW_MEDIANS else 1):
        if seed == 0 and hint is not None:
            start = hint  # a neighbouring plan, repaired: usually near a local optimum
        else:
            start = median_start(cm, w, p, allowed=allowed, required=required, seed=seed)
        if start is None:
            return None
        left = None if search_end is None else max(0.0, search_end - deadline.elapsed())
        found = median_search(cm, w, start, required=required, seconds=left)
        if plan is None or found.cost < plan.cost:
            plan = found
        if search_end is not None and deadline.elapsed() >= search_end:
            break
    assert plan is not None
    if not math.isfinite(plan.cost):
        return None  # some row reaches no site of the plan: leave it to the MIP
    _, d1, _, d2 = nearest_two(cm, plan.sites)
    ascent = LagrangianAscent(
        cm, w, p, d1=d1, d2=d2, required=required, allowed=allowed, plan=plan.sites
    )
    lag_end = None if rem is None else deadline.elapsed() + 0.6 * rem
    tried: set[bytes] = {plan.sites.tobytes()}
    result = ascent.result()
    while ascent.iterations < _LAGRANGIAN_STEPS:
        left = None if lag_end is None else lag_end - deadline.elapsed()
        if left is not None and left <= 0:
            break
        result = ascent.run(plan.cost, _LAGRANGIAN_ROUND, left)
        if within_gap(plan.cost, result.bound, gap_target):
            break
        better = _polish(cm, w, plan, result, required, tried, deadline, lag_end)
        if better is not None:
            plan = better
        elif ascent.converged:
            break
        elif _small_model(cm, rows, plan, result, p, required, allowed, gap_target):
            break  # the fixed model is small: the MIP closes the gap faster
    bound = result.bound
    info = {"iterations": ascent.iterations, "bound": bound}
    if within_gap(plan.cost, bound, gap_target) or deadline.expired():
        return Presolved(plan, bound, None, None, math.inf, info)
    ceiling, closed, opened, radius = _fixing(cm, plan, result, p, required, allowed, gap_target)
    free = allowed & ~closed
    estimate = _levels_estimate(cm, rows, radius, free)
    info.update(free=int(free.sum()), opened=int(opened.sum()), levels=int(estimate))
    cap = _model_cap(estimate, rows.size)
    listed = None
    if estimate <= cap:
        listed = PairSource(cm).within(rows, radius[rows], free)
    if listed is None or listed.size > cap:
        # No MIP: spend what the MIP would have had on more starts of the search.
        more = _more_starts(model, cm, w, plan, required, allowed, deadline)
        if more is not None and more.cost < plan.cost:
            plan = more
        levels = int(estimate if listed is None else listed.size)
        diag = Diagnosis("solve.model_size_cap", {"levels": levels, "cap": int(cap)}, "info")
        return Presolved(plan, bound, None, None, math.inf, info, [diag])
    rad = np.zeros(model.n_demand)
    rad[rows] = radius[rows]
    source = cm.source.restrict_sites(free) if cm.source is not None else None
    fixed = CostMatrix.from_coo(
        listed.rows, listed.sites, listed.cost, model.n_demand, m, radius=rad, source=source
    )
    rules = replace(
        model.rules,
        required=np.union1d(required, np.flatnonzero(opened)),
        excluded=np.union1d(model.rules.excluded, np.flatnonzero(closed)),
    )
    builder = RuleBuilder(rules, m, p, model.p_mode)
    return Presolved(plan, bound, fixed, builder, ceiling, info)


def _more_starts(
    model: PMedian,
    cm: CostMatrix,
    w: np.ndarray,
    plan: MedianPlan,
    required: np.ndarray,
    allowed: np.ndarray,
    deadline: Deadline,
) -> MedianPlan | None:
    """Best plan of ``_EXTRA_STARTS`` more seeded searches (80 % of the time left)."""
    assert model.p is not None
    rem = deadline.remaining()
    end = None if rem is None else deadline.elapsed() + 0.8 * rem
    best = None
    for seed in range(_STARTS, _STARTS + _EXTRA_STARTS):
        left = None if end is None else end - deadline.elapsed()
        if left is not None and left <= 0:
            break
        start = median_start(cm, w, model.p, allowed=allowed, required=required, seed=seed)
        if start is None:
            break
        found = median_search(cm, w, start, required=required, seconds=left)
        if best is None or found.cost < best.cost:
            best = found
    return best


def _polish(
    cm: CostMatrix,
    w: np.ndarray,
    plan: MedianPlan,
    result: LagrangianBound,
    required: np.ndarray,
    tried: set[bytes],
    deadline: Deadline,
    until: float | None,
) -> MedianPlan | None:
    """Swap search from the best few Lagrangian site sets; a better plan or None."""
    fresh = [s for s in result.plans if s.tobytes() not in tried]
    if not fresh:
        return None
    costs = []
    for sites in fresh[:_POLISH_PROBE]:
        tried.add(sites.tobytes())
        _, dist = cm.nearest_open(sites)
        costs.append(float(np.dot(w, dist)))
    better = None
    for q in np.argsort(costs)[:_POLISH_RUNS].tolist():
        left = None if until is None else until - deadline.elapsed()
        if left is not None and left <= 0:
            break
        cand = None if result.active.all() else result.active
        found = median_search(cm, w, fresh[q], required=required, candidates=cand, seconds=left)
        tried.add(found.sites.tobytes())
        best_cost = plan.cost if better is None else better.cost
        if found.cost < best_cost - 1e-9 * abs(best_cost):
            better = found
    return better


def presolved_solution(
    model: PMedian,
    pre: Presolved,
    cm: CostMatrix,
    rows: np.ndarray,
    options: SolverOptions,
    deadline: Deadline,
    diags: list[Diagnosis],
) -> StationSolution:
    """The presolve's plan with its Lagrangian bound (no MIP was run)."""
    gap_target = options.gap or 0.0
    status = OPTIMAL if within_gap(pre.plan.cost, pre.bound, gap_target) else TIME_LIMIT_FEASIBLE
    bound = pre.bound
    if status != OPTIMAL:
        # Stopped early (the limit): the Lagrangian may not have started.
        bound = max(bound, model._nearest_bound(cm, rows))
    lower = bound if math.isfinite(bound) else None
    if status == OPTIMAL and lower is not None and gap_target == 0:
        lower = min(lower, pre.plan.cost)
    site, dist = cm.nearest_open(pre.plan.sites)
    res = finish(status, pre.plan.cost, lower, options, "min", diags, 0, deadline)
    return StationSolution(res, pre.plan.sites, site, dist, pre.plan.cost)


def _fixing(
    cm: CostMatrix,
    plan: MedianPlan,
    result: LagrangianBound,
    p: int,
    required: np.ndarray,
    allowed: np.ndarray,
    gap_target: float,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Ceiling, fixed-closed and fixed-open masks, and the MIP's list radius per row.

    With a gap target the ceiling is ``UB (1 - gap)``: plans that could still beat
    the incumbent by more than the target avoid the closed sites, which is all the
    target asks to prove. Rows list free sites up to their second-nearest site of the
    plan, so the plan is priced exactly and every row has an alternative.
    """
    ceiling = plan.cost * (1 - gap_target) if gap_target else plan.cost
    closed, opened = fix_sites(result, ceiling, p, required, allowed)
    _, d1, _, d2 = nearest_two(cm, plan.sites)
    return ceiling, closed, opened, np.where(np.isfinite(d2), d2, d1)


def _small_model(
    cm: CostMatrix,
    rows: np.ndarray,
    plan: MedianPlan,
    result: LagrangianBound,
    p: int,
    required: np.ndarray,
    allowed: np.ndarray,
    gap_target: float,
) -> bool:
    """Whether fixing at the current bound already leaves a quick MIP (row sample)."""
    if not math.isfinite(result.bound):
        return False
    _, closed, _, radius = _fixing(cm, plan, result, p, required, allowed, gap_target)
    levels = _levels_estimate(cm, rows, radius, allowed & ~closed)
    return levels <= _QUICK_SHARE * _model_cap(levels, rows.size)


def _model_cap(levels: float, rows: int) -> float:
    """Largest fixed model worth building (see ``_MODEL_LEVELS``)."""
    if levels <= _SHORT_ROWS * max(rows, 1):
        return _MODEL_LEVELS_SHORT
    return _MODEL_LEVELS


def _levels_estimate(
    cm: CostMatrix, rows: np.ndarray, radius: np.ndarray, free: np.ndarray
) -> float:
    """Pairs of the fixed model's lists, extrapolated from 400 sampled rows."""
    rng = np.random.default_rng(0)
    sample = rows if rows.size <= 400 else np.sort(rng.choice(rows, 400, replace=False))
    probe = PairSource(cm).within(sample, radius[sample], free)
    return probe.size * rows.size / max(sample.size, 1)
