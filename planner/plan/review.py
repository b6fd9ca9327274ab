"""Review of a plan's sites by the cooperative, and the run that honours it.

The supply-and-marketing cooperative (供销社) reviews proposed sites one by one. Each
decision is an event — who, when, what, why — kept forever (:mod:`planner.store`
appends them; nothing is updated in place). The state of a site is the replay of its
events (:func:`replay`):

=========== ================================================================ =========
action      effect                                                           reason
=========== ================================================================ =========
``approve`` status ``approved``: the site is required in the next run        optional
``reject``  status ``rejected``: the site is excluded from the next run      required
``move``    status ``moved``: the site is excluded and its replacement (an   required
            other candidate, or a point given by coordinates) is required
``reset``   status back to ``pending`` (no review)                           optional
``lock``    the site is fixed: required in every run, and nobody may         optional
            approve, reject, move or reset it until it is unlocked; a
            rejected site that is locked becomes approved
``unlock``  ends the lock; the status stays                                  optional
``comment`` a note only; the status does not change                         required
=========== ================================================================ =========

Every site carries a version (the number of its events). A reviewer acts on the
version they saw; when another reviewer has acted on the site since, the store refuses
the whole batch and says who did what (:class:`planner.store.ReviewConflict`), so no
decision is ever overwritten silently.

:func:`apply_review` turns the states into the next run: a scenario whose tiers list
the required and excluded sites, the replacement sites given by coordinates as extra
candidates, and (mode ``keep``) every other site of the previous plan kept, so that
only what the review changed changes. :func:`plan_diff` then lists, against the
previous plan, the sites added, removed and moved, and the indicator differences.

Markets and standalone kinds
----------------------------
The markets (集散交易市场) and each standalone kind's sites are reviewed like the
stations and centres, in the same trail. A site's key is ``(review tier, site_id)``
(:func:`review_tiers`): the tier for stations, centres and markets, the kind's id for a
standalone kind's site — two kinds may choose the same community point, so ``tier =
"standalone"`` would not tell them apart. The re-run turns their decisions into
``markets.required_sites`` / ``excluded_sites`` (candidate ids: the market's id
without its ``m``) and each kind's ``required_sites`` / ``excluded_sites`` in
``Scenario.kinds``. A market moves to another candidate or to a point (a new centre
candidate there); a kind's site moves to another of its candidates only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.data.regions import Region
from planner.format import figure
from planner.i18n import PlannerError
from planner.plan import Plan
from planner.plan.replacements import Replacement, fit_replacements, replacements_of
from planner.plan.review_kinds import (
    MARKET,
    MOVE_TO_POINT,
    candidate_id,
    review_tiers,
    reviewable,
    with_markets_and_kinds,
)
from planner.scenario import Scenario

__all__ = [
    "ACTIONS",
    "RERUN_MODES",
    "REVIEW_ACTION_LABEL",
    "REVIEW_CHANGE_LABEL",
    "REVIEW_STATUS_LABEL",
    "STATUSES",
    "TIERS",
    "Decision",
    "MoveTarget",
    "ReviewRun",
    "SiteReview",
    "apply_review",
    "check_decision",
    "check_in_region",
    "kpi_diff",
    "moves_of",
    "next_state",
    "plan_diff",
    "replay",
    "review_summary",
    "run_reviewed",
    "scenario_changed",
    "site_table",
]

ACTIONS = ("approve", "reject", "lock", "unlock", "move", "reset", "comment")
STATUSES = ("pending", "approved", "rejected", "moved")
TIERS = ("station", "sorting_centre")
#: Catalogue key of each action, status and :func:`plan_diff` change, as shown.
REVIEW_ACTION_LABEL = {
    "approve": "review.action.approve",
    "reject": "review.action.reject",
    "lock": "review.action.lock",
    "unlock": "review.action.unlock",
    "move": "review.action.move",
    "reset": "review.action.reset",
    "comment": "review.action.comment",
}
REVIEW_STATUS_LABEL = {
    "pending": "review.status.pending",
    "approved": "review.status.approved",
    "rejected": "review.status.rejected",
    "moved": "review.status.moved",
}
REVIEW_CHANGE_LABEL = {
    "added": "review.change.added",
    "removed": "review.change.removed",
    "moved": "review.change.moved",
}
#: ``keep``: every site of the previous plan that the review did not reject or move stays;
#: ``reoptimise``: only reviewed sites are fixed, the solver re-places the others.
RERUN_MODES = ("keep", "reoptimise")
_NEEDS_REASON = {"reject", "move", "comment"}
_BLOCKED_BY_LOCK = {"approve", "reject", "move", "reset"}
MAX_REASON = 2000
MAX_REVIEWER = 100


@dataclass(frozen=True)
class MoveTarget:
    """Where a moved site goes: another candidate, or a point (WGS84 longitude/latitude).

    Attributes
    ----------
    site_id
        A candidate site of the same tier.
    lon, lat
        A new site at this point (EPSG:4326), used when ``site_id`` is ``None``.
    """

    site_id: str | None = None
    lon: float | None = None
    lat: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"site_id": self.site_id, "lon": self.lon, "lat": self.lat}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> MoveTarget | None:
        """Inverse of :meth:`to_dict` (``None`` stays ``None``)."""
        if not data:
            return None
        return cls(data.get("site_id"), data.get("lon"), data.get("lat"))

    def new_site_id(self, site_id: str, version: int) -> str:
        """Id of the replacement site: the candidate's, or ``<site>-M<version>`` for a point."""
        return self.site_id if self.site_id else f"{site_id}-M{version}"


