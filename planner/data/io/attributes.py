"""Attributes of an imported layer: numbers, categories and identifiers.

The planner's words for categories (街道, 保留, 分拣中心, 近似 ...) are mapped to the data
model's values; what is missing is inferred (a township's kind from its name or code) or
given a default, and the report says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.data.checks import (
    COLUMNS,
    KIND_VALUES,
    QUALITY_VALUES,
    STATUS_VALUES,
    TIER_VALUES,
    Problem,
    Term,
    field_term,
    level_term,
    normalise_values,
    parse_numbers,
)
from planner.data.io.systems import _declared_system


def _alias_map(words: Mapping[str, str]) -> dict[str, str]:
    """``{value: "alias alias ..."}`` -> ``{alias: value}`` (compact alias tables)."""
    return {alias: value for value, text in words.items() for alias in text.split()}


_KIND_ALIASES = {
    "townships": _alias_map(
        {
            "street": "街道 街道办事处 办事处",
            "town": "镇 建制镇",
            "township": "乡 民族乡 苏木 民族苏木",
            "zone": "开发区 园区 工业园区 农场 林场 管委会 管理区 其他 类似乡级单位 area",
        }
    ),
    "communities": _alias_map(
        {
            "community": "社区 居委会 居民委员会 社区居委会",
            "village": "村 行政村 村委会 村民委员会 嘎查",
        }
    ),
}
_TIER_ALIASES = _alias_map(
    {
        "station": "回收站点 回收站 回收点 站点 回收网点 网点 交投点 社区回收站 回收亭",
        "sorting_centre": "sorting_center sorting_centre centre center "
        "分拣中心 分拣站 分拣场 中转站 集散场 集散中心",
    }
)
_STATUS_ALIASES = _alias_map(
    {
        "existing_keep": "保留 现有 现状 现状保留 已建 在用 运营 运营中 existing keep",
        "existing_close": "关闭 撤销 拟关闭 拟撤销 取消 close closed",
        "candidate": "候选 备选 拟建 规划 新建 规划新建",
    }
)
_QUALITY_ALIASES = _alias_map(
    {
        "official": "官方 正式 实测 权威",
        "approximate": "近似 估算 示意 模拟",
    }
)


def _infer_kind(level: str, name: str, code: str) -> str:
    """A unit's kind from its name's ending (街道, 镇, 乡, 村, 社区), else from its code."""
    name = (name or "").strip()
    if level == "townships":
        if name.endswith(("街道", "街道办事处", "办事处")):
            return "street"
        if name.endswith("镇"):
            return "town"
        if name.endswith(("乡", "苏木")):
            return "township"
        if len(code) == 9 and code.isdigit():
            number = int(code[6:])
            if number < 100:
                return "street"
            if number < 200:
                return "town"
            if number < 400:
                return "township"
        return "zone"
    if name.endswith(("村", "村委会", "村民委员会", "嘎查")):
        return "village"
    if name.endswith(("社区", "居委会", "居民委员会")):
        return "community"
    if len(code) == 12 and code.isdigit() and 200 <= int(code[9:]) < 400:
        return "village"
    return "community"


def _unit_scale(column: str | None) -> float:
    """The unit factor a column's name states (10,000 for "人口（万人）")."""
    if column and "万" in str(column):
        return 1e4
    return 1.0


def _str_series(values: Sequence[str], index: pd.Index) -> pd.Series:
    """``values`` as a text Series on ``index``."""
    return pd.Series(list(values), index=index, dtype="str")


def _site_ids(ids: pd.Series) -> tuple[pd.Series, int]:
    """Site IDs with the empty ones generated (S0001, S0002 … not already taken), and how
    many were generated."""
    taken = set(ids[ids != ""])
    out, generated, counter = [], 0, 0
    for value in ids:
        if value:
            out.append(value)
            continue
        counter += 1
        while f"S{counter:04d}" in taken:
            counter += 1
        new = f"S{counter:04d}"
        taken.add(new)
        out.append(new)
        generated += 1
    return _str_series(out, ids.index), generated


