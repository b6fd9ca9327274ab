"""Solver options, solve results and plain-words infeasibility diagnosis.

This module is solver-agnostic on purpose: it never imports PuLP (the models in
:mod:`planner.models` do), so the UI and the report code can read results, render
diagnoses and validate policy rules without pulling in a MIP stack.

Status vocabulary
-----------------
Every model returns a :class:`SolveResult` whose ``status`` is one of

``"optimal"``
    The plan is proven optimal within ``SolverOptions.gap`` (``gap=None`` means the
    solver's own tolerances, i.e. proven optimal up to floating point).
``"time_limit_feasible"``
    A limit (time, nodes, grow rounds) stopped the search; the best plan found is
    returned together with a valid lower bound (upper bound when maximising) and the
    proven relative gap.
``"infeasible"``
    The rules cannot all hold. ``diagnoses`` says which and by how much.
``"unbounded"``
    Cannot happen for the siting models (all costs are non-negative); kept for
    completeness.
``"error"``
    The solver failed or stopped before finding any plan; ``diagnoses`` says why.

Infeasibility policy
--------------------
Models do **not** raise for rules that cannot be met: they return status
``"infeasible"`` with one :class:`Diagnosis` per broken rule, so the UI can show all
problems at once. Arithmetic checks (:func:`check_site_rules`) run before the solver
so the common mistakes never reach it; when the solver still proves infeasibility,
models run an *elastic* version of the rules (each rule may be violated at a price)
and report the smallest violations that make the plan possible. :class:`PlannerError`
is raised only for malformed input (wrong array shapes, bad indices, bad options).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from planner.i18n import DEFAULT_LANGUAGE, PlannerError, known, register, t

OPTIMAL = "optimal"
TIME_LIMIT_FEASIBLE = "time_limit_feasible"
INFEASIBLE = "infeasible"
UNBOUNDED = "unbounded"
ERROR = "error"
STATUSES: tuple[str, ...] = (OPTIMAL, TIME_LIMIT_FEASIBLE, INFEASIBLE, UNBOUNDED, ERROR)

SOLVERS: tuple[str, ...] = ("highs", "cbc")

Severity = Literal["error", "warning", "info"]


class Term(str):
    """A word inside a message parameter that must itself be translated.

    Behaves as the plain English identifier (``Term("township") == "township"``) so
    structured consumers and tests can compare it; :meth:`Diagnosis.message` renders it
    through the catalogue key ``model.term.<value>``.
    """

    __slots__ = ()


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class SolverOptions:
    """How to run the MIP solver.

    Parameters
    ----------
    solver
        ``"highs"`` (HiGHS through highspy, default) or ``"cbc"`` (PuLP's bundled CBC).
    time_limit_s
        Wall-clock budget for the whole ``solve`` call, grow rounds included (in the
        pipeline: for the whole tier, distances and model building included, see
        :class:`~planner.models.Deadline`). When it runs out the best plan found so
        far is returned with status ``"time_limit_feasible"``.
    gap
        Relative MIP gap at which to stop. ``None`` asks for proven optimality (gap 0
        up to the solver's feasibility tolerances).
    threads
        Solver threads; ``None`` leaves the solver default.
    msg
        Echo the solver log.
    node_limit
        Stop branch-and-bound after this many nodes (mainly for reproducible tests of
        the limit path, which a wall-clock limit cannot give).
    """

    solver: Literal["highs", "cbc"] = "highs"
    time_limit_s: float | None = None
    gap: float | None = None
    threads: int | None = None
    msg: bool = False
    node_limit: int | None = None

    def __post_init__(self) -> None:
        if self.solver not in SOLVERS:
            raise PlannerError("solve.bad_option", option="solver", value=self.solver)
        if self.time_limit_s is not None and not self.time_limit_s > 0:
            raise PlannerError("solve.bad_option", option="time_limit_s", value=self.time_limit_s)
        if self.gap is not None and not 0 <= self.gap < 1:
            raise PlannerError("solve.bad_option", option="gap", value=self.gap)
        if self.threads is not None and self.threads < 1:
            raise PlannerError("solve.bad_option", option="threads", value=self.threads)
        if self.node_limit is not None and self.node_limit < 1:
            raise PlannerError("solve.bad_option", option="node_limit", value=self.node_limit)

    def with_time_limit(self, seconds: float | None) -> SolverOptions:
        """A copy with another time limit (used to hand the remaining budget on)."""
        return replace(self, time_limit_s=seconds)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Diagnosis:
    """One finding about a solve, as a message key plus the numbers that fill it.

    Parameters
    ----------
    key
        Catalogue key (``solve.*``).
    params
        Template values. :class:`Term` values are translated when rendering.
    severity
        ``"error"`` (a rule that cannot be met), ``"warning"`` (the plan is valid but
        something was left out, e.g. uncoverable demand) or ``"info"``.
    """

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    severity: Severity = "error"

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The finding in plain words, in ``lang`` (Simplified Chinese by default)."""
        rendered = {}
        for name, value in self.params.items():
            if isinstance(value, Term) and known(f"model.term.{value}"):
                value = t(f"model.term.{value}", lang)
            elif isinstance(value, float):
                value = _fmt_number(value)
            rendered[name] = value
        return t(self.key, lang, **rendered)


def _fmt_number(value: float) -> str:
    if math.isfinite(value) and value == round(value):
        return f"{round(value):,}"
    return f"{value:,.2f}"


@dataclass(frozen=True)
class SolveResult:
    """Status summary every model returns.

    Attributes
    ----------
    status
        One of :data:`STATUSES`.
    objective
        Objective of the returned plan (``None`` without a plan).
    bound
        Best proven bound on the optimum: a lower bound when minimising, an upper bound
        when maximising (``None`` when unknown).
    gap
        Proven relative gap ``|objective - bound| / |objective|`` (0 when optimal).
    solver
        ``"highs"`` or ``"cbc"``.
    sense
        ``"min"`` or ``"max"``.
    diagnoses
        Findings; for ``"infeasible"`` the rules that cannot be met.
    rounds
        Number of MIP solves (grow rounds, lexicographic stages).
    wall_time_s
        Informative only.
    """

    status: str
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    solver: str = "highs"
    sense: Literal["min", "max"] = "min"
    diagnoses: tuple[Diagnosis, ...] = ()
    rounds: int = 0
    wall_time_s: float | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")

    @property
    def has_plan(self) -> bool:
        """Whether a usable plan came back (optimal or best-found under a limit)."""
        return self.status in (OPTIMAL, TIME_LIMIT_FEASIBLE)

    def errors(self) -> tuple[Diagnosis, ...]:
        """Diagnoses of severity ``"error"``."""
        return tuple(d for d in self.diagnoses if d.severity == "error")

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """One line for the UI: status, objective and gap, then each diagnosis."""
        head = t(
            f"solve.status.{self.status}",
            lang,
            objective=_fmt_number(self.objective) if self.objective is not None else "-",
            gap=f"{100 * self.gap:.3g}%" if self.gap is not None else "-",
        )
        return "\n".join([head, *(d.message(lang) for d in self.diagnoses)])


class HasResult:
    """Status, bound, gap and diagnoses of a model's solution, read from its ``result``.

    Mixed into the solution classes of every tier (:class:`~planner.models.stations.
    StationSolution`, :class:`~planner.models.centres.CentreSolution`), which carry a
    :class:`SolveResult` as ``result``.
    """

    result: SolveResult

    @property
    def status(self) -> str:
        return self.result.status

    @property
    def bound(self) -> float | None:
        return self.result.bound

    @property
    def gap(self) -> float | None:
        return self.result.gap

    @property
    def diagnoses(self) -> tuple[Diagnosis, ...]:
        return self.result.diagnoses


def relative_gap(objective: float | None, bound: float | None, sense: str = "min") -> float | None:
    """Proven relative gap between a plan's objective and a bound on the optimum.

    ``|objective - bound| / |objective|``, clipped at 0 when floating point puts the
    bound on the wrong side. ``None`` when either value is unknown.
    """
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    diff = (objective - bound) if sense == "min" else (bound - objective)
    diff = max(diff, 0.0)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    if objective == 0:
        return math.inf
    return diff / abs(objective)


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class SiteGroup:
    """A set of candidate sites with a minimum and/or maximum number to open.

    One type covers "at least one station in every township" (``min_open=1`` over the
    township's candidates), "at least one per community where asked", and per-county
    caps (``max_open``).

    Parameters
    ----------
    name
        Shown to planners (e.g. ``"永嘉县"``).
    sites
        Candidate site indices (0-based columns of the cost matrix).
    min_open, max_open
        Bounds on the number of open sites in the group (``max_open=None``: no cap).
    kind
        What the group is (``"township"``, ``"community"``, ``"village"``, ``"county"``,
        ``"group"``), used to word diagnoses.
    """

    name: str
    sites: Sequence[int] | np.ndarray
    min_open: int = 0
    max_open: int | None = None
    kind: str = "group"

    def __post_init__(self) -> None:
        sites = np.unique(np.asarray(self.sites, dtype=np.int64))
        object.__setattr__(self, "sites", sites)
        if self.min_open < 0 or (self.max_open is not None and self.max_open < 0):
            raise PlannerError("model.negative_values", what=f"group {self.name}")


@dataclass(frozen=True)
class PolicyRules:
    """Siting rules shared by the station models; each is off unless given.

    Parameters
    ----------
    required
        Sites that must open (existing stations, approved plots).
    excluded
        Sites that must stay closed.
    groups
        :class:`SiteGroup` minimum/maximum counts (townships, counties, ...).
    capacity
        Households one open site can serve (scalar or one value per site). Switching it
        on adds assignment variables on the sparse pairs, see the model docstrings.
    single_source
        With capacity: each demand point is served by exactly one site (binary
        assignment) instead of being split across sites.
    """

    required: Sequence[int] | np.ndarray = ()
    excluded: Sequence[int] | np.ndarray = ()
    groups: Sequence[SiteGroup] = ()
    capacity: float | Sequence[float] | np.ndarray | None = None
    single_source: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "required", np.unique(np.asarray(self.required, dtype=np.int64)))
        object.__setattr__(self, "excluded", np.unique(np.asarray(self.excluded, dtype=np.int64)))
        object.__setattr__(self, "groups", tuple(self.groups))

    def capacity_array(self, n_sites: int) -> np.ndarray | None:
        """Capacity per site as a float array, or ``None`` when capacity is off."""
        if self.capacity is None:
            return None
        cap = np.broadcast_to(np.asarray(self.capacity, dtype=np.float64), (n_sites,)).copy()
        if np.any(cap < 0):
            raise PlannerError("model.negative_values", what="capacity")
        return cap

    def validate(self, n_sites: int) -> None:
        """Raise :class:`PlannerError` for site indices outside ``0..n_sites-1``."""
        arrays = [self.required, self.excluded, *(g.sites for g in self.groups)]
        for arr in arrays:
            bad = arr[(arr < 0) | (arr >= n_sites)]
            if bad.size:
                raise PlannerError(
                    "model.site_index_out_of_range", index=int(bad[0]), n_sites=n_sites
                )
        if self.capacity is not None:
            cap = np.asarray(self.capacity)
            if cap.ndim and cap.shape != (n_sites,):
                raise PlannerError(
                    "model.shape_mismatch", what="capacity", expected=n_sites, got=cap.shape
                )


def groups_from_labels(
    labels: Sequence[Any] | np.ndarray,
    *,
    min_open: int = 0,
    max_open: int | Mapping[Any, int] | None = None,
    kind: str = "group",
    only: Sequence[Any] | None = None,
) -> list[SiteGroup]:
    """Build one :class:`SiteGroup` per distinct label of the candidate sites.

    Parameters
    ----------
    labels
        One label per candidate site (township name, county code, ...); ``None`` or NaN
        labels belong to no group.
    min_open
        Minimum per group (1 for "a station in every township").
    max_open
        Cap per group, or a mapping label -> cap (labels missing from it are uncapped).
    kind
        See :class:`SiteGroup`.
    only
        Restrict to these labels (e.g. only the communities that asked for a station).
    """
    labels = np.asarray(labels, dtype=object)
    wanted = None if only is None else set(only)
    groups: dict[Any, list[int]] = {}
    for idx, lab in enumerate(labels):
        if lab is None or (isinstance(lab, float) and math.isnan(lab)):
            continue
        if wanted is not None and lab not in wanted:
            continue
        groups.setdefault(lab, []).append(idx)
    out = []
    for lab, sites in groups.items():
        cap = max_open.get(lab) if isinstance(max_open, Mapping) else max_open
        out.append(SiteGroup(str(lab), sites, min_open=min_open, max_open=cap, kind=kind))
    return out


def _disjoint_family(groups: Sequence[SiteGroup], key) -> list[SiteGroup]:
    """Greedy pairwise-disjoint subfamily (smallest groups first).

    Any disjoint family gives a *sound* bound (its groups' needs add up), so greedy is
    enough: a diagnosis found this way is always a real infeasibility; a missed one is
    still caught by the solver and the elastic diagnosis.
    """
    taken: set[int] = set()
    picked = []
    for g in sorted(groups, key=key):
        members = set(g.sites.tolist())
        if members & taken:
            continue
        taken |= members
        picked.append(g)
    return picked


def _common_kind(groups: Sequence[SiteGroup]) -> Term:
    kinds = {g.kind for g in groups}
    return Term(kinds.pop() if len(kinds) == 1 else "group")


def check_site_rules(
    n_sites: int,
    rules: PolicyRules,
    *,
    p: int | None = None,
    p_mode: Literal["exact", "at_most"] = "exact",
    unit: str = "station",
    demand: np.ndarray | None = None,
    capacity: np.ndarray | None = None,
    quantity: str = "households",
    single_source: bool | None = None,
) -> list[Diagnosis]:
    """Check the rules arithmetically; return one :class:`Diagnosis` per broken rule.

    The checks are sound (each reported problem really makes the model infeasible)
    but not complete: combinations only the solver can see are left to it.

    Parameters
    ----------
    n_sites
        Number of candidate sites.
    rules
        The policy rules.
    p, p_mode
        Number of sites to open, exactly or at most (``p=None``: free, as in set cover).
    unit
        ``"station"`` or ``"centre"``, for wording.
    demand
        Quantity every demand point must have served (households, tonnes/day); only
        used with ``capacity``. Pass only the demand that must be served.
    capacity
        Capacity per site (overrides ``rules.capacity``; used by the centre model).
    quantity
        ``"households"`` or ``"tonnes"``, for wording.
    single_source
        Whether a demand point may not be split across sites (default
        ``rules.single_source``).
    """
    rules.validate(n_sites)
    unit_t = Term(unit)
    out: list[Diagnosis] = []
    required, excluded = rules.required, rules.excluded
    allowed = np.ones(n_sites, dtype=bool)
    allowed[excluded] = False
    n_allowed = int(allowed.sum())

    both = np.intersect1d(required, excluded)
    if both.size:
        out.append(
            Diagnosis(
                "solve.required_and_excluded", {"count": int(both.size), "example": int(both[0])}
            )
        )
    if p is not None:
        if p < 1 and p_mode == "exact":
            out.append(Diagnosis("solve.p_not_positive", {"p": p, "unit": unit_t}))
        if p_mode == "exact" and p > n_allowed:
            out.append(
                Diagnosis(
                    "solve.p_exceeds_sites",
                    {
                        "p": p,
                        "available": n_allowed,
                        "excluded": int(excluded.size),
                        "unit": unit_t,
                    },
                )
            )
        if required.size > p:
            out.append(
                Diagnosis(
                    "solve.required_exceed_p",
                    {
                        "required": int(required.size),
                        "p": p,
                        "excess": int(required.size - p),
                        "unit": unit_t,
                    },
                )
            )

    is_required = np.zeros(n_sites, dtype=bool)
    is_required[required] = True

    def need_beyond_required(g: SiteGroup) -> int:
        # Required sites in the group already count towards its minimum.
        return max(0, g.min_open - int(is_required[g.sites].sum()))

    for g in rules.groups:
        total = int(g.sites.size)
        avail = int(allowed[g.sites].sum())
        n_req = int(is_required[g.sites].sum())
        base = {"group": g.name, "kind": Term(g.kind), "unit": unit_t}
        if g.max_open is not None and g.min_open > g.max_open:
            out.append(
                Diagnosis("solve.group_min_gt_max", {**base, "min": g.min_open, "max": g.max_open})
            )
        if g.min_open > avail:
            if total == 0:
                out.append(Diagnosis("solve.group_empty", {**base, "need": g.min_open}))
            elif avail == 0:
                out.append(
                    Diagnosis(
                        "solve.group_all_excluded", {**base, "need": g.min_open, "total": total}
                    )
                )
            else:
                out.append(
                    Diagnosis(
                        "solve.group_min_exceeds_candidates",
                        {**base, "need": g.min_open, "available": avail, "excluded": total - avail},
                    )
                )
        if g.max_open is not None and n_req > g.max_open:
            out.append(
                Diagnosis(
                    "solve.group_required_exceed_max",
                    {**base, "required": n_req, "max": g.max_open},
                )
            )

    min_groups = [g for g in rules.groups if g.min_open > 0 and g.sites.size]
    if p is not None and min_groups:
        family = _disjoint_family(min_groups, key=lambda g: (g.sites.size, -g.min_open))
        family = [g for g in family if need_beyond_required(g) > 0]
        need = int(required.size) + sum(need_beyond_required(g) for g in family)
        if family and need > p:
            out.append(
                Diagnosis(
                    "solve.group_mins_exceed_p",
                    {
                        "count": len(family),
                        "kind": _common_kind(family),
                        "need": need,
                        "p": p,
                        "excess": need - p,
                        "unit": unit_t,
                    },
                )
            )

    # Nested rules: e.g. 13 townships inside a county each need a station, county cap 10.
    for cap_group in rules.groups:
        if cap_group.max_open is None:
            continue
        members = set(cap_group.sites.tolist())
        inner = [g for g in min_groups if g is not cap_group and set(g.sites.tolist()) <= members]
        if not inner:
            continue
        family = _disjoint_family(inner, key=lambda g: (g.sites.size, -g.min_open))
        family = [g for g in family if need_beyond_required(g) > 0]
        if not family:
            continue
        need = int(is_required[cap_group.sites].sum()) + sum(
            need_beyond_required(g) for g in family
        )
        if need > cap_group.max_open:
            out.append(
                Diagnosis(
                    "solve.nested_mins_exceed_max",
                    {
                        "count": len(family),
                        "kind": _common_kind(family),
                        "need": need,
                        "max": cap_group.max_open,
                        "group": cap_group.name,
                        "excess": need - cap_group.max_open,
                        "unit": unit_t,
                    },
                )
            )

    # Caps can make "exactly p" impossible: the most that can open is bounded by any
    # disjoint family of capped groups plus the allowed sites outside it.
    cap_groups = [g for g in rules.groups if g.max_open is not None]
    if p is not None and p_mode == "exact" and cap_groups:
        family = _disjoint_family(cap_groups, key=lambda g: (g.max_open, g.sites.size))
        inside = np.zeros(n_sites, dtype=bool)
        most = 0
        for g in family:
            inside[g.sites] = True
            most += min(int(g.max_open), int(allowed[g.sites].sum()))
        most += int((allowed & ~inside).sum())
        if most < p:
            out.append(
                Diagnosis(
                    "solve.group_max_below_p",
                    {"most": most, "p": p, "short": p - most, "unit": unit_t},
                )
            )

    cap = capacity if capacity is not None else rules.capacity_array(n_sites)
    if cap is not None and demand is not None and demand.size:
        qty = Term(quantity)
        total = float(np.sum(demand))
        caps = np.sort(cap[allowed])[::-1]
        n_open = n_allowed if p is None else min(p, n_allowed)
        supply = float(caps[:n_open].sum())
        if total > supply * (1 + 1e-9) + 1e-9:
            out.append(
                Diagnosis(
                    "solve.capacity_short",
                    {
                        "demand": total,
                        "supply": supply,
                        "short": total - supply,
                        "p": n_open,
                        "unit": unit_t,
                        "qty": qty,
                    },
                )
            )
        if rules.single_source if single_source is None else single_source:
            largest_cap = float(caps[0]) if caps.size else 0.0
            too_big = demand > largest_cap * (1 + 1e-9) + 1e-9
            if np.any(too_big):
                out.append(
                    Diagnosis(
                        "solve.demand_exceeds_capacity",
                        {
                            "count": int(too_big.sum()),
                            "largest": float(demand.max()),
                            "capacity": largest_cap,
                            "unit": unit_t,
                            "qty": qty,
                        },
                    )
                )
    return out


# --------------------------------------------------------------------------- messages

register(
    {
        "solve.status.optimal": {
            "zh": "已求得最优方案，目标值 {objective}。",
            "en": "Optimal plan found, objective {objective}.",
        },
        "solve.status.time_limit_feasible": {
            "zh": "已达到时间或规模上限，返回当前最好方案：目标值 {objective}，与最优的差距不超过 "
            "{gap}。",
            "en": "Limit reached; best plan so far returned: objective {objective}, within "
            "{gap} of optimal.",
        },
        "solve.status.infeasible": {
            "zh": "按当前规则无法生成方案，原因如下：",
            "en": "No plan can satisfy the current rules:",
        },
        "solve.status.unbounded": {
            "zh": "模型无界（请检查输入数据）。",
            "en": "The model is unbounded (check the input data).",
        },
        "solve.status.error": {
            "zh": "求解失败。",
            "en": "The solve failed.",
        },
        "solve.bad_option": {
            "zh": "求解参数 {option} 的取值 {value} 无效。",
            "en": "Invalid value {value} for solver option {option}.",
        },
        "solve.p_not_positive": {
            "zh": "{unit}数量 p={p} 至少应为 1。",
            "en": "The number of {unit} p={p} must be at least 1.",
        },
        "solve.p_exceeds_sites": {
            "zh": "需要设置 {p} 个{unit}，但只有 {available} 个候选点可用（另有 {excluded} "
            "个被排除）。",
            "en": "{p} {unit} are required but only {available} candidate sites are available "
            "({excluded} excluded).",
        },
        "solve.required_and_excluded": {
            "zh": "有 {count} 个候选点同时被设为“必选”和“排除”（例如第 {example} 号）。",
            "en": "{count} sites are both required and excluded (e.g. site #{example}).",
        },
        "solve.required_exceed_p": {
            "zh": "必选点有 {required} 个，超过允许的{unit}总数 {p} 个（多 {excess} 个）。",
            "en": "{required} sites are required but only {p} {unit} are allowed (over by "
            "{excess}).",
        },
        "solve.group_empty": {
            "zh": "{group}至少需要 {need} 个{unit}，但没有任何候选点。",
            "en": "{group} needs at least {need} {unit} but has no candidate sites.",
        },
        "solve.group_all_excluded": {
            "zh": "{group}至少需要 {need} 个{unit}，但其全部 {total} 个候选点都被排除。",
            "en": "{group} needs at least {need} {unit} but all its {total} candidate sites "
            "are excluded.",
        },
        "solve.group_min_exceeds_candidates": {
            "zh": "{group}至少需要 {need} 个{unit}，但只有 {available} 个可用候选点（{excluded} "
            "个被排除）。",
            "en": "{group} needs at least {need} {unit} but only {available} candidate sites "
            "are available ({excluded} excluded).",
        },
        "solve.group_min_gt_max": {
            "zh": "{group}的最少数量 {min} 大于最多数量 {max}。",
            "en": "{group}: the minimum {min} is larger than the maximum {max}.",
        },
        "solve.group_required_exceed_max": {
            "zh": "{group}有 {required} 个必选点，超过该区域最多 {max} 个{unit}的上限。",
            "en": "{group} has {required} required sites but allows at most {max} {unit}.",
        },
        "solve.group_mins_exceed_p": {
            "zh": "{count} 个{kind}合计至少需要 {need} 个{unit}，但总数只允许 {p} 个（超出 "
            "{excess} 个）。",
            "en": "{count} {kind} need at least {need} {unit} in total but only {p} are "
            "allowed (over by {excess}).",
        },
        "solve.nested_mins_exceed_max": {
            "zh": "{group}内有 {count} 个{kind}至少需要 {need} 个{unit}，但{group}最多只允许 "
            "{max} 个（超出 {excess} 个）。",
            "en": "{count} {kind} need at least {need} {unit} but only {max} are allowed "
            "in {group} (over by {excess}).",
        },
        "solve.group_max_below_p": {
            "zh": "各区域上限合计最多只能设置 {most} 个{unit}，但要求设置 {p} 个（差 {short} "
            "个）。",
            "en": "The group maximums allow at most {most} {unit} but {p} are required (short "
            "by {short}).",
        },
        "solve.capacity_short": {
            "zh": "总需求 {demand} {qty}超过 {p} 个{unit}的总能力 {supply} {qty}（缺口 {short}）。",
            "en": "Total demand of {demand} {qty} exceeds the capacity of {p} {unit}, {supply} "
            "{qty} (short by {short}).",
        },
        "solve.demand_exceeds_capacity": {
            "zh": "有 {count} 个需求点的量超过任何单个{unit}的能力（最大需求 {largest} {qty} "
            "> 能力 {capacity} {qty}），且不允许拆分。",
            "en": "{count} demand points need more than any single {unit} can take (largest "
            "{largest} {qty} > capacity {capacity} {qty}) and may not be split.",
        },
        "solve.demand_unreachable": {
            "zh": "有 {count} 个需求点没有任何可到达的候选点（例如第 {example} 号）。",
            "en": "{count} demand points have no reachable candidate site (e.g. #{example}).",
        },
        "solve.uncoverable": {
            "zh": "有 {count} 个需求点（权重合计 {weight}）在服务半径内没有可用候选点，无法覆盖（"
            "例如第 {example} 号）。",
            "en": "{count} demand points (total weight {weight}) have no usable candidate "
            "site within their radius and cannot be covered (e.g. #{example}).",
        },
        "solve.infeasible_unexplained": {
            "zh": "求解器证明这些规则无法同时满足，但未能定位到单条规则；请逐条放宽规则后重试。",
            "en": "The solver proved the rules cannot all hold together but no single rule "
            "explains it; relax the rules one at a time.",
        },
        "solve.elastic_p_more": {
            "zh": "在其他规则下需要比 p={p} 多设 {amount} 个{unit}。",
            "en": "The other rules need {amount} more {unit} than p={p}.",
        },
        "solve.elastic_p_fewer": {
            "zh": "在其他规则下最多只能设置 {opened} 个{unit}，比 p={p} 少 {amount} 个。",
            "en": "The other rules allow only {opened} {unit}, {amount} fewer than p={p}.",
        },
        "solve.elastic_group_min": {
            "zh": "{group}最少需要 {min} 个{unit}，在其他规则下还差 {amount} 个。",
            "en": "{group} needs at least {min} {unit}; under the other rules it is short "
            "by {amount}.",
        },
        "solve.elastic_group_max": {
            "zh": "{group}最多允许 {max} 个{unit}，但其他规则要求再多 {amount} 个。",
            "en": "{group} allows at most {max} {unit} but the other rules need {amount} more.",
        },
        "solve.elastic_required": {
            "zh": "有 {count} 个必选点在其他规则下无法设置（例如第 {example} 号）。",
            "en": "{count} required sites cannot open under the other rules (e.g. #{example}).",
        },
        "solve.elastic_excluded": {
            "zh": "其他规则要求启用 {count} 个被排除的候选点（例如第 {example} 号）。",
            "en": "The other rules need {count} excluded sites to open (e.g. #{example}).",
        },
        "solve.elastic_capacity": {
            "zh": "{unit}能力在 {count} 处共缺 {amount} {qty}。",
            "en": "{unit} capacity is short by {amount} {qty} in total at {count} sites.",
        },
        "solve.elastic_unserved": {
            "zh": "有 {count} 个需求点（{amount} {qty}）无法在允许范围内得到服务（例如第 "
            "{example} 号）。",
            "en": "{count} demand points ({amount} {qty}) cannot be served within their "
            "allowed pairs (e.g. #{example}).",
        },
        "solve.no_solution_in_limit": {
            "zh": "在求解时限内未找到任何可行方案；请放宽时限或规则。",
            "en": "No feasible plan was found within the limit; allow more time or relax "
            "the rules.",
        },
        "solve.solver_cut_off": {
            "zh": "求解器到达时限后没有自行停止，已在时限处中断；返回中断前找到的最好方案。",
            "en": "The solver did not stop at the time limit on its own; it was cut off at "
            "the limit and the best plan found before that is returned.",
        },
        "solve.solver_skipped": {
            "zh": "时限已用完，求解器未再启动；返回此前（启发式搜索或上一轮求解）得到的最好方案。",
            "en": "The time limit was used up, so the solver was not started (again); the "
            "best plan found before (by the heuristic search or an earlier round) is "
            "returned.",
        },
        "solve.solver_error": {
            "zh": "求解器出错：{detail}",
            "en": "Solver error: {detail}",
        },
        "solve.rounds_limit": {
            "zh": "距离表扩展了 {rounds} 轮后停止；当前方案与最优的差距不超过 {gap}。",
            "en": "Stopped after {rounds} rounds of growing the distance lists; the plan "
            "is within {gap} of optimal.",
        },
        "solve.tie_break_skipped": {
            "zh": "时间不足，未按距离对同等覆盖的方案做二次优选。",
            "en": "Not enough time left to break coverage ties by distance.",
        },
        "solve.restricted_pairs": {
            "zh": "启用容量约束时，每个需求点只分配给其距离表内（最远约 {radius} 米）的候选点；"
            "最优性在此范围内成立。",
            "en": "With capacity, each demand point is assigned only to candidate sites "
            "on its distance list (up to about {radius} m); optimality holds within "
            "that restriction.",
        },
        "solve.restricted_pairs_bound": {
            "zh": "启用容量约束时，每个需求点只分配给其距离表内（最远约 {radius} 米）的候选点；"
            "最优性在此范围内成立。不受此限制的任何方案，目标值也不低于 {global_bound}。",
            "en": "With capacity, each demand point is assigned only to candidate sites on "
            "its distance list (up to about {radius} m); optimality holds within that "
            "restriction. Without the restriction no plan can cost less than {global_bound}.",
        },
        "solve.uncoverable_excluded": {
            "zh": "其中 {count} 个需求点的半径内只有被排除的候选点（例如第 {example} 号）。",
            "en": "{count} of them have only excluded candidate sites within their radius "
            "(e.g. #{example}).",
        },
        "solve.tie_break_partial": {
            "zh": "按距离二次优选在时限内未完全证明最优。",
            "en": "Breaking coverage ties by distance was not proven optimal within the limit.",
        },
        "solve.capacity_transport": {
            "zh": "该方案为无容量约束最优方案的站点在容量约束下的最优分配（运输线性规划）；"
            "在时限内求解器未找到更好的方案。",
            "en": "This plan is the uncapacitated optimum's sites with their best assignment "
            "under capacity (a transportation LP); the solver found no better plan within "
            "the limit.",
        },
        "solve.grew_pairs": {
            "zh": "候选距离表过短导致不可行，已自动扩展 {rounds} 轮。",
            "en": "The candidate distance lists were too short to be feasible and were grown "
            "{rounds} times.",
        },
        "model.shape_mismatch": {
            "zh": "{what} 的长度/形状应为 {expected}，实际为 {got}。",
            "en": "{what} should have length/shape {expected}, got {got}.",
        },
        "model.negative_values": {
            "zh": "{what} 不能为负数。",
            "en": "{what} must not be negative.",
        },
        "model.site_index_out_of_range": {
            "zh": "候选点编号 {index} 超出范围（共 {n_sites} 个候选点）。",
            "en": "Site index {index} is out of range ({n_sites} candidate sites).",
        },
        "model.no_source": {
            "zh": "该距离矩阵没有坐标来源，无法扩展搜索半径。",
            "en": "This cost matrix has no coordinate source, so its radius cannot grow.",
        },
        "model.matrix_too_short": {
            "zh": "距离矩阵只完整覆盖到 {have} 米，小于所需的覆盖半径 {need} 米（第 {example} "
            "号需求点）。",
            "en": "The cost matrix is only complete up to {have} m, less than the coverage "
            "radius {need} m (demand point #{example}).",
        },
        "model.bad_value": {
            "zh": "参数 {what} 的取值 {value} 无效。",
            "en": "Invalid value {value} for {what}.",
        },
        "model.term.station": {"zh": "回收站点", "en": "stations"},
        "model.term.centre": {"zh": "分拣中心", "en": "sorting centres"},
        "model.term.township": {"zh": "乡镇（街道）", "en": "townships"},
        "model.term.community": {"zh": "社区", "en": "communities"},
        "model.term.village": {"zh": "行政村", "en": "villages"},
        "model.term.county": {"zh": "县（市、区）", "en": "counties"},
        "model.term.group": {"zh": "区域", "en": "groups"},
        "model.term.households": {"zh": "户", "en": "households"},
        "model.term.tonnes": {"zh": "吨/日", "en": "t/day"},
    }
)