@dataclass(frozen=True)
class Decision:
    """One review event, as stored.

    Attributes
    ----------
    id
        Database id (0 before it is stored).
    scenario_id, plan_id
        The scenario whose sites are reviewed, and the plan the reviewer was looking at.
    tier, site_id
        The site.
    action
        One of :data:`ACTIONS`.
    reviewer, reason
        Who, and why.
    version
        The site's version after this event (1 for its first event).
    created_at
        ISO timestamp (UTC).
    move_to
        Target of a ``move``.
    user_name, user_role
        The account that stored it and its role (:mod:`planner.accounts`); in
        single-user local mode the typed name and ``admin``, before accounts ``""``.
    """

    scenario_id: int
    plan_id: int | None
    tier: str
    site_id: str
    action: str
    reviewer: str
    reason: str = ""
    version: int = 0
    created_at: str = ""
    move_to: MoveTarget | None = None
    id: int = 0
    user_name: str = ""
    user_role: str = ""


@dataclass(frozen=True)
class SiteReview:
    """The current state of one site's review.

    Attributes
    ----------
    tier, site_id
        The site.
    status
        One of :data:`STATUSES`.
    locked
        Whether the site is locked (and by whom: :attr:`locked_by`).
    version
        Number of events so far (what a reviewer must have seen to act on it).
    move_to, moved_id
        Target of the last move and the replacement site's id.
    reviewer, reason, at
        The last event's reviewer, reason and time.
    comments
        Number of comments.
    locked_by
        Reviewer who locked it.
    """

    tier: str
    site_id: str
    status: str = "pending"
    locked: bool = False
    version: int = 0
    move_to: MoveTarget | None = None
    moved_id: str | None = None
    reviewer: str = ""
    reason: str = ""
    at: str = ""
    comments: int = 0
    locked_by: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """``(tier, site_id)``."""
        return (self.tier, self.site_id)


def _action_name(action: str, lang: str = "zh") -> str:
    from planner.i18n import t

    key = REVIEW_ACTION_LABEL.get(action)
    return t(key, lang) if key else action