def _spatial_codes(points: gpd.GeoDataFrame, parent: gpd.GeoDataFrame | None) -> pd.Series | None:
    """Code of the parent polygon containing each point ('' when none)."""
    if parent is None or "code" not in parent or parent.crs is None or not len(parent):
        return None
    polygons = parent[["code", parent.geometry.name]]
    if _declared_system(polygons.crs) != "wgs84":
        polygons = polygons.to_crs("EPSG:4326")
    polygons = polygons.rename(columns={"code": "__parent_code"})
    joined = gpd.sjoin(points[[points.geometry.name]], polygons, how="left", predicate="intersects")
    first = joined[~joined.index.duplicated(keep="first")]["__parent_code"]
    return first.reindex(points.index).map(lambda c: "" if pd.isna(c) else str(c)).astype("str")


# --------------------------------------------------------------------------- import_layer


def _numbers(
    gdf: gpd.GeoDataFrame, level: str, mapping: Mapping[str, str], labels: Sequence[str]
) -> list[Problem]:
    """Parse population, households, capacity and urban share in place (``gdf`` is the
    import's own copy); absent columns become empty."""
    problems: list[Problem] = []
    wanted = [c for c in ("population", "households", "capacity") if c in COLUMNS[level]]
    for name in wanted:
        integer = name != "capacity"
        if name in gdf:
            scale = _unit_scale(mapping.get(name))
            if scale != 1.0:
                problems.append(
                    Problem("validate.number_scaled", "fixed", params={"column": mapping[name]})
                )
            numbers, more = parse_numbers(
                gdf[name],
                field_name=name,
                level=level,
                labels=labels,
                integer=integer,
                scale=scale,
                missing_severity="warning" if name == "population" else None,
            )
            problems.extend(more)
            gdf[name] = numbers
        else:
            if name == "population":
                problems.append(
                    Problem(
                        "validate.optional_column_missing",
                        "warning",
                        params={"field": field_term(name), "level": level_term(level)},
                    )
                )
            gdf[name] = (
                pd.Series(pd.NA, index=gdf.index, dtype="Int64")
                if integer
                else pd.Series(np.nan, index=gdf.index, dtype="float64")
            )
    if level == "counties":
        if "urban_share" in gdf:
            share, more = parse_numbers(
                gdf["urban_share"],
                field_name="urban_share",
                level=level,
                labels=labels,
                integer=False,
                missing_severity=None,
            )
            problems.extend(more)
            valid = share.dropna()
            raw_text = " ".join(str(v) for v in gdf["urban_share"].dropna())
            if len(valid) and ((valid > 1).all() or "%" in raw_text) and (valid <= 100).all():
                share = share / 100.0
                problems.append(Problem("validate.urban_share_percent", "fixed"))
            bad = ((share < 0) | (share > 1)).fillna(False).to_numpy()
            if bad.any():
                problems.append(
                    Problem(
                        "validate.urban_share_out_of_range",
                        "error",
                        count=int(bad.sum()),
                        examples=tuple(
                            f"{lab}: {v:g}"
                            for lab, v, m in zip(labels, share, bad, strict=False)
                            if m
                        )[:5],
                    )
                )
            gdf["urban_share"] = share.astype("float64")
        else:
            problems.append(
                Problem(
                    "validate.optional_column_missing",
                    "warning",
                    params={"field": field_term("urban_share"), "level": level_term(level)},
                )
            )
            gdf["urban_share"] = np.nan
    return problems


