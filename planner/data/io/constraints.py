"""Constraint and point layers from planners' files: zones, points of interest and
demand tables.

* ``zones``: polygons with a ``category`` (饮用水水源保护区, 生态保护红线, 居民区, 商业区, ...)
  and a ``name``, the areas a facility kind's siting rules forbid or allow.
* ``pois``: points with a ``category`` (商圈, 公共机构, 学校, 居住小区, 垃圾转运站, ...), a
  ``name`` and a ``weight`` (1 unless the file gives one): the demand of kinds planned
  for points of interest, and the places a kind likes to share a site with.
* demand tables: a number per county (registered vehicles per county for scrap-vehicle
  dismantlers), ``county_code`` and ``count``.

Categories are the vocabulary of ``data/categories.toml``; a cell may give the id, the
Chinese or the English name. A category not in the vocabulary refuses the import and
names the rows. Files are read as the other layers are (GeoJSON, GeoPackage, zipped
Shapefile, KML, CSV/XLSX points), the coordinate system is the planner's choice, the
file's declaration or detected against the region, and converted to WGS84; an
undecidable system (GCJ-02 or WGS84?) asks rather than guesses. Like
:func:`~planner.data.io.import_layer`, these never raise for bad input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from planner.data.checks import (
    REGION_TOLERANCE_M,
    Problem,
    ValidationReport,
    check_geometries,
    check_outside_region,
    clean_codes,
    feature_labels,
    normalise_header,
    parse_numbers,
)
from planner.data.io.result import ImportResult, _Found, _problem_from_error, _reported
from planner.data.io.systems import _reference, _region_geometry, _resolve_crs
from planner.data.io.tables import _read_table
from planner.data.io.vectors import _read_vector
from planner.data.kinds import load_categories
from planner.i18n import DEFAULT_LANGUAGE, PlannerError

__all__ = ["CONSTRAINT_COLUMNS", "import_demand_table", "import_pois", "import_zones"]

#: Output columns of each layer (geometry last).
CONSTRAINT_COLUMNS: dict[str, tuple[str, ...]] = {
    "zones": ("zone_id", "category", "name"),
    "pois": ("poi_id", "category", "name", "weight"),
}
_ID = {"zones": "zone_id", "pois": "poi_id"}
#: Column names a planner's file may use, after :func:`normalise_header`.
_ALIASES: dict[str, tuple[str, ...]] = {
    "category": ("category", "类别", "类型", "分类", "type", "class", "zonetype", "poitype"),
    "name": ("name", "名称", "名字", "title"),
    "id": ("id", "编号", "代码", "code", "zoneid", "poiid", "fid"),
    "weight": ("weight", "权重", "需求", "demand"),
    "county_code": ("countycode", "county", "区县代码", "县代码", "行政区划代码", "code", "代码"),
    "count": ("count", "数量", "车辆数", "保有量", "机动车保有量", "vehicles", "value"),
}


def _column(columns: list[str], field: str, chosen: Mapping[str, str] | None) -> str | None:
    """The source column holding ``field``: the planner's choice, else a known name."""
    if chosen and chosen.get(field) in columns:
        return chosen[field]
    by_header = {normalise_header(c): c for c in columns}
    for alias in _ALIASES[field]:
        if alias in by_header:
            return by_header[alias]
    return None


def _categories(
    values: pd.Series, layer: str, labels: list[str]
) -> tuple[pd.Series, list[Problem]]:
    """Cells as vocabulary ids (an id, a Chinese or an English name is accepted)."""
    vocab = getattr(load_categories(), layer)
    lookup: dict[str, str] = {}
    for category, names in vocab.items():
        for word in (category, names["zh"], names["en"]):
            lookup[normalise_header(word)] = category
    cleaned = values.map(lambda v: "" if pd.isna(v) else lookup.get(normalise_header(v)))
    blank = values.map(lambda v: pd.isna(v) or not str(v).strip()).to_numpy(dtype=bool)
    unknown = cleaned.isna().to_numpy(dtype=bool) & ~blank
    problems = []
    if blank.any():
        problems.append(
            Problem(
                "constraints.category_missing",
                "error",
                count=int(blank.sum()),
                examples=tuple(lab for lab, m in zip(labels, blank, strict=True) if m)[:5],
            )
        )
    if unknown.any():
        seen = sorted({str(v) for v, m in zip(values, unknown, strict=True) if m})
        problems.append(
            Problem(
                "constraints.category_unknown",
                "error",
                count=int(unknown.sum()),
                examples=tuple(seen[:5]),
                params={
                    "known": "、".join(f"{c} ({vocab[c]['zh']})" for c in vocab),
                },
            )
        )
    return cleaned.fillna(""), problems