class _LockedError(PlannerError):
    def __init__(self, state: SiteReview, action: str) -> None:
        self.action = action
        super().__init__(
            "review.locked",
            site=state.site_id,
            reviewer=state.locked_by or "?",
            action=action,
        )

    def message(self, lang: str = "zh") -> str:  # the action in the message's language
        from planner.i18n import t

        return t(
            "review.locked",
            lang,
            site=self.params["site"],
            reviewer=self.params["reviewer"],
            action=_action_name(self.action, lang),
        )


def next_state(state: SiteReview | None, decision: Decision) -> SiteReview:
    """The site's state after ``decision``.

    Raises
    ------
    PlannerError
        ``review.locked`` when the site is locked and the action changes its status.
    """
    state = state or SiteReview(decision.tier, decision.site_id)
    if state.locked and decision.action in _BLOCKED_BY_LOCK:
        raise _LockedError(state, decision.action)
    stamp = {
        "version": decision.version or state.version + 1,
        "reviewer": decision.reviewer,
        "reason": decision.reason,
        "at": decision.created_at,
    }
    action = decision.action
    if action == "comment":
        return replace(state, comments=state.comments + 1, **stamp)
    if action == "lock":
        status = "approved" if state.status in ("pending", "rejected") else state.status
        return replace(state, status=status, locked=True, locked_by=decision.reviewer, **stamp)
    if action == "unlock":
        return replace(state, locked=False, locked_by="", **stamp)
    if action == "move":
        target = decision.move_to or MoveTarget()
        return replace(
            state,
            status="moved",
            move_to=target,
            moved_id=target.new_site_id(state.site_id, stamp["version"]),
            **stamp,
        )
    status = {"approve": "approved", "reject": "rejected", "reset": "pending"}[action]
    return replace(state, status=status, move_to=None, moved_id=None, **stamp)


def replay(decisions: Iterable[Decision]) -> dict[tuple[str, str], SiteReview]:
    """Current state of every reviewed site from its events (in version order).

    Events refused at the time (a locked site) never reach the store, so replaying the
    stored history cannot fail; it is checked anyway.
    """
    states: dict[tuple[str, str], SiteReview] = {}
    for d in sorted(decisions, key=lambda d: (d.tier, d.site_id, d.version)):
        key = (d.tier, d.site_id)
        states[key] = next_state(states.get(key), d)
    return states


def check_decision(
    action: str,
    reviewer: str,
    sites: Iterable[tuple[str, str]],
    reason: str = "",
    move_to: MoveTarget | None = None,
) -> None:
    """Validate a decision before it is stored (the checks that need no database).

    Raises
    ------
    PlannerError
        With a message for the reviewer: no name, unknown action or tier, no site, a
        missing reason, a move of several sites, a move without or onto itself, bad
        coordinates.
    """
    if not str(reviewer or "").strip():
        raise PlannerError("review.no_reviewer")
    if len(reviewer.strip()) > MAX_REVIEWER:
        raise PlannerError("review.long_reviewer", limit=MAX_REVIEWER)
    if action not in ACTIONS:
        raise PlannerError("review.bad_action", action=action, choices=", ".join(ACTIONS))
    sites = list(sites)
    if not sites:
        raise PlannerError("review.no_sites")
    known = reviewable()
    for tier, _ in sites:
        if tier not in known:
            raise PlannerError("review.bad_tier", tier=tier)
    if action in _NEEDS_REASON and not str(reason or "").strip():
        raise _ReasonError(action)
    if len(str(reason or "")) > MAX_REASON:
        raise PlannerError("review.long_reason", limit=MAX_REASON)
    if action != "move":
        return
    if len(sites) != 1:
        raise PlannerError("review.move_one", count=len(sites))
    if move_to is None or (not move_to.site_id and (move_to.lon is None or move_to.lat is None)):
        raise PlannerError("review.move_target")
    if move_to.site_id and move_to.site_id == sites[0][1]:
        raise PlannerError("review.move_same")
    if not move_to.site_id and sites[0][0] not in MOVE_TO_POINT:
        raise PlannerError("review.move_point_kind")
    if not move_to.site_id:
        lon, lat = move_to.lon, move_to.lat
        if not (
            isinstance(lon, int | float)
            and isinstance(lat, int | float)
            and math.isfinite(lon)
            and math.isfinite(lat)
            and -180 <= lon <= 180
            and -90 <= lat <= 90
        ):
            raise PlannerError("review.bad_coordinates")


