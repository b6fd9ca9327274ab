"""Siting rules and solver options: what every model is asked to respect and how it runs.

Solver-agnostic on purpose (no PuLP), so the scenario, the UI and the report code can
build and validate rules without pulling in a MIP stack.

- :class:`PolicyRules` -- required and excluded sites, :class:`SiteGroup` minimum and
  maximum counts, :class:`CoverRule` minimum numbers of covered units (villages with a
  station within their radius), capacity and single sourcing, shared by every model;
- :func:`groups_from_labels` -- one group per township, county, ... label;
- :class:`SolverOptions` -- solver, time limit, gap, threads, node limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from scipy import sparse

from planner.i18n import PlannerError

__all__ = [
    "SOLVERS",
    "CoverRule",
    "PolicyRules",
    "SiteGroup",
    "SolverOptions",
    "groups_from_labels",
]

SOLVERS: tuple[str, ...] = ("highs", "cbc")


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


@dataclass(frozen=True, eq=False)
class CoverRule:
    """At least ``min_covered`` of a set of units must have an open site in reach.

    One type covers "at least 70 % of the villages of every county have a station
    within their coverage radius" (one rule per county). A unit (a 村 or 社区) is
    covered when any open site lies in its neighbourhood: row ``u`` of ``cover``
    holds a 1 in column ``j`` when candidate ``j`` is within the unit's radius.

    The neighbourhoods must be the *complete* within-radius sets (a radius query, not
    a model's k-nearest lists): a site left out of a row would make the rule stricter
    than the policy it states.

    Parameters
    ----------
    name
        Shown to planners (e.g. ``"永嘉县"``).
    cover
        Units x candidate sites, non-zero where the site covers the unit (any scipy
        sparse matrix or dense array; stored as a 0/1 ``csr_array``).
    min_covered
        Units that must be covered (at most the number of rows).
    kind
        What the units are grouped by (``"county"``, ``"township"``, ...), used to
        word diagnoses as in :class:`SiteGroup`.
    """

    name: str
    cover: Any
    min_covered: int
    kind: str = "county"

    def __post_init__(self) -> None:
        # A copy: the 0/1 clean-up below must not change the caller's matrix.
        cover = sparse.csr_array(self.cover, dtype=np.float64, copy=True)
        cover.sum_duplicates()
        cover.eliminate_zeros()
        cover.data[:] = 1.0
        object.__setattr__(self, "cover", cover)
        if int(self.min_covered) != self.min_covered or self.min_covered < 0:
            raise PlannerError("model.negative_values", what=f"cover rule {self.name}")
        object.__setattr__(self, "min_covered", int(self.min_covered))

    @property
    def n_units(self) -> int:
        """Number of units (rows of ``cover``)."""
        return int(self.cover.shape[0])

    def sites_of(self, unit: int) -> np.ndarray:
        """Candidate sites covering ``unit``."""
        lo, hi = self.cover.indptr[unit], self.cover.indptr[unit + 1]
        return self.cover.indices[lo:hi]

    def covered(self, is_open: np.ndarray) -> int:
        """Units covered when the sites with ``is_open`` true are open."""
        return int(np.count_nonzero(self.cover @ np.asarray(is_open, dtype=np.float64)))


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
    cover_rules
        :class:`CoverRule` minimum numbers of covered units (villages per county). The
        shortcuts that skip the MIP (the p-median presolve, the sorting-centre
        heuristic) do not know them and are switched off while any is given.
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
    cover_rules: Sequence[CoverRule] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "required", np.unique(np.asarray(self.required, dtype=np.int64)))
        object.__setattr__(self, "excluded", np.unique(np.asarray(self.excluded, dtype=np.int64)))
        object.__setattr__(self, "groups", tuple(self.groups))
        object.__setattr__(self, "cover_rules", tuple(self.cover_rules))

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
        for rule in self.cover_rules:
            if rule.cover.shape[1] != n_sites:
                raise PlannerError(
                    "model.shape_mismatch",
                    what=f"cover rule {rule.name}",
                    expected=n_sites,
                    got=rule.cover.shape,
                )
            if rule.min_covered > rule.n_units:
                raise PlannerError(
                    "model.bad_value", what=f"cover rule {rule.name}", value=rule.min_covered
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
