"""The steps of an import after the reader: the planner's choices applied to the new
layer, what it keeps from the layer it replaces, and what it means for the region.

Each step takes the layer and the list of problems so far and returns a new layer;
nothing given is modified (the problem list is the import's own).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import geopandas as gpd
import pandas as pd

from planner.data import io as planner_io
from planner.data.checks import COLUMNS, FIELD_KEYS, STATUS_VALUES, Problem, Term, level_term
from planner.data.edit.uploads import QUALITY_KEYS, SITE_STATUS_KEYS, ImportFile
from planner.data.regions import Region

_PARENTS = {"townships": "counties", "communities": "townships"}
_CHILDREN = {"counties": "townships", "townships": "communities"}
_CHILD_COLUMN = {"counties": "county_code", "townships": "township_code"}
#: Columns kept from the layer an import replaces when the new file brings none.
_CARRY_COLUMNS = {
    "counties": ("population", "households", "urban_share", "household_size"),
    "townships": ("population", "households", "population_quality"),
    "communities": ("population", "households", "population_quality"),
}


def _source_note(level: str, upload: ImportFile, system: str | None, table: bool) -> str:
    """The line the region's ``sources`` gets for an import."""
    what = "population table" if table else "layer"
    crs = f"; coordinates read as {system}" if system else ""
    day = _dt.date.today().isoformat()
    return f"{level}: {what} imported from {upload.name} on {day}{crs}"


def _set_quality(
    layer: gpd.GeoDataFrame,
    level: str,
    quality: str,
    columns: Mapping[str, str],
    problems: list[Problem],
) -> gpd.GeoDataFrame:
    """Apply the planner's geometry-quality choice (``file`` keeps what the reader set)."""
    if "geometry_quality" not in COLUMNS.get(level, ()):
        return layer
    if quality == "file" and "geometry_quality" in columns:
        return layer
    value = "approximate" if quality == "approximate" else "official"
    layer = layer.copy()
    layer["geometry_quality"] = pd.Series([value] * len(layer), index=layer.index, dtype="str")
    problems[:] = [p for p in problems if p.key != "validate.points_only"]
    problems.append(
        Problem(
            "ui.import.quality_set",
            "fixed",
            count=len(layer),
            params={"level": level_term(level), "value": Term(QUALITY_KEYS[value])},
        )
    )
    return layer


def _is_field(problem: Problem, key: str, name: str) -> bool:
    """Whether ``problem`` is the reader's ``key`` about the field ``name``."""
    field_param = problem.params.get("field")
    return problem.key == key and getattr(field_param, "key", "") == FIELD_KEYS[name]


def _site_status(
    layer: gpd.GeoDataFrame,
    status: str | None,
    columns: Mapping[str, str],
    problems: list[Problem],
) -> gpd.GeoDataFrame:
    """Give every site the planner's status when the file has no status column."""
    if status not in STATUS_VALUES or "status" in columns:
        return layer
    layer = layer.copy()
    layer["status"] = pd.Series([status] * len(layer), index=layer.index, dtype="str")
    problems[:] = [p for p in problems if not _is_field(p, "validate.default_value", "status")]
    problems.append(
        Problem(
            "ui.import.status_default",
            "fixed",
            count=len(layer),
            params={"value": Term(SITE_STATUS_KEYS[status])},
        )
    )
    return layer


def _carry_population(
    new: gpd.GeoDataFrame,
    old: gpd.GeoDataFrame | None,
    level: str,
    columns: Mapping[str, str],
    problems: list[Problem],
) -> gpd.GeoDataFrame:
    """Keep the previous population (matched by code) when the new layer brings none.

    Official boundary files often carry no population; dropping the census figures (or
    the labelled estimates) of the layer they replace would leave planning without
    demand. Columns the file does provide are never overwritten.
    """
    if old is None or "population" in columns or not {"code", "population"} <= set(old.columns):
        return new
    previous = pd.DataFrame(old.drop(columns=old.geometry.name)).drop_duplicates("code")
    previous.index = previous["code"].astype(str)
    codes = new["code"].astype(str)
    hit = codes.isin(previous.index) & codes.map(previous["population"]).notna()
    if not hit.any():
        return new
    out = new.copy()
    for column in _CARRY_COLUMNS.get(level, ()):
        if column not in previous or column in columns:
            continue
        values = codes.map(previous[column]).where(hit)
        if column in out:
            values = values.where(hit, out[column])
        if column in ("population", "households"):
            values = pd.to_numeric(values, errors="coerce").round().astype("Int64")
        out[column] = values
    if hit.all():
        problems[:] = [
            p
            for p in problems
            if not _is_field(p, "validate.optional_column_missing", "population")
        ]
    problems.append(
        Problem(
            "ui.import.population_kept",
            "fixed",
            count=int(hit.sum()),
            params={"level": level_term(level)},
        )
    )
    return out


