"""The inventory of existing sites: facility kind, address, operator, floor area, and the
answers a compliance check reads (licence, fire safety, in use, standardised).

The planner's words (有/无/已备案, 合格/不合格, 在用/停用, 是/否, 1/0 ...) are mapped to the
data model's values (:data:`~planner.data.checks.SITE_VALUES`). A word that is not
recognised refuses the import and the report names the rows; a blank cell, or a column
the file does not have, is ``unknown`` (and a missing column is said once). The kind
defaults to the kind of the site's tier and must agree with it; a file with kinds but no
tier column gets its tiers from the kinds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.data.checks import (
    SITE_KIND_OF_TIER,
    SITE_KIND_VALUES,
    SITE_TEXT_COLUMNS,
    SITE_VALUE_KEYS,
    SITE_VALUES,
    Problem,
    Term,
    field_term,
    normalise_values,
    parse_numbers,
)
from planner.data.checks.report import _is_missing
from planner.data.io.attributes import _alias_map, _str_series, _unit_scale

__all__ = ["FLOOR_AREA_BOUND_M2"]

#: Largest floor area (m²) one site may plausibly have: ten hectares, above the largest
#: sorting yards; a figure in cm² or with extra digits is refused.
FLOOR_AREA_BOUND_M2 = 100_000

_KIND_ALIASES = _alias_map(
    {
        "recycling_station": "回收站 回收站点 回收网点 回收点 再生资源回收站 再生资源回收站点 "
        "社区回收站 站点 station recycling_station",
        "sorting_centre": "分拣中心 分拣场 分拣站 再生资源分拣中心 分拣 "
        "sorting_center centre center",
    }
)
#: The planner's words for each answer, per column.
_ANSWER_ALIASES: dict[str, dict[str, str]] = {
    "licence": _alias_map(
        {
            "yes": "是 有 已办 已办理 已备案 已登记 齐全 证照齐全 有证 有照 持证 "
            "yes y true 1 licensed",
            "no": "否 无 没有 未办 未办理 未备案 未登记 无照 无证 no n false 0 unlicensed",
            "unknown": "未知 不详 不清楚 待核实 待确认 待查",
        }
    ),
    "fire_safety": _alias_map(
        {
            "pass": "合格 通过 已通过 达标 符合 是 pass passed yes y ok true 1",
            "fail": "不合格 未通过 不达标 不符合 存在隐患 有隐患 否 fail failed no n false 0",
            "unknown": "未知 不详 未检查 未检 待查 待检查 待核实",
        }
    ),
    "in_use": _alias_map(
        {
            "yes": "在用 使用中 运营 运营中 营业 营业中 正常 正常运营 是 yes y true 1",
            "no": "停用 闲置 关闭 已关闭 歇业 停业 停运 废弃 否 no n false 0",
            "unknown": "未知 不详 待核实",
        }
    ),
    "standardised": _alias_map(
        {
            "yes": "是 已标准化 标准化 已规范化 规范化 达标 yes y true 1 standardized",
            "no": "否 未标准化 非标准化 不规范 未规范化 未达标 no n false 0 not_standardised",
            "unknown": "未知 不详 待核实",
        }
    ),
}


def _answer_text(value: Any) -> Any:
    """A cell as the words it stands for: ``True`` as "true", ``1.0`` as "1"."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and np.isfinite(value) and value.is_integer():
        return str(int(value))
    return value


def _unrecognised(
    gdf: gpd.GeoDataFrame, name: str, mask: np.ndarray, labels: Sequence[str]
) -> Problem:
    """The error naming the rows whose ``name`` is not one of its values."""
    raw = gdf[name].astype(str).to_numpy()
    allowed = SITE_VALUE_KEYS[name]
    return Problem(
        "validate.unknown_site_value",
        "error",
        count=int(mask.sum()),
        examples=tuple(f"{lab}: {r}" for lab, r, m in zip(labels, raw, mask, strict=False) if m)[
            :5
        ],
        params={
            "field": field_term(name),
            "allowed": [Term(allowed[v]) for v in dict.fromkeys(allowed)],
        },
    )


def _tier_from_kind(gdf: gpd.GeoDataFrame) -> list[Problem]:
    """Tiers from the kinds in place, when the file has kinds but no tier column.

    Run before the tier is read (:func:`~planner.data.io.attributes._categories`), so
    that rows whose kind says nothing still get the default tier, said so.
    """
    if "tier" in gdf or "kind" not in gdf:
        return []
    kinds, unknown = normalise_values(
        gdf["kind"].map(_answer_text), SITE_KIND_VALUES, _KIND_ALIASES
    )
    tier_of = {kind: tier for tier, kind in SITE_KIND_OF_TIER.items()}
    known = ~np.array(unknown) & (kinds != "").to_numpy()
    if not known.any():
        return []
    tiers = [tier_of[k] if ok else "" for k, ok in zip(kinds, known, strict=True)]
    gdf["tier"] = pd.Series(tiers, index=gdf.index, dtype=object).where(known, None)
    return [Problem("validate.tier_from_kind", "fixed", count=int(known.sum()))]


