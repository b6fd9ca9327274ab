"""Siting rules on candidate sites, with the reason for every candidate left out.

A facility kind (:mod:`planner.data.kinds`) lists zone rules: **forbidden** zones (no
site inside a zone of the named categories nor within its buffer, e.g. a scrap-vehicle
dismantler not within 500 m of a drinking-water protection area) and **allowed** zones
(sites only inside, or within the buffer of, a zone of the named categories).
:func:`apply_siting_rules` keeps the candidates every rule allows and explains each one
it leaves out: the rule, its source, the zone, the buffer and the actual distance.

Distances are measured in the region's metric CRS (``Region.metric_crs``); the zones
near each candidate are found with a spatial index (shapely ``STRtree``), so the work
grows with the pairs that matter, not with candidates × zones.

An allowed-zone rule whose categories the region has no zones of cannot be checked: it
keeps every candidate and is listed in :attr:`SitingResult.unchecked`, so the planner
sees that the rule was not applied rather than losing every candidate.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.data.kinds import FacilityKind, SitingRule, load_categories
from planner.format import number
from planner.i18n import DEFAULT_LANGUAGE, t

__all__ = ["EXCLUSION_COLUMNS", "SitingResult", "apply_siting_rules", "exclusion_reason"]

EXCLUSION_COLUMNS = [
    "site_id", "rule_index", "rule", "zone_category", "zone_name", "buffer_m", "distance_m",
    "source", "planner_set",
]  # fmt: skip


@dataclass(frozen=True)
class SitingResult:
    """Candidates after a kind's siting rules.

    Attributes
    ----------
    kept
        The candidates every rule allows (rows and columns of the input).
    excluded
        One row per candidate and rule it breaks (:data:`EXCLUSION_COLUMNS`): a candidate
        breaking two rules has two rows. ``distance_m`` is the distance to the nearest
        zone concerned (0 inside it); ``rule_index`` counts the kind's rules from 1.
    unchecked
        Allowed-zone rules not applied because the region has no zone of their categories.
    """

    kept: gpd.GeoDataFrame
    excluded: pd.DataFrame
    unchecked: tuple[SitingRule, ...] = ()

    def table(self, lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
        """The excluded candidates with a ``reason`` in ``lang``."""
        out = self.excluded.copy()
        out["reason"] = [exclusion_reason(row, lang) for row in out.itertuples(index=False)]
        return out


def exclusion_reason(row, lang: str = DEFAULT_LANGUAGE) -> str:
    """Why a candidate is left out, in ``lang`` (a row of :attr:`SitingResult.excluded`).

    ``"距饮用水水源保护区“东溪水库” 499 米，在 500 米以内"`` /
    ``"499 m from the drinking-water protection area “东溪水库”, within 500 m"``.
    """
    categories = load_categories()
    distance = number(float(row.distance_m))
    if row.rule == "allowed":
        names = [categories.name("zones", c).message(lang) for c in row.zone_category.split("|")]
        zones = ("、" if lang == "zh" else " or ").join(names)
        if row.buffer_m > 0:
            return t(
                "siting.outside_allowed_buffer",
                lang,
                zones=zones,
                buffer=number(float(row.buffer_m)),
                distance=distance,
            )
        return t("siting.outside_allowed", lang, zones=zones, distance=distance)
    zone = categories.name("zones", row.zone_category)
    if row.distance_m <= 0:
        return t("siting.inside", lang, zone=zone, name=row.zone_name)
    return t(
        "siting.within_buffer",
        lang,
        zone=zone,
        name=row.zone_name,
        distance=distance,
        buffer=number(float(row.buffer_m)),
    )


def _nearest_within(
    points: np.ndarray, zones: np.ndarray, buffer_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each point with a zone within ``buffer_m``: the point, its nearest such zone
    and the distance (all metric). Pairs come from the index, distances only for them."""
    tree = shapely.STRtree(zones)
    pairs = tree.query(points, predicate="dwithin", distance=buffer_m)
    if pairs.shape[1] == 0:
        empty = np.array([], dtype=int)
        return empty, empty, np.array([], dtype=float)
    distance = shapely.distance(points[pairs[0]], zones[pairs[1]])
    frame = pd.DataFrame({"point": pairs[0], "zone": pairs[1], "d": distance})
    nearest = frame.sort_values(["point", "d", "zone"]).drop_duplicates("point")
    return nearest["point"].to_numpy(), nearest["zone"].to_numpy(), nearest["d"].to_numpy()


def apply_siting_rules(
    candidates: gpd.GeoDataFrame,
    kind: FacilityKind,
    zones: gpd.GeoDataFrame | None,
    metric_crs: str,
) -> SitingResult:
    """Keep the candidates ``kind``'s siting rules allow and explain the others.

    Parameters
    ----------
    candidates
        Candidate points with ``site_id`` (any CRS; usually EPSG:4326).
    kind
        The facility kind whose ``siting`` rules apply.
    zones
        The region's ``zones`` layer (polygons with ``category`` and ``name``), or None.
    metric_crs
        CRS in metres for buffers and distances (``Region.metric_crs``).

    Returns
    -------
    SitingResult
    """
    rows: list[dict] = []
    unchecked: list[SitingRule] = []
    broken = np.zeros(len(candidates), dtype=bool)
    if len(candidates) and kind.siting:
        points = candidates.geometry.to_crs(metric_crs).to_numpy()
        ids = candidates["site_id"].astype(str).to_numpy()
        metric_zones = None if zones is None or zones.empty else zones.to_crs(metric_crs)
        for index, rule in enumerate(kind.siting, start=1):
            chosen = (
                None
                if metric_zones is None
                else metric_zones[metric_zones["category"].isin(rule.zones)]
            )
            if chosen is None or chosen.empty:
                if rule.rule == "allowed":
                    unchecked.append(rule)
                continue
            shapes = chosen.geometry.to_numpy()
            hit, zone_at, distance = _nearest_within(points, shapes, rule.buffer_m)
            if rule.rule == "forbidden":
                bad, zone_rows, bad_distance = hit, zone_at, distance
                categories = chosen["category"].to_numpy()[zone_rows]
                names = chosen["name"].astype(str).to_numpy()[zone_rows]
            else:
                inside = np.zeros(len(points), dtype=bool)
                inside[hit] = True
                bad = np.flatnonzero(~inside)
                nearest, bad_distance = shapely.STRtree(shapes).query_nearest(
                    points[bad], return_distance=True, all_matches=False
                )
                # query_nearest answers in the order of the points asked
                bad = bad[nearest[0]]
                categories = np.full(len(bad), "|".join(rule.zones), dtype=object)
                names = chosen["name"].astype(str).to_numpy()[nearest[1]]
            broken[bad] = True
            rows.extend(
                {
                    "site_id": ids[i],
                    "rule_index": index,
                    "rule": rule.rule,
                    "zone_category": category,
                    "zone_name": name,
                    "buffer_m": rule.buffer_m,
                    "distance_m": float(d),
                    "source": rule.source,
                    "planner_set": rule.planner_set,
                }
                for i, category, name, d in zip(bad, categories, names, bad_distance, strict=True)
            )
    excluded = pd.DataFrame(rows, columns=EXCLUSION_COLUMNS)
    excluded = excluded.sort_values(["site_id", "rule_index"], kind="stable").reset_index(drop=True)
    return SitingResult(candidates[~broken].copy(), excluded, tuple(unchecked))