class _ReasonError(PlannerError):
    def __init__(self, action: str) -> None:
        self.action = action
        super().__init__("review.need_reason", action=action)

    def message(self, lang: str = "zh") -> str:
        from planner.i18n import t

        return t("review.need_reason", lang, action=_action_name(self.action, lang))


def check_in_region(move_to: MoveTarget, region: Region) -> None:
    """Raise ``review.outside_region`` when a move's point is outside the region."""
    if move_to.site_id or move_to.lon is None or move_to.lat is None:
        return
    point = shapely.Point(move_to.lon, move_to.lat)
    if not region.counties.to_crs(4326).intersects(point).any():
        raise PlannerError(
            "review.outside_region",
            lon=round(move_to.lon, 6),
            lat=round(move_to.lat, 6),
            region=region.name("zh"),
        )


# --- the run that honours the review ----------------------------------------------------------


@dataclass(frozen=True)
class ReviewRun:
    """What :func:`apply_review` gives the next run.

    Attributes
    ----------
    scenario
        The scenario with the review's required and excluded sites added to its tiers.
    extra_stations, extra_centres
        Replacement sites given by coordinates (WGS84 points with ``site_id``, ``name``),
        to be passed to :func:`planner.run.run_plan`; ``None`` when there are none.
    moves
        ``{(tier, old site_id): new site_id}``.
    replacements
        In ``keep`` mode, where each rejected site's replacement is sought
        (:mod:`planner.plan.replacements`).
    """

    scenario: Scenario
    extra_stations: gpd.GeoDataFrame | None
    extra_centres: gpd.GeoDataFrame | None
    moves: dict[tuple[str, str], str]
    replacements: tuple[Replacement, ...] = ()


