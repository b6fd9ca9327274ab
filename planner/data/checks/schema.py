"""The data model's levels and columns, and finding them in a planner's file.

Each level (counties, townships, communities, sites) has its output columns
(:data:`COLUMNS`), the ones without which a layer is refused (:data:`REQUIRED`) and the
Chinese and English names its columns go by in official files (:data:`FIELD_ALIASES`).
:func:`match_columns` finds which source column holds each field.

The sites layer is the region's inventory of recycling sites: besides its tier and
planning status, each site has a facility kind, address, operator, floor area and four
answers a compliance check reads (:data:`SITE_VALUES`: licence, fire safety, in use,
standardised; ``unknown`` when the list does not say). :func:`complete_sites` gives a
sites layer every inventory column with its default, for packs saved before them.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.data.checks.report import Problem, _is_missing, field_term

__all__ = [
    "CODE_LENGTH",
    "COLUMNS",
    "FIELD_ALIASES",
    "KIND_VALUES",
    "LEVELS",
    "PARENT_LEVEL",
    "QUALITY_VALUES",
    "REQUIRED",
    "SITE_ATTRIBUTES",
    "SITE_KIND_OF_TIER",
    "SITE_KIND_VALUES",
    "SITE_TEXT_COLUMNS",
    "SITE_VALUES",
    "STATUS_VALUES",
    "TIER_VALUES",
    "complete_sites",
    "match_columns",
    "normalise_header",
    "normalise_values",
]

LEVELS: tuple[str, ...] = ("counties", "townships", "communities", "sites")
CODE_LENGTH: dict[str, int] = {"counties": 6, "townships": 9, "communities": 12}
PARENT_LEVEL: dict[str, str] = {"townships": "counties", "communities": "townships"}
#: Output columns of each level, in order (geometry comes last).
COLUMNS: dict[str, tuple[str, ...]] = {
    "counties": ("code", "name", "population", "urban_share", "households"),
    "townships": ("code", "name", "county_code", "kind", "population", "geometry_quality"),
    "communities": (
        "code",
        "name",
        "township_code",
        "county_code",
        "kind",
        "population",
        "households",
        "geometry_quality",
    ),
    "sites": (
        "site_id",
        "tier",
        "status",
        "capacity",
        "name",
        "county_code",
        "township_code",
        "kind",
        "address",
        "operator",
        "floor_area_m2",
        "licence",
        "fire_safety",
        "in_use",
        "standardised",
    ),
}
#: Columns without which a layer is refused.
REQUIRED: dict[str, tuple[str, ...]] = {
    "counties": ("code", "name"),
    "townships": ("code", "name"),
    "communities": ("code", "name"),
    "sites": (),
}
KIND_VALUES: dict[str, tuple[str, ...]] = {
    "townships": ("street", "town", "township", "zone"),
    "communities": ("community", "village"),
}
TIER_VALUES: tuple[str, ...] = ("station", "sorting_centre")
STATUS_VALUES: tuple[str, ...] = ("existing_keep", "existing_close", "candidate")
QUALITY_VALUES: tuple[str, ...] = ("official", "approximate")
#: Facility kind of a site (``kind`` of the sites layer); more kinds may follow.
SITE_KIND_VALUES: tuple[str, ...] = ("recycling_station", "sorting_centre")
#: The kind a site has when its list does not say: the one of its tier.
SITE_KIND_OF_TIER: dict[str, str] = {
    "station": "recycling_station",
    "sorting_centre": "sorting_centre",
}
#: The inventory's answers, per column: the values allowed, ``unknown`` last (the
#: default for a blank cell or a missing column).
SITE_VALUES: dict[str, tuple[str, ...]] = {
    "licence": ("yes", "no", "unknown"),
    "fire_safety": ("pass", "fail", "unknown"),
    "in_use": ("yes", "no", "unknown"),
    "standardised": ("yes", "no", "unknown"),
}
#: Free-text columns of the inventory ("" when the list does not say).
SITE_TEXT_COLUMNS: tuple[str, ...] = ("address", "operator")
#: Every inventory column beyond the planning ones (id, tier, status, capacity, name,
#: county and township codes).
SITE_ATTRIBUTES: tuple[str, ...] = ("kind", *SITE_TEXT_COLUMNS, "floor_area_m2", *SITE_VALUES)


# --------------------------------------------------------------------------- aliases


def _words(text: str) -> tuple[str, ...]:
    """A tuple of the whitespace-separated words of ``text`` (compact alias tables)."""
    return tuple(text.split())


#: Recognised column names per field, most specific first. Level-specific entries
#: (e.g. "乡镇代码" is the code of a township but the parent code of a community) are
#: listed under ``(level, field)`` and take precedence over the generic ones.
FIELD_ALIASES: dict[str | tuple[str, str], tuple[str, ...]] = {
    "code": _words(
        "code adcode ad_code 区划代码 行政区划代码 统计用区划代码 行政区代码 "
        "区划编码 行政区划编码 代码 编码 编号 gb gbcode xzqdm xzqhdm qhdm dm"
    ),
    "name": _words(
        "name 名称 区划名称 行政区划名称 行政区名称 名字 xzqmc qhmc mc name_zh 中文名 中文名称"
    ),
    "population": _words(
        "population pop 常住人口 常住人口数 人口 人口数 总人口 人口总数 "
        "人口数量 七普人口 户籍人口 rk rks"
    ),
    "households": _words("households hh 户数 总户数 家庭户数 住户数 户"),
    "urban_share": _words(
        "urban_share urbanshare urbanisation urbanization 城镇化率 城镇人口比重 城镇化水平 "
        "城镇人口占比"
    ),
    "county_code": _words(
        "county_code countycode county_cod 所属区县代码 所属县区代码 区县代码 "
        "县区代码 县代码 县级代码 所属县代码 区县编码 所属区县编码 xdm"
    ),
    "township_code": _words(
        "township_code townshipcode township_c town_code 所属乡镇代码 "
        "所属乡镇街道代码 所属街道代码 乡镇代码 乡镇街道代码 街道代码 乡镇编码 所属乡镇编码 xzdm"
    ),
    "kind": _words("kind type 类型 类别 单位类型"),
    "geometry_quality": _words("geometry_quality geometry_q quality 边界质量 几何质量"),
    "site_id": _words("site_id siteid id 站点编号 站点代码 站点id 网点编号 编号 代码 编码 code"),
    "tier": _words("tier level 站点级别 级别 层级 站点类型 类型 type"),
    "status": _words("status 状态 现状 站点状态 规划状态"),
    "capacity": _words("capacity 规模 处理能力 日处理能力 设计规模 设计能力 能力 容量 处理规模"),
    ("townships", "code"): _words("乡镇代码 街道代码 乡镇街道代码 乡镇编码"),
    ("townships", "name"): _words("乡镇名称 街道名称 乡镇街道名称 乡镇 街道"),
    ("communities", "code"): _words("村代码 社区代码 村社区代码 村居代码 村级代码"),
    ("communities", "name"): _words("村名称 社区名称 村社区名称 村居名称 村名 社区"),
    ("counties", "code"): _words("区县代码 县区代码 县代码"),
    ("counties", "name"): _words("区县名称 县区名称 县名称 区县"),
    ("sites", "name"): _words("站点名称 网点名称 回收站名称 名称 name"),
    ("sites", "county_code"): _words("所属区县代码 区县代码 county_code"),
    # The inventory. "类型"/"type" name the tier and "状态"/"status" the planning status,
    # so the facility kind has names of its own (no generic ones, see _LEVEL_ONLY).
    ("sites", "kind"): _words(
        "kind facility_kind facility_k 设施类型 设施种类 站点种类 场所类型 设施类别"
    ),
    "address": _words(
        "address addr 地址 详细地址 站点地址 所在地址 经营地址 营业地址 具体位置 地点 门牌地址"
    ),
    "operator": _words(
        "operator 经营者 经营单位 经营主体 运营单位 运营主体 运营商 经营企业 经营者名称 "
        "企业名称 业主 负责单位 管理单位"
    ),
    "floor_area_m2": _words(
        "floor_area_m2 floor_area floorarea area_m2 area 面积 营业面积 建筑面积 使用面积 "
        "占地面积 经营面积 站点面积"
    ),
    "licence": _words(
        "licence license licensed 营业执照 执照 是否有营业执照 有无营业执照 证照 证照情况 "
        "备案 是否备案 备案情况 备案登记"
    ),
    "fire_safety": _words(
        "fire_safety fire_safet fire 消防 消防安全 消防检查 消防验收 消防是否合格 消防情况"
    ),
    "in_use": _words("in_use inuse 在用 是否在用 使用状态 运营状态 营业状态 使用情况 运营情况"),
    "standardised": _words(
        "standardised standardized standardis standardiz 标准化 是否标准化 标准化建设 "
        "规范化 是否规范化 规范化建设"
    ),
}
#: Fields whose level-specific names replace the generic ones instead of coming first.
_LEVEL_ONLY: frozenset[tuple[str, str]] = frozenset({("sites", "kind")})


def normalise_header(header: object) -> str:
    """A column header reduced for matching: NFKC, lower case, no spaces or punctuation.

    Units in brackets are removed, so "常住人口（人）" and "population (persons)" match
    "常住人口" and "population".
    """
    text = unicodedata.normalize("NFKC", str(header)).casefold().strip()
    text = re.sub(r"[\(\[【].*?[\)\]】]", "", text)
    return re.sub(r"[\s_\-./:：、]+", "", text)


def _aliases(level: str, name: str) -> tuple[str, ...]:
    specific = FIELD_ALIASES.get((level, name), ())
    generic = () if (level, name) in _LEVEL_ONLY else FIELD_ALIASES.get(name, ())
    return tuple(dict.fromkeys(normalise_header(a) for a in (*specific, *generic)))


# --------------------------------------------------------------------------- columns


def match_columns(
    columns: Sequence[object],
    level: str,
    column_map: Mapping[str, str] | None = None,
    *,
    wanted: Sequence[str] | None = None,
    required: Sequence[str] | None = None,
) -> tuple[dict[str, str], list[Problem]]:
    """Find which source column holds each field of ``level``.

    Parameters
    ----------
    columns
        Column names of the source table.
    level
        Layer level (selects level-specific names such as "乡镇代码").
    column_map
        Explicit choices, ``{field: column}`` (``{column: field}`` is accepted too).
        They win over recognised names.
    wanted
        Fields to look for (default: the level's columns).
    required
        Fields that must be found (default: :data:`REQUIRED` of the level).

    Returns
    -------
    mapping, problems
        ``{field: source column}``, and problems for explicit choices naming unknown
        columns and for missing required fields (with a "did you mean" suggestion).
    """
    names = [str(c) for c in columns]
    wanted = tuple(wanted if wanted is not None else COLUMNS[level])
    required = tuple(required if required is not None else REQUIRED[level])
    problems: list[Problem] = []
    mapping: dict[str, str] = {}
    used: set[str] = set()

    for key, value in (column_map or {}).items():
        fld, col = key, value
        if key not in wanted and value in wanted:
            fld, col = value, key
        if fld not in wanted:
            continue
        if col not in names:
            close = difflib.get_close_matches(str(col), names, n=1, cutoff=0.5)
            problems.append(
                Problem(
                    "validate.column_not_found",
                    "error",
                    params={
                        "column": col,
                        "field": field_term(fld),
                        "columns": names[:12],
                        "suggestion": close[0] if close else "",
                    },
                )
            )
            continue
        mapping[fld] = col
        used.add(col)

    normalised = {c: normalise_header(c) for c in names}
    for fld in wanted:
        if fld in mapping or any(p.params.get("field") == field_term(fld) for p in problems):
            continue
        for alias in _aliases(level, fld):
            hit = next((c for c in names if c not in used and normalised[c] == alias), None)
            if hit is not None:
                mapping[fld] = hit
                used.add(hit)
                break

    for fld in required:
        if fld in mapping or any(p.params.get("field") == field_term(fld) for p in problems):
            continue
        suggestion = _suggest(names, used, _aliases(level, fld))
        params: dict[str, Any] = {"field": field_term(fld), "field_id": fld, "columns": names[:12]}
        if suggestion:
            params["column"] = suggestion
            problems.append(Problem("validate.missing_column_suggest", "error", params=params))
        else:
            problems.append(Problem("validate.missing_column", "error", params=params))
    return mapping, problems


def _suggest(names: Sequence[str], used: set[str], aliases: Sequence[str]) -> str | None:
    best, best_score = None, 0.0
    for name in names:
        if name in used:
            continue
        norm = normalise_header(name)
        if not norm:
            continue
        for alias in aliases:
            score = difflib.SequenceMatcher(None, norm, alias).ratio()
            if alias in norm or norm in alias:
                score = max(score, 0.7)
            if score > best_score:
                best, best_score = name, score
    return best if best_score >= 0.6 else None


# --------------------------------------------------------------------------- categories


def normalise_values(
    values: pd.Series,
    allowed: Sequence[str],
    aliases: Mapping[str, str],
) -> tuple[pd.Series, list[bool]]:
    """Map raw category values onto ``allowed`` using ``aliases``.

    Returns the mapped values (empty string where missing) and a mask of unknown values.
    """
    out, unknown = [], []
    lookup = {normalise_header(k): v for k, v in aliases.items()}
    lookup.update({normalise_header(a): a for a in allowed})
    for value in values:
        if _is_missing(value):
            out.append("")
            unknown.append(False)
            continue
        mapped = lookup.get(normalise_header(value))
        out.append(mapped or str(value).strip())
        unknown.append(mapped is None)
    return pd.Series(out, index=values.index, dtype="str"), unknown


# --------------------------------------------------------------------------- sites


def complete_sites(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A sites layer with every inventory column, missing ones at their defaults.

    ``kind`` defaults to the kind of the site's tier (:data:`SITE_KIND_OF_TIER`), the
    answers of :data:`SITE_VALUES` to ``unknown``, ``floor_area_m2`` to NaN and the text
    columns to ``""``. Blank cells of present columns get the same defaults; numbers
    read back as text (an all-empty column of a GeoJSON file) become floats. Nothing
    else is changed, and ``sites`` itself is not modified.

    Parameters
    ----------
    sites
        A sites layer, e.g. of a region pack saved before the inventory columns.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with the columns of :data:`COLUMNS` ``["sites"]`` (and any others it had).
    """
    out = sites.copy()
    n = len(out)

    def text(column: str) -> pd.Series:
        if column not in out:
            return pd.Series([""] * n, index=out.index, dtype="str")
        return out[column].map(lambda v: "" if _is_missing(v) else str(v).strip()).astype("str")

    for column in SITE_TEXT_COLUMNS:
        out[column] = text(column)
    for column, allowed in SITE_VALUES.items():
        values = text(column)
        out[column] = values.where(values != "", allowed[-1]).astype("str")
    tiers = text("tier")
    kinds = text("kind")
    default = tiers.map(lambda tier: SITE_KIND_OF_TIER.get(tier, ""))
    out["kind"] = kinds.where(kinds != "", default).astype("str")
    for column in ("capacity", "floor_area_m2"):
        values = out[column] if column in out else pd.Series(np.nan, index=out.index)
        out[column] = pd.to_numeric(values, errors="coerce").astype("float64")
    return out