def _township_seats(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Seat columns the app reads for townships: the polygon's representative point."""
    if {"seat_lon", "seat_lat", "seat_source"} <= set(layer.columns):
        return layer
    out = layer.copy()
    points = layer.geometry.representative_point()
    out["seat_lon"] = points.x.round(7).to_numpy()
    out["seat_lat"] = points.y.round(7).to_numpy()
    out["seat_source"] = "generated:representative_point"
    return out


def _orphans(region: Region, level: str, layer: gpd.GeoDataFrame) -> list[Problem]:
    """Children of ``region`` whose parent code is missing from the new ``layer``."""
    child_level = _CHILDREN.get(level)
    if child_level is None:
        return []
    child = region.layer(child_level)
    column = _CHILD_COLUMN[level]
    if child is None or column not in child or "code" not in layer:
        return []
    codes = child[column].astype(str)
    missing = ~codes.isin(set(layer["code"].astype(str)))
    if not missing.any():
        return []
    return [
        Problem(
            "ui.import.children_orphaned",
            "warning",
            count=int(missing.sum()),
            examples=tuple(sorted(set(codes[missing])))[:5],
            params={"level": level_term(level), "child": level_term(child_level)},
        )
    ]


def _planning_gaps(region: Region) -> list[Problem]:
    """Communities without population or households (planning needs both)."""
    comms = region.communities
    gaps = pd.Series(False, index=comms.index)
    for column in ("population", "households"):
        gaps |= comms[column].isna() if column in comms else True
    if not gaps.any():
        return []
    return [Problem("ui.import.planning_needs_population", "warning", count=int(gaps.sum()))]


def _with_sources(region: Region, note: str) -> Region:
    """``region`` with ``note`` added to its sources (and no pack folder: it is new)."""
    sources = [str(s) for s in region.meta.get("sources", []) or []]
    meta = {**region.meta, "sources": [*sources, note]}
    if region.meta.get("sources_zh"):  # the Chinese list keeps up, or it would hide the note
        meta["sources_zh"] = [*(str(s) for s in region.meta["sources_zh"]), note]
    return replace(region, meta=meta, path=None)


def _parents_of(region: Region) -> dict[str, gpd.GeoDataFrame]:
    """The layers a new layer is checked against."""
    return {"counties": region.counties, "townships": region.townships}


def _import_level(
    upload: ImportFile,
    level: str,
    *,
    parents: Mapping[str, gpd.GeoDataFrame],
    boundary: Any,
    old: gpd.GeoDataFrame | None,
    quality: str,
    site_status: str | None,
    lang: str,
) -> tuple[planner_io.ImportResult, list[Problem], gpd.GeoDataFrame | None]:
    """Read ``upload`` as a layer of ``level`` and apply the planner's choices to it."""
    result = planner_io.import_layer(
        upload.handle(),
        level,
        coordinate_system=upload.coordinate_system,
        column_map=dict(upload.column_map) or None,
        parents=parents or None,
        region_boundary=boundary,
        lang=lang,
        layer=upload.layer,
    )
    problems = list(result.report.problems)
    if not result.ok:
        return result, problems, None
    layer = result.data
    if level == "sites":
        layer = _site_status(layer, site_status, result.columns, problems)
    else:
        layer = _set_quality(layer, level, quality, result.columns, problems)
        layer = _carry_population(layer, old, level, result.columns, problems)
    if level == "townships":
        layer = _township_seats(layer)
    return result, problems, layer


def _import_population(
    upload: ImportFile,
    level: str,
    layer: gpd.GeoDataFrame,
    parents: Mapping[str, gpd.GeoDataFrame],
    join_on: str | None,
    lang: str,
) -> tuple[planner_io.ImportResult, list[Problem], gpd.GeoDataFrame | None]:
    """Join the population table ``upload`` onto ``layer``; the rows it set become
    ``official`` population."""
    kwargs = {
        "join_on": join_on,
        "column_map": dict(upload.column_map) or None,
        "sheet": upload.layer,
    }
    result = planner_io.import_population(
        upload.handle(), level, layer, lang=lang, parents=parents or None, **kwargs
    )
    problems = list(result.report.problems)
    if not result.ok:
        return result, problems, None
    out = result.data
    if "population_quality" in out:
        # Which rows the table set: join again onto a copy without population.
        blank = layer.copy()
        blank["population"] = pd.Series(pd.NA, index=blank.index, dtype="Int64")
        probe = planner_io.import_population(upload.handle(), level, blank, **kwargs)
        if probe.data is not None:
            from_table = pd.Series(probe.data["population"].notna().to_numpy(), index=out.index)
            out = out.copy()
            out["population_quality"] = out["population_quality"].mask(from_table, "official")
            if from_table.any():
                problems.append(
                    Problem(
                        "ui.import.population_official",
                        "fixed",
                        count=int(from_table.sum()),
                        params={"level": level_term(level)},
                    )
                )
    return result, problems, out