def apply_review(
    scenario: Scenario,
    states: Mapping[tuple[str, str], SiteReview],
    previous: Plan | None = None,
    mode: str = "keep",
    candidates: Mapping[str, pd.DataFrame] | None = None,
) -> ReviewRun:
    """The run that honours the review.

    Parameters
    ----------
    scenario
        The scenario as saved.
    states
        :func:`replay` of the scenario's decisions.
    previous
        The reviewed plan; with ``mode="keep"`` its unreviewed sites stay.
    mode
        ``keep``: every site of ``previous`` not rejected or moved is required too, so
        the solver only fills the places the review emptied, each in the rejected
        site's township (stations) or county (centres) when it has room
        (:func:`planner.plan.replacements.fit_replacements`); ``reoptimise``: only
        approved, locked and moved-to sites are required.
    candidates
        The run's candidate sites per tier, to tell whether an area has room for its
        replacement (see :func:`run_reviewed`); without them every area is assumed to.

    Returns
    -------
    ReviewRun
        Approved and locked sites required, rejected ones excluded, moved ones
        excluded and their replacements required (points as extra candidates).
    """
    if mode not in RERUN_MODES:
        raise PlannerError("review.bad_action", action=mode, choices=", ".join(RERUN_MODES))
    # keyed by review tier: the tiers, the markets and each standalone kind
    required: dict[str, list[str]] = {tier: [] for tier in TIERS}
    excluded: dict[str, list[str]] = {tier: [] for tier in TIERS}
    extra: dict[str, list[dict]] = {tier: [] for tier in MOVE_TO_POINT}
    moves: dict[tuple[str, str], str] = {}
    for state in states.values():
        required.setdefault(state.tier, [])
        excluded.setdefault(state.tier, [])
        if state.status == "approved":  # locked sites are approved or moved
            required[state.tier].append(state.site_id)
        elif state.status == "rejected":
            excluded[state.tier].append(state.site_id)
        elif state.status == "moved" and state.move_to is not None:
            new_id = state.moved_id or state.move_to.new_site_id(state.site_id, state.version)
            excluded[state.tier].append(state.site_id)
            required[state.tier].append(new_id)
            moves[state.key] = new_id
            if not state.move_to.site_id and state.tier in extra:
                extra[state.tier].append(
                    {
                        "site_id": new_id,
                        "name": state.reason[:60],
                        "geometry": shapely.Point(state.move_to.lon, state.move_to.lat),
                    }
                )
    if mode == "keep" and previous is not None and not previous.sites.empty:
        open_sites = previous.sites
        if "action" in open_sites:  # closed existing sites serve nobody: not kept
            open_sites = open_sites[open_sites["action"].astype(str) != "close"]
        tiers = review_tiers(open_sites)
        for tier in dict.fromkeys([*TIERS, *tiers]):
            dropped = set(excluded.setdefault(tier, []))
            if tier in TIERS:  # as before: every site of the tier's rows
                kept = list(previous.sites.loc[previous.sites["tier"] == tier, "site_id"])
            else:
                kept = list(open_sites.loc[tiers == tier, "site_id"])
            required.setdefault(tier, []).extend(s for s in kept if s not in dropped)

    def tier_with(tier_cfg, tier: str):
        req = _unique([*tier_cfg.required_sites, *required[tier]])
        exc = set(excluded[tier])
        # the review is newer than the scenario: a reviewed exclusion wins over an old
        # requirement, a reviewed requirement over an old exclusion
        req = [s for s in req if s not in exc]
        exc_all = _unique([s for s in tier_cfg.excluded_sites if s not in set(req)] + [*exc])
        return replace(tier_cfg, required_sites=tuple(req), excluded_sites=tuple(exc_all))

    new = replace(
        scenario,
        stations=tier_with(scenario.stations, "station"),
        centres=tier_with(scenario.centres, "sorting_centre"),
    )
    new = with_markets_and_kinds(new, required, excluded)
    replacements: list[Replacement] = []
    if mode == "keep" and previous is not None and not previous.sites.empty:
        rejected = {tier: [] for tier in TIERS}
        for state in states.values():
            if state.status == "rejected" and state.tier in rejected:
                rejected[state.tier].append(state.site_id)
        moved = {tier: [old for (t, old) in moves if t == tier] for tier in TIERS}
        replacements = replacements_of(previous.sites, rejected)
        new, replacements = fit_replacements(new, previous.sites, replacements, moved, candidates)

    def frame(rows: list[dict]) -> gpd.GeoDataFrame | None:
        return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326") if rows else None

    # a market moved to a point stands on a new centre candidate there (its id without
    # the market's prefix), as markets stand on the centre candidates
    centres = extra["sorting_centre"] + [
        {**row, "site_id": candidate_id(row["site_id"])} for row in extra[MARKET]
    ]
    return ReviewRun(new, frame(extra["station"]), frame(centres), moves, tuple(replacements))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(str(x) for x in items))


# --- what changed --------------------------------------------------------------------------------

_KPI_KEYS = (
    "stations",
    "sorting_centres",
    "coverage_share",
    "uncovered_population",
    "mean_distance_m",
    "p95_distance_m",
    "max_distance_m",
    "max_centre_utilisation",
)


def kpi_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> pd.DataFrame:
    """City indicators of two plans side by side: ``indicator``, ``before``, ``after``,
    ``change`` (after − before; empty where either is unknown)."""
    rows = []
    for key in _KPI_KEYS:
        a, b = figure(old.get(key)), figure(new.get(key))
        change = b - a if a is not None and b is not None else None
        rows.append({"indicator": key, "before": a, "after": b, "change": change})
    return pd.DataFrame(rows)