def _categories(
    gdf: gpd.GeoDataFrame, level: str, mapping: Mapping[str, str], labels: Sequence[str]
) -> list[Problem]:
    """Kind, geometry quality, tier and status in place: the planner's words mapped to
    the data model's values, missing ones inferred or defaulted (and said so)."""
    problems: list[Problem] = []
    n = len(gdf)
    names = gdf["name"] if "name" in gdf else _str_series([""] * n, gdf.index)
    codes = gdf["code"] if "code" in gdf else _str_series([""] * n, gdf.index)
    if level in KIND_VALUES:
        allowed = KIND_VALUES[level]
        if "kind" in gdf:
            kinds, unknown = normalise_values(gdf["kind"], allowed, _KIND_ALIASES[level])
            redo = np.array(unknown) | (kinds == "").to_numpy()
        else:
            kinds = _str_series([""] * n, gdf.index)
            redo = np.ones(n, dtype=bool)
        if redo.any():
            inferred = [_infer_kind(level, nm, cd) for nm, cd in zip(names, codes, strict=True)]
            kinds = _str_series(
                [inferred[i] if redo[i] else kinds.iloc[i] for i in range(n)], gdf.index
            )
            problems.append(
                Problem(
                    "validate.kind_inferred",
                    "fixed",
                    count=int(redo.sum()),
                    params={"level": level_term(level)},
                )
            )
        gdf["kind"] = kinds
    if "geometry_quality" in COLUMNS[level]:
        is_point = (gdf.geometry.geom_type == "Point").to_numpy()
        default = np.where(is_point, "approximate", "official")
        if "geometry_quality" in gdf:
            quality, unknown = normalise_values(
                gdf["geometry_quality"], QUALITY_VALUES, _QUALITY_ALIASES
            )
            unknown_arr = np.array(unknown)
            if unknown_arr.any():
                problems.append(
                    Problem(
                        "validate.unknown_quality",
                        "warning",
                        count=int(unknown_arr.sum()),
                        examples=tuple(
                            sorted(set(gdf["geometry_quality"][unknown_arr].astype(str)))
                        )[:5],
                        params={"level": level_term(level), "value": Term("io.quality.default")},
                    )
                )
            fill = unknown_arr | (quality == "").to_numpy()
            gdf["geometry_quality"] = _str_series(
                [default[i] if fill[i] else quality.iloc[i] for i in range(n)], gdf.index
            )
        else:
            gdf["geometry_quality"] = _str_series(list(default), gdf.index)
            if is_point.any():
                problems.append(
                    Problem(
                        "validate.points_only",
                        "fixed",
                        count=int(is_point.sum()),
                        params={"level": level_term(level)},
                    )
                )
    if level == "sites":
        for name, allowed, aliases, default, key in (
            ("tier", TIER_VALUES, _TIER_ALIASES, "station", "validate.unknown_tier"),
            ("status", STATUS_VALUES, _STATUS_ALIASES, "existing_keep", "validate.unknown_status"),
        ):
            if name not in gdf:
                gdf[name] = _str_series([default] * n, gdf.index)
                problems.append(
                    Problem(
                        "validate.default_value",
                        "warning",
                        count=n,
                        params={
                            "field": field_term(name),
                            "level": level_term(level),
                            "value": default,
                        },
                    )
                )
                continue
            values, unknown = normalise_values(gdf[name], allowed, aliases)
            unknown_arr = np.array(unknown)
            if unknown_arr.any():
                raw = gdf[name].astype(str).to_numpy()
                problems.append(
                    Problem(
                        key,
                        "error",
                        count=int(unknown_arr.sum()),
                        examples=tuple(
                            f"{lab}: {r}"
                            for lab, r, m in zip(labels, raw, unknown_arr, strict=False)
                            if m
                        )[:5],
                    )
                )
            empty = (values == "").to_numpy()
            if empty.any():
                problems.append(
                    Problem(
                        "validate.default_value_some",
                        "warning",
                        count=int(empty.sum()),
                        examples=tuple(lab for lab, m in zip(labels, empty, strict=False) if m)[:5],
                        params={"field": field_term(name), "value": default},
                    )
                )
                values = values.where(~empty, default)
            gdf[name] = values.astype("str")
    return problems
