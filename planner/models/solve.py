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

from planner.i18n import DEFAULT_LANGUAGE, PlannerError, known, t

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