def plan_diff(
    old: Plan, new: Plan, moves: Mapping[tuple[str, str], str] | None = None
) -> pd.DataFrame:
    """The sites that changed from ``old`` to ``new``.

    Parameters
    ----------
    old, new
        The previous plan and the new one.
    moves
        ``{(tier, old site_id): new site_id}`` from the review (:attr:`ReviewRun.moves`);
        a pair whose old site left and whose new site arrived is one ``moved`` row, not a
        removal and an addition.

    Returns
    -------
    DataFrame
        One row per change: ``tier`` (the review tier: a standalone kind's id for its
        sites), ``change`` (``added``, ``removed``, ``moved``),
        ``site_id``, ``name``, ``county_code``, ``township_code``, ``new_site_id`` and
        ``moved_m`` (for moves, metres on the ground), sorted by tier, change, site.
    """
    moves = dict(moves or {})
    rows = []
    old_tiers, new_tiers = review_tiers(old.sites), review_tiers(new.sites)
    for tier in dict.fromkeys([*TIERS, *old_tiers, *new_tiers]):
        a = old.sites[old_tiers == tier].set_index("site_id")
        b = new.sites[new_tiers == tier].set_index("site_id")
        gone, came = set(a.index) - set(b.index), set(b.index) - set(a.index)
        for (mtier, src), dst in moves.items():
            if mtier == tier and src in gone and dst in came:
                gone.discard(src)
                came.discard(dst)
                rows.append(_row(tier, "moved", src, a.loc[src], dst, _metres(a, src, b, dst)))
        rows += [_row(tier, "removed", s, a.loc[s]) for s in sorted(gone)]
        rows += [_row(tier, "added", s, b.loc[s]) for s in sorted(came)]
    columns = [
        "tier", "change", "site_id", "name", "county_code", "township_code",
        "new_site_id", "moved_m",
    ]  # fmt: skip
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["tier", "change", "site_id"], ignore_index=True)


def _row(tier, change, site_id, site, new_id=None, metres=None) -> dict:
    return {
        "tier": tier,
        "change": change,
        "site_id": site_id,
        "name": site.get("name", ""),
        "county_code": site.get("county_code"),
        "township_code": site.get("township_code"),
        "new_site_id": new_id,
        "moved_m": metres,
    }


def _metres(a: pd.DataFrame, src: str, b: pd.DataFrame, dst: str) -> float:
    from pyproj import Geod

    p, q = a.loc[src, "geometry"], b.loc[dst, "geometry"]
    _, _, dist = Geod(ellps="WGS84").inv(p.x, p.y, q.x, q.y)
    return round(float(dist), 1)


def site_table(plan: Plan, states: Mapping[tuple[str, str], SiteReview]) -> pd.DataFrame:
    """The plan's sites with their review state, for the review table.

    Returns
    -------
    DataFrame
        ``tier``, ``site_id``, ``name``, ``county_code``, ``township_code``,
        ``served_population``, ``lon``, ``lat``, ``status``, ``locked``, ``version``,
        ``reviewer``, ``reason``, ``at``, ``comments``, ``moved_id``; sites in plan order:
        stations, centres, markets and each standalone kind's (``tier`` is the review
        tier, :func:`review_tiers`).
    """
    sites = plan.sites
    out = pd.DataFrame(
        {
            "tier": review_tiers(sites),
            "site_id": sites["site_id"].astype(str).to_numpy(),
            "name": sites["name"].fillna("").astype(str).to_numpy(),
            "county_code": sites["county_code"].to_numpy(),
            "township_code": sites["township_code"].to_numpy(),
            "served_population": sites["served_population"].to_numpy(dtype=float)
            if "served_population" in sites
            else np.nan,
            "lon": sites.geometry.x.to_numpy(),
            "lat": sites.geometry.y.to_numpy(),
        }
    )
    blank = SiteReview("", "")
    fields = ("status", "locked", "version", "reviewer", "reason", "at", "comments", "moved_id")
    values = {f: [] for f in fields}
    for tier, sid in zip(out["tier"], out["site_id"], strict=True):
        state = states.get((tier, sid), blank)
        for f in fields:
            values[f].append(getattr(state, f))
    for f in fields:
        out[f] = values[f]
    return out


