"""The review of a plan as the review page shows it: the filtered site table, move
targets near a site, the audit trail, and what changed against the reviewed plan.

Headers and values are in the planner's language, numbers written by
:mod:`planner.format`; the review itself (decisions, states, the re-run) is
:mod:`planner.plan.review`. Nothing here draws; the page
(:mod:`planner.ui.pages.review`) shows the tables.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from planner import format as fmt
from planner.accounts.roles import who
from planner.data.crs import bd09_to_wgs84, gcj02_to_wgs84
from planner.data.regions import Region
from planner.i18n import PlannerError, t, value_label
from planner.plan.replacements import replacement_rows
from planner.plan.review import (
    REVIEW_ACTION_LABEL,
    REVIEW_CHANGE_LABEL,
    REVIEW_STATUS_LABEL,
    Decision,
    MoveTarget,
)
from planner.plan.tables import KPI_LABEL, TIER_LABEL, kpi_kind

__all__ = [
    "LOCKED",
    "NEARBY_M",
    "POINT_SYSTEMS",
    "audit_rows",
    "change_rows",
    "filter_sites",
    "indicator_rows",
    "move_target_of",
    "move_target_text",
    "nearby_targets",
    "nearest_free",
    "point_in_wgs84",
    "region_names",
    "replacement_lines",
    "site_rows",
    "status_text",
    "tier_text",
    "typed_point",
]

#: The status filter's extra choice: locked sites, whatever their status.
LOCKED = "locked"
#: Metres per degree of latitude, near enough for ranking nearby candidates.
_M_PER_DEG_LAT = 110_540.0
#: Metres per degree of longitude at the equator.
_M_PER_DEG_LON = 111_320.0


def _same(text: str) -> str:
    return text


def region_names(region: Region) -> tuple[dict, dict]:
    """County and township names by code."""
    counties = dict(zip(region.counties["code"], region.counties["name"], strict=True))
    towns = dict(zip(region.townships["code"], region.townships["name"], strict=True))
    return counties, towns


def filter_sites(
    table: pd.DataFrame,
    tiers: Collection[str] = (),
    counties: Collection[str] = (),
    towns: Collection[str] = (),
    statuses: Collection[str] = (),
) -> pd.DataFrame:
    """The rows of the site table (:func:`planner.plan.review.site_table`) in the chosen
    tiers, counties, townships and statuses; an empty choice keeps every row.
    :data:`LOCKED` among ``statuses`` keeps locked sites too."""
    out = table
    if tiers:
        out = out[out["tier"].isin(tiers)]
    if counties:
        out = out[out["county_code"].isin(counties)]
    if towns:
        out = out[out["township_code"].isin(towns)]
    if statuses:
        keep = out["status"].isin(statuses)
        if LOCKED in statuses:
            keep |= out["locked"].astype(bool)
        out = out[keep]
    return out


def tier_text(tier: str, lang: str, kinds: Mapping[str, str] | None = None) -> str:
    """A review tier in words: the tier's name, or a standalone kind's name from
    ``kinds`` (``{kind_id: name}``, e.g. :func:`planner.plan.kinds.kind_name`)."""
    return (kinds or {}).get(tier) or value_label(TIER_LABEL, tier, lang)


def site_rows(
    table: pd.DataFrame,
    counties: Mapping,
    towns: Mapping,
    lang: str,
    when: Callable[[str], str] = _same,
    kinds: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The site table as shown: names for codes, statuses in words; ``when`` writes the
    time of the last decision; ``kinds`` names the standalone kinds' review tiers."""
    return pd.DataFrame(
        {
            t("term.tier", lang): [tier_text(x, lang, kinds) for x in table["tier"]],
            t("ui.rev.col.site", lang): table["site_id"].astype(str),
            t("term.name", lang): table["name"],
            t("term.county", lang): [counties.get(x, x) for x in table["county_code"]],
            t("term.township", lang): [towns.get(x, x) for x in table["township_code"]],
            t("ui.rev.col.population", lang): table["served_population"].round(0),
            t("ui.rev.col.status", lang): [
                status_text(s, bool(locked), lang)
                for s, locked in zip(table["status"], table["locked"], strict=True)
            ],
            t("ui.rev.col.locked", lang): table["locked"].astype(bool),
            t("ui.rev.reviewer", lang): table["reviewer"],
            t("ui.rev.col.at", lang): [when(x) if x else "" for x in table["at"]],
            t("ui.rev.col.reason", lang): table["reason"],
        }
    )


def status_text(status: str, locked: bool, lang: str) -> str:
    """A site's review status in words, with its lock: "已批准（已锁定）"."""
    text = value_label(REVIEW_STATUS_LABEL, status, lang)
    return t("review.status.with_lock", lang, status=text) if locked else text


