"""Where a re-run honouring a review looks for the sites that replace rejected ones.

In ``keep`` mode (:func:`planner.plan.review.apply_review`) every site of the reviewed
plan that was not rejected or moved stays, so the solver only fills the places the
review emptied. A planner expects a rejected station in 安阳街道 to be replaced in 安阳街道,
not wherever the city-wide objective gains most: each rejected station's township keeps
its number of stations (``stations.township_min``), and each rejected sorting centre's
county its number of centres (``centres.county_min``). When the township has too few
free candidates the replacement is sought in its county instead, and when the county
has too few, anywhere; :class:`Replacement` records which, so the page can say where
each replacement went.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from planner.scenario import Scenario

__all__ = ["SCOPES", "Replacement", "fit_replacements", "replacement_rows", "replacements_of"]

#: Where a replacement is sought, narrowest first.
SCOPES = ("township", "county", "anywhere")


@dataclass(frozen=True)
class Replacement:
    """Where the replacement of one rejected site is sought.

    Attributes
    ----------
    tier
        ``station`` or ``sorting_centre``.
    site_id
        The rejected site.
    scope
        ``township`` (stations only), ``county`` or ``anywhere`` (:data:`SCOPES`).
    code
        The township or county code of ``scope`` (empty for ``anywhere``).
    township_code, county_code
        Where the rejected site was.
    """

    tier: str
    site_id: str
    scope: str
    code: str
    township_code: str
    county_code: str

    def to_dict(self) -> dict[str, str]:
        return {
            "tier": self.tier,
            "site_id": self.site_id,
            "scope": self.scope,
            "code": self.code,
            "township_code": self.township_code,
            "county_code": self.county_code,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Replacement:
        return cls(**{k: str(data.get(k) or "") for k in cls.__dataclass_fields__})


def replacements_of(
    previous: pd.DataFrame, rejected: Mapping[str, Iterable[str]]
) -> list[Replacement]:
    """The narrowest area of each rejected site (its township for a station, its county
    for a sorting centre).

    Parameters
    ----------
    previous
        The reviewed plan's sites (``site_id``, ``tier``, ``township_code``,
        ``county_code``).
    rejected
        Site ids per tier that the review rejected.

    Returns
    -------
    list of Replacement
    """
    out: list[Replacement] = []
    for tier, ids in rejected.items():
        mine = previous[previous["tier"] == tier].set_index("site_id")
        for site_id in ids:
            if site_id not in mine.index:
                continue
            town = str(mine.at[site_id, "township_code"] or "")
            county = str(mine.at[site_id, "county_code"] or "")
            scope, code = ("township", town) if tier == "station" and town else ("county", county)
            if not code:
                scope = "anywhere"
            out.append(Replacement(tier, site_id, scope, code, town, county))
    return out


def _wanted(
    previous: pd.DataFrame, replacements: list[Replacement], moved: Mapping[str, Iterable[str]]
) -> dict[tuple[str, str, str], int]:
    """``{(tier, scope, code): sites the area keeps}``: the reviewed plan's sites there,
    less those moved elsewhere by the review (their target is required anyway)."""
    gone = {(tier, s) for tier, ids in moved.items() for s in ids}
    column = {"township": "township_code", "county": "county_code"}
    wanted: dict[tuple[str, str, str], int] = {}
    for r in replacements:
        if r.scope == "anywhere":
            continue
        mine = previous[previous["tier"] == r.tier]
        here = mine[mine[column[r.scope]].astype(str) == r.code]
        wanted[(r.tier, r.scope, r.code)] = sum(
            1 for s in here["site_id"].astype(str) if (r.tier, s) not in gone
        )
    return wanted


def fit_replacements(
    scenario: Scenario,
    previous: pd.DataFrame,
    replacements: list[Replacement],
    moved: Mapping[str, Iterable[str]],
    candidates: Mapping[str, pd.DataFrame] | None = None,
) -> tuple[Scenario, list[Replacement]]:
    """The scenario with each area of ``replacements`` keeping its number of sites.

    Parameters
    ----------
    scenario
        The scenario with the review's required and excluded sites.
    previous
        The reviewed plan's sites.
    replacements
        :func:`replacements_of`.
    moved
        Site ids per tier the review moved elsewhere.
    candidates
        ``{"station": ..., "sorting_centre": ...}`` candidate sites of the run
        (``site_id``, ``township_code``, ``county_code``); without them every area is
        assumed to have room.

    Returns
    -------
    tuple
        The scenario (``stations.township_min``, ``stations.county_min`` and
        ``centres.county_min`` raised where needed, never lowered) and the replacements
        with the scope each ended up with: an area with fewer free candidates than it
        must keep widens to the county, then to anywhere.
    """
    excluded = {
        "station": set(scenario.stations.excluded_sites),
        "sorting_centre": set(scenario.centres.excluded_sites),
    }
    column = {"township": "township_code", "county": "county_code"}

    def room(tier: str, scope: str, code: str) -> int | None:
        if candidates is None or tier not in candidates:
            return None
        frame = candidates[tier]
        free = frame[~frame["site_id"].astype(str).isin(excluded[tier])]
        return int((free[column[scope]].astype(str) == code).sum())

    fitted: list[Replacement] = []
    for r in replacements:
        current = r
        while current.scope != "anywhere":
            need = _wanted(previous, [current], moved).get(
                (current.tier, current.scope, current.code), 0
            )
            space = room(current.tier, current.scope, current.code)
            if space is None or need <= space:
                break
            wider = "county" if current.scope == "township" and r.county_code else "anywhere"
            current = replace(current, scope=wider, code=r.county_code if wider == "county" else "")
        fitted.append(current)
    wanted = _wanted(previous, fitted, moved)
    towns = dict(scenario.stations.township_min)
    st_counties = dict(scenario.stations.county_min)
    ct_counties = dict(scenario.centres.county_min)
    for (tier, scope, code), n in wanted.items():
        target = towns if scope == "township" else st_counties if tier == "station" else ct_counties
        target[code] = max(target.get(code, 0), n)
    stations = replace(scenario.stations, township_min=towns, county_min=st_counties)
    centres = replace(scenario.centres, county_min=ct_counties)
    return replace(scenario, stations=stations, centres=centres), fitted


def replacement_rows(
    replacements: Iterable[Replacement | Mapping[str, Any]],
    diff: pd.DataFrame,
    names: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Where each rejected site's replacement went.

    Parameters
    ----------
    replacements
        :class:`Replacement` objects or their dicts (as stored with the plan).
    diff
        :func:`planner.plan.review.plan_diff` of the reviewed plan and the re-run.
    names
        Township and county names by code.

    Returns
    -------
    list of dict
        Per rejected site: ``tier``, ``site_id``, ``scope`` (where it was sought),
        ``area`` (that area's name), ``added`` (the new sites in that area, ids) and
        ``where`` (their townships' names).
    """
    added = diff[diff["change"] == "added"]
    column = {"township": "township_code", "county": "county_code"}
    used: Counter[str] = Counter()
    rows = []
    for item in replacements:
        r = item if isinstance(item, Replacement) else Replacement.from_dict(item)
        mine = added[added["tier"] == r.tier]
        if r.scope != "anywhere":
            mine = mine[mine[column[r.scope]].astype(str) == r.code]
        new = [s for s in mine["site_id"].astype(str) if not used[s]]
        if new:
            used[new[0]] += 1
        where = mine.set_index("site_id")["township_code"] if len(mine) else pd.Series(dtype=str)
        rows.append(
            {
                "tier": r.tier,
                "site_id": r.site_id,
                "scope": r.scope,
                "area": names.get(r.code, r.code),
                "added": new[:1],
                "where": [names.get(str(where.get(s, "")), "") for s in new[:1]],
            }
        )
    return rows