def _import(
    source: Any,
    layer: str,
    *,
    coordinate_system: str | None,
    column_map: Mapping[str, str] | None,
    region_boundary: Any,
    parents: Mapping[str, gpd.GeoDataFrame] | None,
    lang: str,
    sheet: str | int | None,
    encoding: str | None,
    tolerance_m: float,
) -> ImportResult:
    def run(found: _Found) -> tuple[gpd.GeoDataFrame | None, str | None, dict[str, str]]:
        raw, notes, found.name = _read_vector(source, encoding=encoding, layer=sheet)
        found.problems.extend(notes)
        if len(raw) == 0:
            raise PlannerError("io.empty_file", name=found.name)
        columns = [c for c in raw.columns if c != raw.geometry.name]
        used = {f: _column(columns, f, column_map) for f in ("category", "name", "id", "weight")}
        used = {f: c for f, c in used.items() if c is not None}
        if "category" not in used:
            found.problems.append(
                Problem("constraints.no_category", "error", params={"columns": ", ".join(columns)})
            )
            return None, None, used
        n = len(raw)
        index = pd.RangeIndex(n)
        frame = pd.DataFrame(index=index)
        ids = raw[used["id"]] if "id" in used else pd.Series([""] * n)
        ids = ids.map(lambda v: "" if pd.isna(v) else str(v).strip()).to_numpy()
        prefix = "Z" if layer == "zones" else "P"
        frame[_ID[layer]] = [v or f"{prefix}{i + 1}" for i, v in enumerate(ids)]
        names = raw[used["name"]] if "name" in used else pd.Series([""] * n)
        frame["name"] = names.map(lambda v: "" if pd.isna(v) else str(v).strip()).to_numpy()
        labels = feature_labels(frame.rename(columns={_ID[layer]: "code"}))
        categories, more = _categories(pd.Series(raw[used["category"]].to_numpy()), layer, labels)
        found.problems.extend(more)
        frame["category"] = categories.to_numpy()
        if layer == "pois":
            if "weight" in used:
                weights, more = parse_numbers(
                    pd.Series(raw[used["weight"]].to_numpy(), index=index),
                    field_name="weight",
                    level=layer,
                    labels=labels,
                    integer=False,
                    missing_severity=None,  # a blank weight is 1, as without the column
                )
                found.problems.extend(more)
                frame["weight"] = weights.fillna(1.0).astype(float).to_numpy()
            else:
                frame["weight"] = 1.0
        duplicated = frame[_ID[layer]].duplicated(keep=False).to_numpy()
        if duplicated.any():
            found.problems.append(
                Problem(
                    "constraints.duplicate_id",
                    "error",
                    count=int(duplicated.sum()),
                    examples=tuple(frame[_ID[layer]][duplicated].unique()[:5]),
                )
            )
        gdf = gpd.GeoDataFrame(frame, geometry=raw.geometry.to_numpy(), crs=raw.crs)
        gdf, more = check_geometries(gdf, layer, labels)
        found.problems.extend(more)
        region = _region_geometry(region_boundary)
        converted, system, more = _resolve_crs(gdf, coordinate_system, _reference(region, parents))
        found.problems.extend(more)
        if converted is None:
            return None, system, used
        if region is not None:
            found.problems.extend(
                check_outside_region(
                    converted, region, level=layer, labels=labels, tolerance_m=tolerance_m
                )
            )
        out = gpd.GeoDataFrame(
            pd.DataFrame(converted.drop(columns=converted.geometry.name))[
                list(CONSTRAINT_COLUMNS[layer])
            ],
            geometry=converted.geometry.to_numpy(),
            crs="EPSG:4326",
        )
        return out, system, used

    return _reported(run, lang)