def nearest_free(
    candidates: pd.DataFrame, lon: float, lat: float, used: Collection[str], count: int
) -> pd.DataFrame:
    """The ``count`` candidates nearest to (``lon``, ``lat``) whose ``site_id`` is not
    ``used``, nearest first, with their distance in ``metres`` (an equirectangular
    approximation, enough to rank nearby sites)."""
    free = candidates[~candidates["site_id"].astype(str).isin(used)]
    kx = _M_PER_DEG_LON * math.cos(math.radians(lat))
    dist = np.hypot((free.geometry.x - lon) * kx, (free.geometry.y - lat) * _M_PER_DEG_LAT)
    return free.assign(metres=dist.to_numpy()).nsmallest(count, "metres")


def move_target_text(target: MoveTarget | None) -> str:
    """Where a site was moved: the candidate's id or the coordinates."""
    if target is None:
        return ""
    if target.site_id:
        return target.site_id
    return f"{target.lon:.6f}, {target.lat:.6f}"


def audit_rows(
    decisions: Sequence[Decision],
    names: Mapping[str, str],
    lang: str,
    when: Callable[[str], str] = _same,
    kinds: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Decisions as the audit trail lists them, newest first (``kinds`` as in
    :func:`site_rows`)."""
    frame = pd.DataFrame(
        {
            t("ui.rev.col.at", lang): [when(d.created_at) for d in decisions],
            t("ui.rev.reviewer", lang): [d.reviewer for d in decisions],
            t("term.tier", lang): [tier_text(d.tier, lang, kinds) for d in decisions],
            t("ui.rev.col.site", lang): [d.site_id for d in decisions],
            t("term.name", lang): [names.get(d.site_id, "") for d in decisions],
            t("ui.rev.action", lang): [
                value_label(REVIEW_ACTION_LABEL, d.action, lang) for d in decisions
            ],
            t("ui.rev.col.reason", lang): [d.reason for d in decisions],
            t("ui.rev.col.target", lang): [move_target_text(d.move_to) for d in decisions],
            t("auth.ui.col.user", lang): [
                who(d.user_name or d.reviewer, d.user_role, lang) for d in decisions
            ],
            "#": [d.version for d in decisions],
        }
    )
    return frame.iloc[::-1]


def change_rows(
    diff: pd.DataFrame,
    counties: Mapping,
    towns: Mapping,
    lang: str,
    kinds: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The sites that changed (:func:`planner.plan.review.plan_diff`) as shown
    (``kinds`` as in :func:`site_rows`)."""
    return pd.DataFrame(
        {
            t("ui.rev.col.delta", lang): [
                value_label(REVIEW_CHANGE_LABEL, c, lang) for c in diff["change"]
            ],
            t("term.tier", lang): [tier_text(x, lang, kinds) for x in diff["tier"]],
            t("ui.rev.col.site", lang): diff["site_id"],
            t("term.name", lang): diff["name"],
            t("term.county", lang): [counties.get(x, x) for x in diff["county_code"]],
            t("term.township", lang): [towns.get(x, x) for x in diff["township_code"]],
            t("ui.rev.col.new_site", lang): diff["new_site_id"].fillna(""),
            t("ui.rev.col.moved_m", lang): [fmt.count(m, missing="") for m in diff["moved_m"]],
        }
    )


def indicator_rows(kpis: pd.DataFrame, lang: str) -> pd.DataFrame:
    """City indicators before and after (:func:`planner.plan.review.kpi_diff`) as shown."""
    keys = list(kpis["indicator"])
    kinds = [kpi_kind(k) for k in keys]

    def column(values: Any, write: Callable[..., str]) -> list[str]:
        return [write(v, kind, lang) for v, kind in zip(values, kinds, strict=True)]

    return pd.DataFrame(
        {
            t("term.indicator", lang): [value_label(KPI_LABEL, k, lang) for k in keys],
            t("ui.rev.col.before", lang): column(kpis["before"], fmt.kind),
            t("ui.rev.col.after", lang): column(kpis["after"], fmt.kind),
            t("ui.rev.col.delta", lang): column(kpis["change"], fmt.diff),
        }
    )


#: How each scope of a replacement is said (:data:`planner.plan.replacements.SCOPES`).
_SCOPE_TEXT = {
    "township": "ui.rev.replaced.township",
    "county": "ui.rev.replaced.county",
    "anywhere": "ui.rev.replaced.anywhere",
}


def replacement_lines(
    replacements: Sequence[Mapping[str, Any]],
    diff: pd.DataFrame,
    counties: Mapping[str, str],
    towns: Mapping[str, str],
    names: Mapping[str, str],
    lang: str,
) -> list[str]:
    """One sentence per rejected site of a keep-mode re-run: where its replacement was
    sought and where it went (:func:`planner.plan.replacements.replacement_rows`);
    ``names``: site names by id."""
    rows = replacement_rows(replacements, diff, {**counties, **towns})
    lines = []
    for r in rows:
        site = f"{names.get(r['site_id']) or ''} {r['site_id']}".strip()
        if r["added"]:
            new = r["added"][0]
            where = r["where"][0] or t("ui.rev.replaced.unknown_township", lang)
            went = t("ui.rev.replaced.to", lang, new=new, township=where)
        else:
            went = t("ui.rev.replaced.none", lang)
        scope = t(_SCOPE_TEXT[r["scope"]], lang, area=r["area"])
        lines.append(t("ui.rev.replaced.line", lang, site=site, scope=scope, went=went))
    return lines


#: Nearby move targets: how far from the site they reach, and the spacing of the
#: points offered between the candidates (a planner shifts a site by a street or two).
NEARBY_M = 1000.0
NEARBY_STEP_M = 250.0
#: Compass words for the nearby points, clockwise from north in 45° steps.
_BEARINGS = (
    "ui.rev.bearing.n",
    "ui.rev.bearing.ne",
    "ui.rev.bearing.e",
    "ui.rev.bearing.se",
    "ui.rev.bearing.s",
    "ui.rev.bearing.sw",
    "ui.rev.bearing.w",
    "ui.rev.bearing.nw",
)


def nearby_targets(
    candidates: pd.DataFrame,
    lon: float,
    lat: float,
    used: Collection[str],
    lang: str,
    reach_m: float = NEARBY_M,
    step_m: float = NEARBY_STEP_M,
    nearest: int = 15,
) -> dict[str, str]:
    """Where a site can be moved nearby: the free candidates within ``reach_m`` (and the
    ``nearest`` free ones wherever they are), and points every ``step_m`` around the
    site in the eight compass directions, nearest first.

    Returns
    -------
    dict
        ``{key: label}``: a candidate's ``site_id``, or ``"pt:lon,lat"`` (WGS84, six
        decimals) for a point (:func:`move_target_of`), with labels such as
        "五马回收站（330302001001，320 米）" / "向东 250 米".
    """
    free = nearest_free(candidates, lon, lat, used, len(candidates))
    rank = np.arange(len(free))
    free = free[(free["metres"].to_numpy() <= reach_m) | (rank < nearest)]
    options = [
        (
            float(r.metres),
            str(r.site_id),
            t("ui.rev.move.option", lang, name=r.name or "—", site=r.site_id,
              metres=fmt.count(r.metres)),
        )
        for r in free.itertuples()
    ]  # fmt: skip
    kx = _M_PER_DEG_LON * math.cos(math.radians(lat))
    steps = int(reach_m // step_m)
    for i in range(1, steps + 1):
        metres = i * step_m
        for k, bearing in enumerate(_BEARINGS):
            angle = math.radians(45 * k)  # clockwise from north
            dx, dy = metres * math.sin(angle), metres * math.cos(angle)
            point = f"pt:{lon + dx / kx:.6f},{lat + dy / _M_PER_DEG_LAT:.6f}"
            label = t("ui.rev.move.nearby_point", lang,
                      direction=t(bearing, lang), metres=fmt.count(metres))  # fmt: skip
            options.append((metres, point, label))
    options.sort(key=lambda o: o[0])
    return {key: label for _, key, label in options}


def move_target_of(key: str) -> MoveTarget:
    """The :class:`MoveTarget` of a :func:`nearby_targets` key."""
    if key.startswith("pt:"):
        lon, lat = (float(x) for x in key[3:].split(","))
        return MoveTarget(lon=lon, lat=lat)
    return MoveTarget(site_id=key)


#: Coordinate systems a reviewer may type a point in: what GPS and OSM give, what Amap
#: (高德) and Tencent maps show, what Baidu maps shows.
POINT_SYSTEMS = ("wgs84", "gcj02", "bd09")


def typed_point(text: str) -> tuple[float, float]:
    """Longitude and latitude from coordinates as pasted from a web map:
    ``120.699367,27.994267``, ``120.699367, 27.994267`` or with a space or ``，``.

    Raises
    ------
    PlannerError
        ``review.unreadable_coordinates`` when it is not two numbers.
    """
    parts = [p for p in text.replace("，", ",").replace(" ", ",").split(",") if p]
    try:
        lon, lat = (float(p) for p in parts)
    except ValueError:
        raise PlannerError("review.unreadable_coordinates", text=text[:60]) from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise PlannerError("review.unreadable_coordinates", text=text[:60])
    return lon, lat


def point_in_wgs84(lon: float, lat: float, system: str) -> tuple[float, float]:
    """A typed point in WGS84 (the plan's system) from ``system`` (:data:`POINT_SYSTEMS`)."""
    if system == "gcj02":
        x, y = gcj02_to_wgs84(lon, lat)
    elif system == "bd09":
        x, y = bd09_to_wgs84(lon, lat)
    else:
        return float(lon), float(lat)
    return float(np.asarray(x).item()), float(np.asarray(y).item())
