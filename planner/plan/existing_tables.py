"""The existing network as the scenario page shows it: each existing site with the action
the compliance check gives it and why, the counts per action, and the audit trail of
the planners' overrides.

Actions and reason codes (:mod:`planner.instance.compliance`) are shown in words
through :data:`ACTION_LABEL` and :data:`REASON_LABEL`; headers and values are in the
planner's language, numbers written by :mod:`planner.format`. Nothing here draws; the
scenario page shows the tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from planner import format as fmt
from planner.accounts.roles import who
from planner.data.regions import Region
from planner.i18n import t, value_label
from planner.plan.actions import ACTION_LABEL, ACTION_ORDER, REASON_LABEL
from planner.plan.tables import TIER_LABEL
from planner.scenario.overrides import REVERT

__all__ = [
    "ACTION_LABEL",
    "OVERRIDE_LABEL",
    "REASON_LABEL",
    "action_counts",
    "existing_ids",
    "inventory_rows",
    "override_rows",
]

#: The new action of an override, in words (an override taken back included).
OVERRIDE_LABEL: dict[str, str] = {**ACTION_LABEL, REVERT: "ui.existing.revert"}


def _text(sites: pd.DataFrame, column: str) -> list[str]:
    if column not in sites:
        return [""] * len(sites)
    return ["" if pd.isna(v) else str(v) for v in sites[column]]


def _site_counties(region: Region, sites: gpd.GeoDataFrame) -> list[str]:
    """The county name of each site, found by location ("" outside every county)."""
    names = dict(zip(region.counties["code"].astype(str), region.counties["name"], strict=True))
    if not len(sites) or "geometry" not in sites:
        return [""] * len(sites)
    points = gpd.GeoDataFrame(geometry=sites.geometry.to_numpy(), crs=sites.crs).to_crs(4326)
    points["_row"] = np.arange(len(points))
    joined = gpd.sjoin(
        points, region.counties[["code", "geometry"]].to_crs(4326), how="left", predicate="within"
    ).drop_duplicates("_row")
    codes = joined.sort_values("_row")["code"].tolist()
    return [names.get(str(c), "") if not pd.isna(c) else "" for c in codes]


def existing_ids(sites: pd.DataFrame, classified: pd.DataFrame) -> list[str]:
    """Ids of the existing sites (not the candidates a planner offers), inventory order."""
    mask = classified["action"].to_numpy() != "new"
    return sites["site_id"].astype(str)[mask].tolist()


def _reasons(codes: str, lang: str) -> str:
    return fmt.clauses((value_label(REASON_LABEL, c, lang) for c in codes.split(";") if c), lang)


def inventory_rows(
    region: Region,
    sites: gpd.GeoDataFrame,
    classified: pd.DataFrame,
    reasons: Mapping[str, str],
    lang: str,
) -> pd.DataFrame:
    """The inventory with each site's action and reasons in words.

    ``classified`` is :func:`planner.instance.compliance.classify_sites` of ``sites``;
    ``reasons`` the planner's reasons for overrides (``existing.reasons``).
    """
    ids = sites["site_id"].astype(str).tolist()
    area = (
        pd.to_numeric(sites["floor_area_m2"], errors="coerce") if "floor_area_m2" in sites else None
    )
    return pd.DataFrame(
        {
            t("ui.rev.col.site", lang): ids,
            t("term.name", lang): _text(sites, "name"),
            t("term.tier", lang): [value_label(TIER_LABEL, v, lang) for v in sites["tier"]],
            t("term.county", lang): _site_counties(region, sites),
            t("ui.existing.col.floor_area", lang): (
                [fmt.number(v, 1) for v in area] if area is not None else [fmt.MISSING] * len(ids)
            ),
            t("ui.existing.col.min_floor_area", lang): [
                fmt.number(v, 1) for v in classified["min_floor_area_m2"]
            ],
            t("ui.existing.col.action", lang): [
                value_label(ACTION_LABEL, v, lang) for v in classified["action"]
            ],
            t("ui.existing.col.reasons", lang): [_reasons(v, lang) for v in classified["reasons"]],
            t("ui.existing.col.override_reason", lang): [reasons.get(i, "") for i in ids],
        }
    )


def action_counts(sites: pd.DataFrame, classified: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Existing sites per tier and action (and the offered candidates, as new)."""
    tiers = sites["tier"].astype(str).to_numpy()
    actions = classified["action"].to_numpy()
    shown = [a for a in ACTION_ORDER if a != "new" or (actions == "new").any()]
    rows = {t("term.tier", lang): [value_label(TIER_LABEL, tier, lang) for tier in TIER_LABEL]}
    for action in shown:
        rows[value_label(ACTION_LABEL, action, lang)] = [
            int(((tiers == tier) & (actions == action)).sum()) for tier in TIER_LABEL
        ]
    return pd.DataFrame(rows)


def override_rows(
    records: Sequence,
    names: Mapping[str, str],
    lang: str,
    when: Callable[[str], str] = str,
) -> pd.DataFrame:
    """The overrides (:class:`planner.store.OverrideRecord`) as the audit trail lists
    them, newest first."""
    frame = pd.DataFrame(
        {
            t("ui.rev.col.at", lang): [when(r.created_at) for r in records],
            t("ui.rev.reviewer", lang): [r.author for r in records],
            t("term.tier", lang): [value_label(TIER_LABEL, r.tier, lang) for r in records],
            t("ui.rev.col.site", lang): [r.site_id for r in records],
            t("term.name", lang): [names.get(r.site_id, "") for r in records],
            t("ui.existing.col.old_action", lang): [
                value_label(ACTION_LABEL, r.old_action, lang) for r in records
            ],
            t("ui.existing.col.new_action", lang): [
                value_label(OVERRIDE_LABEL, r.new_action, lang) for r in records
            ],
            t("ui.rev.col.reason", lang): [r.reason for r in records],
            t("auth.ui.col.user", lang): [
                who(getattr(r, "user_name", "") or r.author, getattr(r, "user_role", ""), lang)
                for r in records
            ],
            "#": [r.version for r in records],
        }
    )
    return frame.iloc[::-1].reset_index(drop=True)