def import_zones(
    source: Any,
    *,
    coordinate_system: str | None = None,
    column_map: Mapping[str, str] | None = None,
    region_boundary: Any = None,
    parents: Mapping[str, gpd.GeoDataFrame] | None = None,
    lang: str = DEFAULT_LANGUAGE,
    layer: str | int | None = None,
    encoding: str | None = None,
    tolerance_m: float = REGION_TOLERANCE_M,
) -> ImportResult:
    """Read, check and convert a file of zones (polygons with ``category`` and ``name``).

    Parameters are those of :func:`~planner.data.io.import_layer` (``column_map`` keys:
    ``category``, ``name``, ``id``).

    Returns
    -------
    ImportResult
        ``data`` has ``zone_id``, ``category`` (a vocabulary id), ``name`` and polygons in
        EPSG:4326; None when the report has errors or needs the planner's input.
    """
    return _import(
        source, "zones", coordinate_system=coordinate_system, column_map=column_map,
        region_boundary=region_boundary, parents=parents, lang=lang, sheet=layer,
        encoding=encoding, tolerance_m=tolerance_m,
    )  # fmt: skip


def import_pois(
    source: Any,
    *,
    coordinate_system: str | None = None,
    column_map: Mapping[str, str] | None = None,
    region_boundary: Any = None,
    parents: Mapping[str, gpd.GeoDataFrame] | None = None,
    lang: str = DEFAULT_LANGUAGE,
    layer: str | int | None = None,
    encoding: str | None = None,
    tolerance_m: float = REGION_TOLERANCE_M,
) -> ImportResult:
    """Read, check and convert a file of points of interest.

    As :func:`import_zones`, for points (a CSV/XLSX with coordinates too); ``weight``
    (需求/权重) is read when the file has it, else 1.

    Returns
    -------
    ImportResult
        ``data`` has ``poi_id``, ``category``, ``name``, ``weight`` and points in EPSG:4326.
    """
    return _import(
        source, "pois", coordinate_system=coordinate_system, column_map=column_map,
        region_boundary=region_boundary, parents=parents, lang=lang, sheet=layer,
        encoding=encoding, tolerance_m=tolerance_m,
    )  # fmt: skip


def import_demand_table(
    source: Any,
    counties: gpd.GeoDataFrame | pd.DataFrame,
    *,
    column_map: Mapping[str, str] | None = None,
    lang: str = DEFAULT_LANGUAGE,
    sheet: str | int | None = None,
    encoding: str | None = None,
) -> tuple[pd.DataFrame | None, ValidationReport]:
    """Read a number per county (e.g. registered vehicles): ``county_code``, ``count``.

    Codes are checked against ``counties`` (a code the region does not have is an
    error), counts are read strictly (:func:`~planner.data.checks.parse_numbers`), and
    a county listed twice is refused. Never raises for bad input.

    Returns
    -------
    tuple
        The table (None when the report has errors) and the report.
    """
    problems: list[Problem] = []
    try:
        frame, notes, _ = _read_table(source, encoding=encoding, sheet=sheet)
        problems.extend(notes)
        columns = list(frame.columns)
        code_col = _column(columns, "county_code", column_map)
        count_col = _column([c for c in columns if c != code_col], "count", column_map)
        if code_col is None or count_col is None:
            problems.append(
                Problem(
                    "constraints.table_columns", "error", params={"columns": ", ".join(columns)}
                )
            )
            return None, ValidationReport(tuple(problems), lang=lang)
        labels = [f"#{i + 1}" for i in range(len(frame))]
        codes, more = clean_codes(frame[code_col], 6, level="counties", labels=labels)
        problems.extend(more)
        counts, more = parse_numbers(
            frame[count_col], field_name="count", level="counties", labels=labels,
            missing_severity="error",
        )  # fmt: skip
        problems.extend(more)
        known = set(counties["code"].astype(str))
        strange = ~codes.isin(known).to_numpy() & (codes != "").to_numpy()
        if strange.any():
            problems.append(
                Problem(
                    "constraints.table_unknown_county",
                    "error",
                    count=int(strange.sum()),
                    examples=tuple(codes[strange].unique()[:5]),
                )
            )
        twice = codes.duplicated(keep=False).to_numpy() & (codes != "").to_numpy()
        if twice.any():
            problems.append(
                Problem(
                    "constraints.table_duplicate_county",
                    "error",
                    count=int(twice.sum()),
                    examples=tuple(codes[twice].unique()[:5]),
                )
            )
        out = pd.DataFrame({"county_code": codes.astype(str), "count": counts.astype(float)})
    except PlannerError as exc:
        problems.append(_problem_from_error(exc))
        return None, ValidationReport(tuple(problems), lang=lang)
    report = ValidationReport(tuple(problems), lang=lang)
    return (out.reset_index(drop=True) if report.ok else None), report
