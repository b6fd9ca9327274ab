"""Existing sites listed twice: the same name a few metres apart, or the same position.

An inventory compiled from several lists often holds one site twice (a row copied, a
site reported by its street office and by its operator). Two rows with the same name
within :data:`DUPLICATE_DISTANCE_M` are such a repeat and refuse the import: kept in,
the site would count twice towards the targets and its capacity twice. Two differently
named sites at exactly the same coordinates are more often positions geocoded only to a
street or a village (or two sites in one building); the planner is warned and decides.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely

from planner.data.checks.report import MAX_EXAMPLES, Problem
from planner.data.crs import local_metric_crs

__all__ = ["DUPLICATE_DISTANCE_M", "check_duplicate_sites"]

#: Two sites of the same name closer than this (metres) are one site listed twice.
DUPLICATE_DISTANCE_M = 10.0
#: Coordinates equal to this many decimals of a degree (~1 cm) are the same position.
_SAME_POSITION_DECIMALS = 7


def _name_key(name: object) -> str:
    """A name as compared: NFKC, case and spaces ignored ("示例回收站 1" = "示例回收站1")."""
    text = unicodedata.normalize("NFKC", str(name or "")).casefold()
    return "".join(text.split())


def _groups(n: int, pairs: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Connected groups (of two or more rows) of the graph whose edges are ``pairs``."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    members: dict[int, list[int]] = {}
    for i in range(n):
        members.setdefault(root(i), []).append(i)
    return [sorted(g) for g in members.values() if len(g) > 1]


def _pair_examples(labels: Sequence[str], groups: Sequence[Sequence[int]]) -> tuple[str, ...]:
    """``"first = second"`` for the first rows of a few groups."""
    return tuple(f"{labels[g[0]]} = {labels[g[1]]}" for g in groups[:MAX_EXAMPLES])


def check_duplicate_sites(
    sites: gpd.GeoDataFrame,
    labels: Sequence[str],
    *,
    distance_m: float = DUPLICATE_DISTANCE_M,
) -> list[Problem]:
    """Sites listed twice (an error) and sites sharing one position (a warning).

    Parameters
    ----------
    sites
        The sites in WGS84, with their ``name``; rows without a position are skipped.
    labels
        How each row is named in examples (code and name).
    distance_m
        Same-name sites closer than this are one site listed twice.

    Returns
    -------
    list of Problem
        ``validate.duplicate_sites`` (error): rows repeating an earlier row of the same
        name within ``distance_m``, counted once per repeat, examples as ``"a = b"``;
        ``validate.same_position_sites`` (warning): rows of other names at exactly the
        coordinates of another row, counted per row.
    """
    geoms = sites.geometry
    present = np.flatnonzero(~(geoms.isna() | geoms.is_empty).to_numpy())
    if len(present) < 2:
        return []
    points = geoms.iloc[present]
    metric = points.to_crs(local_metric_crs(points)).to_numpy()
    tree = shapely.STRtree(metric)
    left, right = tree.query(metric, predicate="dwithin", distance=distance_m)
    names = [_name_key(v) for v in sites["name"].iloc[present]] if "name" in sites else None
    same_name = [
        (int(i), int(j))
        for i, j in zip(left, right, strict=True)
        if i < j and names is not None and names[i] and names[i] == names[j]
    ]
    shown = [labels[k] for k in present]
    problems: list[Problem] = []
    repeats = _groups(len(present), same_name)
    if repeats:
        problems.append(
            Problem(
                "validate.duplicate_sites",
                "error",
                count=sum(len(g) - 1 for g in repeats),
                examples=_pair_examples(shown, repeats),
                params={"distance": distance_m},
            )
        )
    xy = np.round(shapely.get_coordinates(points.to_numpy()), _SAME_POSITION_DECIMALS)
    repeated = {frozenset(p) for p in same_name}
    same_place = [
        (int(i), int(j))
        for i, j in zip(left, right, strict=True)
        if i < j and (xy[i] == xy[j]).all() and frozenset((int(i), int(j))) not in repeated
    ]
    shared = _groups(len(present), same_place)
    if shared:
        problems.append(
            Problem(
                "validate.same_position_sites",
                "warning",
                count=sum(len(g) for g in shared),
                examples=_pair_examples(shown, shared),
            )
        )
    return problems
