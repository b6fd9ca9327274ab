"""Two plans compared as a planner reads them: per county, and site by site.

The compare page's indicator table (:func:`planner.plan.tables.compare_table`) says how
much better or worse a variant is for the city; this module says *where*: the counties
whose stations, coverage or distances changed, and the sites added, removed or moved
between a baseline plan and a variant.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from planner import format as fmt
from planner.data.crs import local_metric_crs
from planner.i18n import t
from planner.plan import Plan
from planner.plan.review import plan_diff

__all__ = ["MOVE_M", "county_changes", "county_rows", "site_changes"]

#: A site removed and a site added in the same tier and township within this distance
#: count as one site moved (a planner shifting a station by a street, not a new one).
MOVE_M = 1000.0

#: County indicators compared: (column of :func:`planner.plan.kpi.area_kpis`, label key,
#: kind of figure for :func:`planner.format.kind`).
COUNTY_FIGURES: tuple[tuple[str, str, fmt.Kind], ...] = (
    ("stations", "term.recycling_stations", "count"),
    ("sorting_centres", "tier.sorting_centre", "count"),
    ("coverage_share", "term.population_within_radius", "share"),
    ("village_coverage_share", "term.village_coverage", "share"),
    ("mean_distance_m", "ui.kpi.mean_distance_m", "metres"),
    ("p95_distance_m", "ui.kpi.p95_distance_m", "metres"),
)


def county_changes(base: Plan, other: Plan) -> pd.DataFrame:
    """Per county, each of :data:`COUNTY_FIGURES` in ``base`` and ``other`` and the
    difference (other − base).

    Returns
    -------
    DataFrame
        ``county_code`` and for each figure ``<figure>_base``, ``<figure>_other``,
        ``<figure>_change``; one row per county of either plan, in code order.
    """
    a = base.county_kpis.set_index("county_code")
    b = other.county_kpis.set_index("county_code")
    codes = sorted(set(a.index) | set(b.index), key=str)
    out = pd.DataFrame({"county_code": codes})
    for key, _, _ in COUNTY_FIGURES:
        before = a[key].reindex(codes) if key in a else pd.Series(np.nan, index=codes)
        after = b[key].reindex(codes) if key in b else pd.Series(np.nan, index=codes)
        out[f"{key}_base"] = before.to_numpy(dtype=float)
        out[f"{key}_other"] = after.to_numpy(dtype=float)
        out[f"{key}_change"] = out[f"{key}_other"] - out[f"{key}_base"]
    return out


def county_rows(
    changes: pd.DataFrame, names: Mapping[str, str], lang: str, changed_only: bool = False
) -> pd.DataFrame:
    """:func:`county_changes` as shown: "A → B (Δ)" per figure, counties by name;
    ``changed_only`` keeps the counties where anything changed."""
    rows = []
    for rec in changes.to_dict("records"):
        moved = any(
            np.isfinite(rec[f"{k}_change"]) and abs(rec[f"{k}_change"]) > 1e-9
            for k, _, _ in COUNTY_FIGURES
        )
        if changed_only and not moved:
            continue
        row = {t("term.county", lang): names.get(rec["county_code"], rec["county_code"])}
        for key, label, kind in COUNTY_FIGURES:
            before = fmt.kind(rec[f"{key}_base"], kind, lang)
            after = fmt.kind(rec[f"{key}_other"], kind, lang)
            change = fmt.diff(rec[f"{key}_change"], kind, lang)
            row[t(label, lang)] = f"{before} → {after} ({change})"
        rows.append(row)
    return pd.DataFrame(rows)


def _moves(base: Plan, other: Plan, within_m: float) -> dict[tuple[str, str], str]:
    """Removed and added sites of one tier and township paired into moves, nearest
    pairs first, each site used once."""
    metric = local_metric_crs(base.sites.total_bounds)
    moves: dict[tuple[str, str], str] = {}
    for tier in ("station", "sorting_centre"):
        a = base.sites[base.sites["tier"] == tier]
        b = other.sites[other.sites["tier"] == tier]
        gone = a[~a["site_id"].isin(b["site_id"])]
        came = b[~b["site_id"].isin(a["site_id"])]
        if gone.empty or came.empty:
            continue
        ga, gb = gone.to_crs(metric), came.to_crs(metric)
        tree = cKDTree(np.column_stack([gb.geometry.x, gb.geometry.y]))
        pairs = tree.query_ball_point(np.column_stack([ga.geometry.x, ga.geometry.y]), within_m)
        candidates = []
        for i, near in enumerate(pairs):
            for j in near:
                if str(gone["township_code"].iloc[i]) == str(came["township_code"].iloc[j]):
                    d = ga.geometry.iloc[i].distance(gb.geometry.iloc[j])
                    candidates.append((d, i, j))
        used_a: set[int] = set()
        used_b: set[int] = set()
        for _, i, j in sorted(candidates):
            if i not in used_a and j not in used_b:
                used_a.add(i)
                used_b.add(j)
                moves[(tier, str(gone["site_id"].iloc[i]))] = str(came["site_id"].iloc[j])
    return moves


def site_changes(base: Plan, other: Plan, within_m: float = MOVE_M) -> pd.DataFrame:
    """The sites added, removed and moved from ``base`` to ``other``.

    A site of ``base`` missing from ``other`` and a new site of ``other`` in the same
    tier and township within ``within_m`` are one move; the rest are removed / added.

    Returns
    -------
    DataFrame
        As :func:`planner.plan.review.plan_diff`.
    """
    return plan_diff(base, other, _moves(base, other, within_m))