def _kinds(gdf: gpd.GeoDataFrame, labels: Sequence[str]) -> list[Problem]:
    """Facility kinds in place: recognised, defaulted from the tier, checked against it."""
    default = gdf["tier"].map(lambda tier: SITE_KIND_OF_TIER.get(tier, "")).astype("str")
    if "kind" not in gdf:
        gdf["kind"] = default
        return []
    kinds, unknown = normalise_values(
        gdf["kind"].map(_answer_text), SITE_KIND_VALUES, _KIND_ALIASES
    )
    unknown_arr = np.array(unknown, dtype=bool)
    problems = [_unrecognised(gdf, "kind", unknown_arr, labels)] if unknown_arr.any() else []
    given = (kinds != "").to_numpy() & ~unknown_arr
    clash = given & (kinds != default).to_numpy()
    if clash.any():
        problems.append(
            Problem(
                "validate.kind_tier_mismatch",
                "error",
                count=int(clash.sum()),
                examples=tuple(
                    f"{lab}: {raw} / {tier}"
                    for lab, raw, tier, m in zip(
                        labels, gdf["kind"].astype(str), gdf["tier"], clash, strict=False
                    )
                    if m
                )[:5],
            )
        )
    gdf["kind"] = kinds.where(given, default).astype("str")
    return problems


def _texts(gdf: gpd.GeoDataFrame) -> None:
    """Address and operator as trimmed text in place ("" when blank or absent)."""
    for name in SITE_TEXT_COLUMNS:
        if name in gdf:
            gdf[name] = gdf[name].map(lambda v: "" if _is_missing(v) else str(v).strip())
            gdf[name] = gdf[name].astype("str")
        else:
            gdf[name] = _str_series([""] * len(gdf), gdf.index)


def _floor_area(
    gdf: gpd.GeoDataFrame, mapping: Mapping[str, str], labels: Sequence[str]
) -> list[Problem]:
    """Floor areas in m² in place: non-negative numbers, NaN where the list says none."""
    if "floor_area_m2" not in gdf:
        gdf["floor_area_m2"] = pd.Series(np.nan, index=gdf.index, dtype="float64")
        return []
    scale = _unit_scale(mapping.get("floor_area_m2"))
    problems = []
    if scale != 1.0:
        column = mapping["floor_area_m2"]
        problems.append(Problem("validate.number_scaled", "fixed", params={"column": column}))
    areas, more = parse_numbers(
        gdf["floor_area_m2"],
        field_name="floor_area_m2",
        level="sites",
        labels=labels,
        integer=False,
        scale=scale,
        missing_severity="warning",
        maximum=FLOOR_AREA_BOUND_M2,
    )
    gdf["floor_area_m2"] = areas.astype("float64")
    return problems + more


def _answers(gdf: gpd.GeoDataFrame, labels: Sequence[str]) -> tuple[list[Problem], list[str]]:
    """Licence, fire safety, in use and standardised in place; returns the problems and
    the columns the file does not have (all ``unknown``)."""
    problems: list[Problem] = []
    absent: list[str] = []
    for name, allowed in SITE_VALUES.items():
        fallback = allowed[-1]
        if name not in gdf:
            gdf[name] = _str_series([fallback] * len(gdf), gdf.index)
            absent.append(name)
            continue
        values, unknown = normalise_values(
            gdf[name].map(_answer_text), allowed, _ANSWER_ALIASES[name]
        )
        unknown_arr = np.array(unknown, dtype=bool)
        if unknown_arr.any():
            problems.append(_unrecognised(gdf, name, unknown_arr, labels))
        gdf[name] = values.where(values != "", fallback).astype("str")
    return problems, absent


def _site_attributes(
    gdf: gpd.GeoDataFrame, mapping: Mapping[str, str], labels: Sequence[str]
) -> list[Problem]:
    """Every inventory column of the sites in place (``gdf`` is the import's own copy),
    after the tier is read."""
    problems = _kinds(gdf, labels)
    _texts(gdf)
    problems.extend(_floor_area(gdf, mapping, labels))
    more, absent = _answers(gdf, labels)
    problems.extend(more)
    if "floor_area_m2" not in mapping:
        absent.insert(0, "floor_area_m2")
    if absent:
        problems.append(
            Problem(
                "validate.inventory_columns_missing",
                "warning",
                count=len(absent),
                params={"fields": [field_term(name) for name in absent]},
            )
        )
    return problems
