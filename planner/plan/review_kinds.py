"""The site review's markets and standalone kinds: their review tiers and what a
re-run honouring the review does with their decisions.

A site's review key is ``(review tier, site_id)``. For stations, centres and markets the
review tier is the site's ``tier``; for a standalone kind's site it is the kind's id,
because two kinds may choose the same candidate (a 村/社区 point, ``poi:<id>``) and
``tier = "standalone"`` would not tell their sites apart. Market ids are unique already
(``m`` + the centre candidate's id). A re-run (:func:`planner.plan.review.apply_review`)
puts the decisions into ``markets.required_sites`` / ``excluded_sites`` (candidate ids)
and into each planned kind's entry (:class:`~planner.scenario.kind_list.PlannedKind`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from planner.i18n import PlannerError
from planner.scenario import Scenario

__all__ = [
    "MARKET",
    "MARKET_PREFIX",
    "MOVE_TO_POINT",
    "REVIEW_TIERS",
    "candidate_id",
    "review_tiers",
    "reviewable",
    "with_markets_and_kinds",
]

#: The station and sorting-centre tiers (as :data:`planner.plan.review.TIERS`).
REVIEW_TIERS = ("station", "sorting_centre")

#: The market tier's review tier (its sites' ``tier``).
MARKET = "market"
#: Prefix of a market's ``site_id`` before its candidate's id: the run stage's
#: ``planner.run.markets.MARKET_PREFIX`` (the plan stage does not import the run stage).
MARKET_PREFIX = "m"
#: Review tiers whose sites may move to a point (a new candidate there).
MOVE_TO_POINT = (*REVIEW_TIERS, MARKET)


def reviewable() -> set[str]:
    """Review tiers a decision may name: the tiers, the markets, every standalone kind
    of the catalogue (a broken kind file leaves the kinds out, not the review)."""
    from planner.data.kinds import load_kinds

    try:
        kinds = {k for k, v in load_kinds().items() if v.tier == "standalone"}
    except PlannerError:
        kinds = set()
    return {*REVIEW_TIERS, MARKET, *kinds}


def review_tiers(sites: pd.DataFrame) -> np.ndarray:
    """Each site's review tier: its ``tier``, or its ``kind`` for a standalone kind's
    site (see the module docstring)."""
    tier = sites["tier"].astype(str).to_numpy(dtype=object)
    if "kind" not in sites:
        return tier
    kind = sites["kind"].to_numpy(dtype=object)
    return np.where(tier == "standalone", kind, tier)


def candidate_id(market_id: str) -> str:
    """The centre candidate's id of a market's ``site_id``."""
    return market_id.removeprefix(MARKET_PREFIX)


def with_markets_and_kinds(
    scenario: Scenario, required: Mapping[str, list[str]], excluded: Mapping[str, list[str]]
) -> Scenario:
    """The review's market and kind sites in the scenario's market tier (candidate ids)
    and each planned kind's entry; tiers and kinds the scenario no longer plans are
    left alone."""
    new = scenario
    if scenario.markets.count > 0 and (required.get(MARKET) or excluded.get(MARKET)):
        markets = _lists_with(
            scenario.markets,
            [candidate_id(x) for x in required.get(MARKET, [])],
            [candidate_id(x) for x in excluded.get(MARKET, [])],
        )
        new = replace(new, markets=markets)
    entries = []
    for entry in scenario.kinds:
        req, exc = required.get(entry.kind, []), excluded.get(entry.kind, [])
        entries.append(_lists_with(entry, req, exc) if req or exc else entry)
    return replace(new, kinds=tuple(entries))


def _lists_with(section: Any, required: list[str], excluded: list[str]) -> Any:
    """``section`` (a market tier or a kind entry) with the review's site lists: the
    review is newer than the scenario, so a reviewed exclusion wins over an old
    requirement and a reviewed requirement over an old exclusion."""
    exc = set(excluded)
    req = [s for s in _unique([*section.required_sites, *required]) if s not in exc]
    kept = set(req)
    exc_all = _unique([s for s in section.excluded_sites if s not in kept] + list(excluded))
    return replace(section, required_sites=tuple(req), excluded_sites=tuple(exc_all))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(str(x) for x in items))