def run_reviewed(
    region: Region | str,
    scenario: Scenario,
    states: Mapping[tuple[str, str], SiteReview],
    previous: Plan | None = None,
    mode: str = "keep",
    progress=None,
) -> tuple[Plan, ReviewRun]:
    """Run the plan honouring the review (:func:`apply_review`, then
    :func:`planner.run.run_plan`).

    Returns
    -------
    tuple
        The new plan and the :class:`ReviewRun` it was computed from (for
        :func:`plan_diff`).
    """
    from planner.instance.build import build_instance
    from planner.run import run_plan

    reviewed = apply_review(scenario, states, previous, mode)
    inst = build_instance(
        region,
        reviewed.scenario,
        reviewed.extra_stations,
        reviewed.extra_centres,
        progress=progress,
    )
    if reviewed.replacements:  # now that the candidates are known: room in each area?
        candidates = {"station": inst.stations, "sorting_centre": inst.centres}
        reviewed = apply_review(scenario, states, previous, mode, candidates)
    plan = run_plan(inst.region, reviewed.scenario, progress=progress, instance=inst)
    return plan, reviewed


def review_summary(
    reviewed: ReviewRun,
    states: Mapping[tuple[str, str], SiteReview],
    mode: str,
    base: Scenario | None = None,
) -> dict[str, Any]:
    """What a re-run applied, for :meth:`planner.store.Store.save_plan` (``review=``);
    ``base`` is the saved scenario the review was applied to (kept as ``scenario``, so
    :func:`scenario_changed` can tell the review's site lists from a planner's edit)."""
    summary: dict[str, Any] = {
        "mode": mode,
        "versions": {f"{tier}/{site}": s.version for (tier, site), s in states.items()},
        "moves": [[tier, old, new] for (tier, old), new in reviewed.moves.items()],
    }
    if base is not None:
        summary["scenario"] = base.to_dict()
    if reviewed.replacements:
        summary["replacements"] = [r.to_dict() for r in reviewed.replacements]
    return summary


#: Scenario fields a review re-run fills from the decisions (see :func:`apply_review`).
_REVIEWED_LISTS = ("required_sites", "excluded_sites", "township_min", "county_min")


def scenario_changed(
    run_with: Scenario, review: Mapping[str, Any] | None, current: Scenario
) -> bool:
    """Whether the saved scenario ``current`` differs from the one a plan was run from.

    Parameters
    ----------
    run_with
        The scenario the plan was computed with (for a re-run honouring a review, with
        the review's required and excluded sites added).
    review
        The plan's :func:`review_summary`, for a re-run; ``None`` otherwise.
    current
        The scenario as saved now.

    Returns
    -------
    bool
        For a re-run, the comparison is with the saved scenario the review was applied
        to; re-runs stored before that was kept compare everything but the site lists
        and minimums a review fills.
    """
    if not review:
        return current.to_dict() != run_with.to_dict()
    if review.get("scenario") is not None:
        return current.to_dict() != dict(review["scenario"])

    def without_lists(scenario: Scenario) -> dict[str, Any]:
        data = scenario.to_dict()
        for tier in ("stations", "centres"):
            data[tier] = {k: v for k, v in data[tier].items() if k not in _REVIEWED_LISTS}
        return data

    return without_lists(current) != without_lists(run_with)


def moves_of(review: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """``{(tier, old): new}`` from a stored :func:`review_summary`."""
    return {(tier, old): new for tier, old, new in review.get("moves", [])}
