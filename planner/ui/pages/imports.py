"""Import panel: official files into the current region, or a new city from uploads.

A planner can replace any layer of the region on screen (counties, townships,
communities), add existing recycling sites (keep / close), join a population table to a
layer, or set up a new city from uploads alone, and save the result as a region pack.

The Streamlit part (:func:`render_import_panel`) is thin. Everything that happens after
an upload is a plain function taking bytes and a file name — :func:`import_into_region`,
:func:`new_city`, :func:`save_as_region` — that never raises and never modifies the
region it is given, so a failed import changes nothing already loaded.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import html
import io as _stdio
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from planner.data import io as planner_io
from planner.data.crs import local_metric_crs
from planner.data.regions import LAYERS, Region, save_region, user_region_dir
from planner.data.checks import (
    COLUMNS,
    SEVERITIES,
    STATUS_VALUES,
    Problem,
    Term,
    ValidationReport,
    level_term,
    match_columns,
)
from planner.i18n import DEFAULT_LANGUAGE, LANGUAGES, PlannerError, known, t
from planner.ui.state import WORKING_REGION, lang, tr
from planner.ui.widgets.views import show_map
from planner.views.maps import layer_map, to_html

__all__ = [
    "CRS_OPTIONS",
    "TARGETS",
    "CityOutcome",
    "ImportFile",
    "Outcome",
    "coordinate_system",
    "import_into_region",
    "new_city",
    "new_city_meta",
    "render_import_panel",
    "save_as_region",
    "source_columns",
    "upload_refusal",
]

logger = logging.getLogger("planner.ui.import")

#: What can be imported into a region: a layer, or a population table for a layer.
TARGETS: tuple[str, ...] = ("counties", "townships", "communities", "sites", "population")
POPULATION_LEVELS: tuple[str, ...] = ("counties", "townships", "communities")
#: Coordinate-system choices offered to the planner ("auto" detects, "epsg" asks a code).
CRS_OPTIONS: tuple[str, ...] = ("auto", "wgs84", "gcj02", "bd09", "cgcs2000", "epsg")
QUALITY_OPTIONS: tuple[str, ...] = ("official", "approximate", "file")
#: File types the uploaders accept. ``.shp`` and ``.xls`` are accepted so that the
#: planner gets the reader's explanation (zip the Shapefile, save as .xlsx), not a refusal.
VECTOR_TYPES = ["geojson", "json", "gpkg", "zip", "shp", "kml", "csv", "txt", "xlsx", "xlsm"]
TABLE_TYPES = ["csv", "txt", "xlsx", "xlsm", "xls"]
_PARENTS = {"townships": "counties", "communities": "townships"}
_CHILDREN = {"counties": "townships", "townships": "communities"}
_CHILD_COLUMN = {"counties": "county_code", "townships": "township_code"}
_CARRY_COLUMNS = {
    "counties": ("population", "households", "urban_share", "household_size"),
    "townships": ("population", "households", "population_quality"),
    "communities": ("population", "households", "population_quality"),
}
_SEVERITY_STYLE = {
    "error": ("#f8d7da", "#842029"),
    "needs_input": ("#fff3cd", "#664d03"),
    "warning": ("#fff8e1", "#7a5b00"),
    "fixed": ("#d1e7dd", "#0f5132"),
}



# --------------------------------------------------------------------------- pure logic


@dataclass(frozen=True)
class ImportFile:
    """An uploaded file and the planner's choices for it.

    Parameters
    ----------
    name
        File name as uploaded (its suffix selects the reader).
    data
        The file's bytes.
    layer
        Layer, Shapefile or worksheet to read when the file holds several.
    coordinate_system
        ``"wgs84"``, ``"gcj02"``, ``"bd09"``, ``"cgcs2000"``, ``"EPSG:nnnn"`` or None to
        use the declared system or detect it.
    column_map
        ``{field: source column}`` overrides of the recognised column names.
    """

    name: str
    data: bytes
    layer: str | None = None
    coordinate_system: str | None = None
    column_map: Mapping[str, str] = field(default_factory=dict)

    def handle(self) -> _stdio.BytesIO:
        """A fresh file object with ``.name``, as :mod:`planner.data.io` expects."""
        buffer = _stdio.BytesIO(self.data)
        buffer.name = self.name
        return buffer

    def signature(self) -> tuple:
        """A hashable fingerprint of the file and the choices."""
        digest = hashlib.sha1(self.data).hexdigest()
        return (
            self.name,
            digest,
            self.layer,
            self.coordinate_system,
            tuple(sorted(self.column_map.items())),
        )


@dataclass(frozen=True)
class Outcome:
    """What one import would do to a region.

    Attributes
    ----------
    target
        ``counties``, ``townships``, ``communities``, ``sites`` or ``population``.
    level
        The layer the import changes.
    report
        The reader's report plus the panel's own notes.
    layer
        The new layer, or None when the import is refused or needs a choice.
    region
        The region with the new layer, or None. The input region is never modified.
    coordinate_system, columns
        As in :class:`planner.data.io.ImportResult`.
    file_name
        The uploaded file's name.
    """

    target: str
    level: str
    report: ValidationReport
    layer: gpd.GeoDataFrame | None = None
    region: Region | None = None
    coordinate_system: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    file_name: str = ""

    @property
    def ok(self) -> bool:
        """Whether the import succeeded (a new layer is available)."""
        return self.layer is not None and self.report.ok


@dataclass(frozen=True)
class CityOutcome:
    """A new city assembled from uploads: one outcome per step, and the region if all pass."""

    steps: Mapping[str, Outcome]
    region: Region | None = None
    missing: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every layer passed and the city can be saved."""
        return self.region is not None


def coordinate_system(option: str, epsg: str = "") -> str | None:
    """The ``coordinate_system`` argument for :mod:`planner.data.io` from the panel's choice.

    ``"auto"`` gives None (declared or detected); ``"epsg"`` gives ``"EPSG:<code>"`` from
    the typed code (``4549``, ``EPSG:4549``); an empty code also gives None.
    """
    if option in (None, "", "auto"):
        return None
    if option == "epsg":
        code = re.sub(r"(?i)^\s*epsg\s*:?\s*", "", str(epsg or "")).strip()
        return f"EPSG:{code}" if code else None
    return option


def source_columns(upload: ImportFile, table: bool = False) -> list[str]:
    """Column names of the uploaded file (for the mapping choices); [] when unreadable."""
    try:
        if table:
            frame = planner_io.read_table(upload.handle(), sheet=upload.layer)
            return [str(c) for c in frame.columns]
        gdf = planner_io.read_vector(upload.handle(), layer=upload.layer)
        return [str(c) for c in gdf.columns if c != gdf.geometry.name]
    except Exception:  # the import itself explains why the file cannot be read
        return []


def _failure(target: str, level: str, exc: BaseException, name: str, lang: str) -> Outcome:
    logger.exception("import of %s failed unexpectedly", name)
    problem = Problem(
        "io.unexpected_error",
        "error",
        params={"name": name, "details": f"{type(exc).__name__}: {exc}"[:1000]},
    )
    return Outcome(target, level, ValidationReport((problem,), lang=lang), file_name=name)


def _source_note(level: str, upload: ImportFile, system: str | None, table: bool) -> str:
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
            params={"level": level_term(level), "value": Term(f"ui.import.quality.{value}")},
        )
    )
    return layer


def _is_field(problem: Problem, key: str, name: str) -> bool:
    """Whether ``problem`` is the reader's ``key`` about the field ``name``."""
    field_param = problem.params.get("field")
    return problem.key == key and getattr(field_param, "key", "") == f"validate.field.{name}"


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
            params={"value": Term(f"ui.import.status.{status}")},
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
    comms = region.communities
    gaps = pd.Series(False, index=comms.index)
    for column in ("population", "households"):
        gaps |= comms[column].isna() if column in comms else True
    if not gaps.any():
        return []
    return [Problem("ui.import.planning_needs_population", "warning", count=int(gaps.sum()))]


def _with_sources(region: Region, note: str) -> Region:
    sources = [str(s) for s in region.meta.get("sources", []) or []]
    return replace(region, meta={**region.meta, "sources": [*sources, note]}, path=None)


def _parents_of(region: Region) -> dict[str, gpd.GeoDataFrame]:
    return {"counties": region.counties, "townships": region.townships}


def _finish(
    target: str,
    level: str,
    upload: ImportFile,
    result: planner_io.ImportResult,
    problems: list[Problem],
    layer: gpd.GeoDataFrame | None,
    region: Region | None,
    lang: str,
) -> Outcome:
    report = ValidationReport(tuple(problems), lang=lang)
    ok = layer is not None and report.ok
    return Outcome(
        target,
        level,
        report,
        layer if ok else None,
        region if ok else None,
        result.coordinate_system,
        dict(result.columns),
        upload.name,
    )


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


def import_into_region(
    region: Region,
    target: str,
    upload: ImportFile,
    *,
    population_level: str = "communities",
    quality: str = "official",
    site_status: str | None = None,
    join_on: str | None = None,
    lang: str = DEFAULT_LANGUAGE,
) -> Outcome:
    """Check ``upload`` as ``target`` of ``region`` and build the region with it applied.

    Parameters
    ----------
    region
        The region on screen; it is not modified.
    target
        One of :data:`TARGETS`.
    upload
        The file and the planner's choices (layer, coordinate system, columns).
    population_level
        For ``target="population"``: the layer the table belongs to.
    quality
        Geometry quality of a new layer: ``"official"`` (default), ``"approximate"``, or
        ``"file"`` to keep the file's own quality column.
    site_status
        Status given to sites when the file has no status column (default: the
        reader's ``existing_keep``).
    join_on
        For population tables: ``"code"``, ``"name"`` or None (automatic).
    lang
        Default language of the report.

    Returns
    -------
    Outcome
        ``region`` is the new region when the import passes, else None. Never raises.
    """
    level = population_level if target == "population" else target
    try:
        if target not in TARGETS or level not in (*LAYERS, "sites"):
            raise ValueError(f"unknown import target {target!r}/{level!r}")
        parents = _parents_of(region)
        if target == "population":
            parent = _PARENTS.get(level)
            result, problems, layer = _import_population(
                upload,
                level,
                region.layer(level),
                {parent: parents[parent]} if parent else {},
                join_on,
                lang,
            )
        else:
            above = {"counties": (), "townships": ("counties",)}.get(level, tuple(parents))
            result, problems, layer = _import_level(
                upload,
                level,
                parents={k: parents[k] for k in above},
                boundary=region.counties,
                old=region.layer(level),
                quality=quality,
                site_status=site_status,
                lang=lang,
            )
        new_region = None
        if layer is not None:
            problems.extend(_orphans(region, level, layer))
            note = _source_note(level, upload, result.coordinate_system, target == "population")
            new_region = _with_sources(region.with_layer(level, layer), note)
            if level == "counties":
                metric = local_metric_crs(layer).to_string()
                new_region = replace(new_region, meta={**new_region.meta, "metric_crs": metric})
            problems.extend(_planning_gaps(new_region))
        return _finish(target, level, upload, result, problems, layer, new_region, lang)
    except Exception as exc:  # never a traceback: the planner sees a plain message
        return _failure(target, level, exc, upload.name, lang)


def new_city_meta(
    counties: gpd.GeoDataFrame,
    *,
    name_zh: str = "",
    name_en: str = "",
    sources: list[str] | None = None,
    approximate: bool = False,
) -> dict[str, Any]:
    """``region.json`` contents for a city set up from uploads.

    ``adcode`` is the single county's code, else the prefecture (``330300``) or province
    (``330000``) the county codes share; ``metric_crs`` is the UTM zone of the counties.
    """
    codes = sorted(str(c) for c in counties["code"])
    common = codes[0][: next((i for i in range(6) if len({c[i] for c in codes}) > 1), 6)]
    if len(codes) == 1:
        adcode = codes[0]
    elif len(common) >= 4:
        adcode = common[:4] + "00"
    elif len(common) >= 2:
        adcode = common[:2] + "0000"
    else:
        adcode = ""
    return {
        "name_zh": name_zh,
        "name_en": name_en,
        "adcode": adcode,
        "metric_crs": local_metric_crs(counties).to_string(),
        "built_in": False,
        "geometry_note": "approximate" if approximate else "official",
        "sources": list(sources or []),
    }


def new_city(
    counties: ImportFile | None,
    townships: ImportFile | None,
    communities: ImportFile | None,
    population: ImportFile | None = None,
    *,
    population_level: str = "communities",
    quality: str = "official",
    join_on: str | None = None,
    lang: str = DEFAULT_LANGUAGE,
) -> CityOutcome:
    """Check the uploads of a new city layer by layer and assemble the region.

    Each layer is checked against the ones above it (townships against counties,
    communities against both); a layer is only checked once the one above it passed.
    The optional population table is joined onto ``population_level``.

    Returns
    -------
    CityOutcome
        One :class:`Outcome` per checked step; ``region`` (id ``"new-city"``) when all
        three layers — and the population table, if given — passed. Never raises.
    """
    uploads = {"counties": counties, "townships": townships, "communities": communities}
    missing = tuple(level for level, up in uploads.items() if up is None)
    steps: dict[str, Outcome] = {}
    layers: dict[str, gpd.GeoDataFrame] = {}
    sources: list[str] = []
    for level, upload in uploads.items():
        if upload is None:
            break
        parent = _PARENTS.get(level)
        if parent is not None and parent not in layers:
            break
        try:
            result, problems, layer = _import_level(
                upload,
                level,
                parents=dict(layers),
                boundary=layers.get("counties"),
                old=None,
                quality=quality,
                site_status=None,
                lang=lang,
            )
        except Exception as exc:
            steps[level] = _failure(level, level, exc, upload.name, lang)
            break
        steps[level] = _finish(level, level, upload, result, problems, layer, None, lang)
        if not steps[level].ok:
            break
        layers[level] = steps[level].layer
        sources.append(_source_note(level, upload, result.coordinate_system, False))
    if len(layers) < 3:
        return CityOutcome(steps, None, missing)
    if population is not None:
        try:
            level = population_level
            parent = _PARENTS.get(level)
            result, problems, layer = _import_population(
                population,
                level,
                layers[level],
                {parent: layers[parent]} if parent else {},
                join_on,
                lang,
            )
        except Exception as exc:
            steps["population"] = _failure(
                "population", population_level, exc, population.name, lang
            )
            return CityOutcome(steps, None, missing)
        steps["population"] = _finish(
            "population", level, population, result, problems, layer, None, lang
        )
        if not steps["population"].ok:
            return CityOutcome(steps, None, missing)
        layers[level] = layer
        sources.append(_source_note(level, population, None, True))
    try:
        meta = new_city_meta(
            layers["counties"],
            sources=sources,
            approximate=any(
                (layers[lv]["geometry_quality"] == "approximate").any()
                for lv in ("townships", "communities")
            ),
        )
        region = Region(id="new-city", meta=meta, **layers)
        gaps = _planning_gaps(region)
        if gaps:
            last = "population" if "population" in steps else "communities"
            step = steps[last]
            steps[last] = replace(step, report=step.report + gaps)
    except Exception as exc:
        steps["communities"] = _failure("communities", "communities", exc, "", lang)
        return CityOutcome(steps, None, missing)
    return CityOutcome(steps, region, missing)


def _user_region_exists(region_id: str) -> bool:
    return (user_region_dir() / region_id / "region.json").exists()


def save_as_region(
    region: Region,
    region_id: str,
    *,
    name_zh: str,
    name_en: str = "",
    adcode: str = "",
    overwrite: bool = False,
    lang: str = DEFAULT_LANGUAGE,
) -> tuple[Path | None, str | None]:
    """Save ``region`` as the user region ``region_id`` with the given names.

    Returns
    -------
    (path, None) on success, (None, message in ``lang``) otherwise. Never raises; an
    existing user region of that id is only replaced with ``overwrite=True``.
    """
    region_id = (region_id or "").strip()
    name_zh = (name_zh or "").strip()
    adcode = (adcode or "").strip()
    if not region_id:
        return None, t("ui.import.id_required", lang)
    if not name_zh:
        return None, t("ui.import.name_required", lang)
    if adcode and not re.fullmatch(r"\d{6}", adcode):
        return None, t("ui.import.bad_adcode", lang, adcode=adcode)
    try:
        if _user_region_exists(region_id) and not overwrite:
            return None, t("ui.import.exists", lang, id=region_id)
        meta = {
            **region.meta,
            "name_zh": name_zh,
            "name_en": (name_en or "").strip() or region_id,
            "built_in": False,
            "geometry_note": "approximate" if region.is_approximate else "official",
        }
        if adcode:
            meta["adcode"] = adcode
        path = save_region(replace(region, id=region_id, meta=meta), region_id)
    except PlannerError as err:
        return None, t("ui.import.save_failed", lang, message=err.message(lang))
    except Exception as err:
        logger.exception("saving region %s failed", region_id)
        return None, t("ui.import.save_failed", lang, message=type(err).__name__)
    return path, None


# --------------------------------------------------------------------------- Streamlit


_WORKING = WORKING_REGION
_FLASH = "imp_flash"
_MEMO = "imp_memo"
_ROUND = "imp_round"
_tr = tr
_lang = lang


def _memo(slot: str, signature: tuple, compute):
    """Compute once per (slot, signature): Streamlit reruns the script on every click."""
    memo = st.session_state.setdefault(_MEMO, {})
    hit = memo.get(slot)
    if hit is not None and hit[0] == signature:
        return hit[1]
    value = compute()
    memo[slot] = (signature, value)
    return value


def _flash(kind: str, text: str) -> None:
    st.session_state[_FLASH] = (kind, text)


def _next_round() -> None:
    """Start over with empty uploaders (their keys carry the round number)."""
    st.session_state[_ROUND] = st.session_state.get(_ROUND, 0) + 1
    st.session_state.pop(_MEMO, None)


def _key(slot: str, name: str) -> str:
    return f"imp_{slot}_{name}_{st.session_state.get(_ROUND, 0)}"


def _choice_key(key: str, options: Sequence[Any] | None = None) -> str:
    """Key of a choice widget whose labels follow the UI language.

    Streamlit keeps a select box's or radio's value as its displayed label, so a label
    that changes with the language would leave the widget showing nothing. Each language
    gets its own key; the chosen value is carried over from the other language's key. A
    remembered value that is no longer among ``options`` (another file was uploaded) is
    forgotten.
    """
    own = f"{key}@{_lang()}"
    state = st.session_state
    if own not in state:
        for other in LANGUAGES:
            if f"{key}@{other}" in state:
                state[own] = state[f"{key}@{other}"]
                break
    if options is not None and own in state and state[own] not in options:
        del state[own]
    return own


def _labels(prefix: str, options: Sequence[str]):
    """A ``format_func`` with the labels fixed now, in this run's language.

    (A lambda would translate when called, which need not be in this run.)
    """
    return {o: _tr(f"{prefix}.{o}") for o in options}.get


def _system_label(system: str) -> str:
    if known(f"io.system.{system}"):
        return _tr(f"io.system.{system}")
    return str(system)


def _crs_inputs(slot: str) -> str | None:
    """The coordinate system chosen for the file; ``""`` while an EPSG code is awaited."""
    left, right = st.columns([2, 1])
    option = left.selectbox(
        _tr("ui.import.crs"),
        CRS_OPTIONS,
        format_func=_labels("ui.import.crs", CRS_OPTIONS),
        key=_choice_key(_key(slot, "crs")),
        help=_tr("ui.import.crs_help"),
    )
    epsg = ""
    if option == "epsg":
        epsg = right.text_input(
            _tr("ui.import.epsg"), key=_key(slot, "epsg"), help=_tr("ui.import.epsg_help")
        )
        if coordinate_system(option, epsg) is None:
            st.warning(_tr("ui.import.epsg_missing"))
            return ""
    return coordinate_system(option, epsg)


def _pick_crs(slot: str, system: str) -> None:
    crs_key = _choice_key(_key(slot, "crs"))
    if system in CRS_OPTIONS:
        st.session_state[crs_key] = system
    else:
        st.session_state[crs_key] = "epsg"
        st.session_state[_key(slot, "epsg")] = system.split(":")[-1]


def _ask_crs(slot: str, report: ValidationReport) -> None:
    """Offer the candidate systems of an undecided file as buttons."""
    problem = report.find("io.crs_ambiguous")
    if problem is None:
        return
    st.markdown(f"**{html.escape(_tr('ui.import.crs_question'))}**")
    candidates = list(problem.examples)[:6]
    cols = st.columns(max(len(candidates), 1))
    for col, system in zip(cols, candidates, strict=False):
        col.button(
            _system_label(system),
            key=_key(slot, f"pick_{system}"),
            on_click=_pick_crs,
            args=(slot, system),
        )


def _layer_input(slot: str, upload: ImportFile) -> str | None:
    layers = _memo(
        f"{slot}:layers", upload.signature()[:2], lambda: planner_io.list_layers(upload.handle())
    )
    if len(layers) <= 1:
        return None
    choice = st.selectbox(
        _tr("ui.import.layer"),
        ["", *layers],
        format_func={"": _tr("ui.import.layer_auto"), **{n: n for n in layers}}.get,
        key=_choice_key(_key(slot, "layer"), ["", *layers]),
    )
    return choice or None


def _fields(level: str, table: bool) -> list[str]:
    if table:
        return [c for c in ("code", "name", "population", "households") if c in COLUMNS[level]]
    return list(COLUMNS[level])


def _columns_of(slot: str, upload: ImportFile, table: bool) -> list[str]:
    return _memo(
        f"{slot}:columns",
        (*upload.signature()[:3], table),
        lambda: source_columns(upload, table=table),
    )


def _has_quality_column(columns: list[str], level: str) -> bool:
    mapping, _ = match_columns(columns, level, wanted=("geometry_quality",), required=())
    return "geometry_quality" in mapping


def _mapping_inputs(
    slot: str, upload: ImportFile, level: str, table: bool, expanded: bool
) -> tuple[dict[str, str], str | None]:
    columns = _columns_of(slot, upload, table)
    column_map: dict[str, str] = {}
    join_on = None
    with st.expander(_tr("ui.import.mapping"), expanded=expanded):
        st.caption(_tr("ui.import.mapping_help"))
        if table:
            join = st.radio(
                _tr("ui.import.join_on"),
                ["auto", "code", "name"],
                format_func=_labels("ui.import.join", ["auto", "code", "name"]),
                horizontal=True,
                key=_choice_key(_key(slot, "join")),
            )
            join_on = None if join == "auto" else join
        cols = st.columns(3)
        auto_label = {"": _tr("ui.import.mapping_auto"), **{c: c for c in columns}}.get
        for i, name in enumerate(_fields(level, table)):
            choice = cols[i % 3].selectbox(
                t(f"validate.field.{name}", _lang()),
                ["", *columns],
                format_func=auto_label,
                key=_choice_key(_key(slot, f"map_{name}"), ["", *columns]),
            )
            if choice:
                column_map[name] = choice
    return column_map, join_on


def _report_html(frame: pd.DataFrame, severities: list[str]) -> str:
    """The report table as HTML: one coloured row per problem, empty columns left out."""
    keep = [c for i, c in enumerate(frame.columns) if i < 3 or frame[c].astype(bool).any()]
    widths = {0: "8em", 1: "55%", 2: "5em"}
    head = "".join(
        f'<th style="text-align:left;padding:4px 8px;width:{widths.get(i, "auto")}">'
        f"{html.escape(str(c))}</th>"
        for i, c in enumerate(keep)
    )
    rows = []
    for (_, row), severity in zip(frame[keep].iterrows(), severities, strict=True):
        background, colour = _SEVERITY_STYLE[severity]
        cells = []
        for i, value in enumerate(row):
            style = "padding:4px 8px;vertical-align:top"
            if i == 2:
                style += ";text-align:right;white-space:nowrap"
                value = f"{int(value):,}"
            elif i == 0:
                style += ";font-weight:600;white-space:nowrap"
            elif i >= 3:
                style += ";font-size:0.85em"
            cells.append(f'<td style="{style}">{html.escape(str(value))}</td>')
        rows.append(
            f'<tr class="imp-row imp-{severity}" style="background:{background};color:{colour};'
            f'border-top:1px solid #fff">{"".join(cells)}</tr>'
        )
    return (
        '<table class="imp-report" style="width:100%;border-collapse:collapse;'
        'font-size:0.9em;margin-bottom:0.5em">'
        f'<thead><tr style="border-bottom:1px solid #ccc">{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _show_report(
    report: ValidationReport, ok: bool, count: int, level: str, slot: str | None = None
) -> None:
    """Status line, coloured counts, the coordinate question if any, the report in colour."""
    lang = _lang()
    if ok:
        st.success(_tr("ui.import.ok", count=f"{count:,}", level=level_term(level).render(lang)))
    elif report.needs_input and not report.errors:
        st.warning(_tr("ui.import.needs_choice"))
    else:
        st.error(_tr("ui.import.refused"))
    chips = []
    for severity in SEVERITIES:
        n = sum(p.severity == severity for p in report.problems)
        background, colour = _SEVERITY_STYLE[severity]
        label = html.escape(t("validate.severity." + severity, lang))
        faded = "opacity:0.45;" if n == 0 else ""
        chips.append(
            f'<span class="imp-chip imp-{severity}" style="background:{background};{faded}'
            f"color:{colour};border-radius:4px;padding:2px 8px;margin-right:6px;"
            f'font-weight:600;white-space:nowrap">{label} {n}</span>'
        )
    colon = "：" if lang == "zh" else ": "
    title = html.escape(_tr("ui.import.report"))
    st.markdown(f"**{title}**{colon}" + "".join(chips), unsafe_allow_html=True)
    if slot is not None:
        _ask_crs(slot, report)
    if not report.problems:
        st.caption(_tr("ui.import.no_problems"))
        return
    frame = report.to_frame(lang)
    severities = [p.severity for p in report.problems]
    st.markdown(_report_html(frame, severities), unsafe_allow_html=True)


def _columns_used(columns: Mapping[str, str]) -> None:
    """Which source column fed each field."""
    if not columns:
        return
    lang = _lang()
    sep, colon = ("；", "：") if lang == "zh" else ("; ", ": ")
    pairs = sep.join(f"{t('validate.field.' + f, lang)} ← {c}" for f, c in columns.items())
    st.caption(f"{_tr('ui.import.mapping_used')}{colon}{pairs}")


def _preview(layer: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame | None) -> None:
    st.markdown(f"**{html.escape(_tr('ui.import.preview'))}**")
    show_map(to_html(layer_map(layer, _lang(), boundary=boundary)), height=420)
    rows = pd.DataFrame(layer.drop(columns=layer.geometry.name)).head(100)
    lang = _lang()
    rows.columns = [
        t(f"validate.field.{c}", lang) if known(f"validate.field.{c}") else c for c in rows.columns
    ]
    st.caption(_tr("ui.import.rows", count=len(rows)))
    st.dataframe(rows, hide_index=True, height=min(36 + 35 * len(rows), 250))


def _apply(region: Region, what: str, name: str) -> None:
    st.session_state[_WORKING] = region
    _flash("success", _tr("ui.import.applied", what=what, name=name))
    _next_round()


def _discard() -> None:
    st.session_state.pop(_WORKING, None)
    _flash("info", _tr("ui.import.discarded"))
    _next_round()


def _save(slot: str, region: Region) -> None:
    state = st.session_state
    region_id = str(state.get(_key(slot, "save_id"), "")).strip()
    path, message = save_as_region(
        region,
        region_id,
        name_zh=state.get(_key(slot, "save_zh"), ""),
        name_en=state.get(_key(slot, "save_en"), ""),
        adcode=state.get(_key(slot, "save_adcode"), ""),
        overwrite=bool(state.get(_key(slot, "save_overwrite"), False)),
        lang=_lang(),
    )
    if path is None:
        state[f"imp_save_error_{slot}"] = message
        return
    state.pop(f"imp_save_error_{slot}", None)
    state.pop(_WORKING, None)
    state["region_id"] = region_id
    names = {"zh": state.get(_key(slot, "save_zh"), ""), "en": state.get(_key(slot, "save_en"), "")}
    _flash("success", _tr("ui.import.saved", name=names[_lang()] or region_id, id=region_id))
    _next_round()


def _save_form(slot: str, region: Region, title_key: str = "ui.import.save") -> None:
    st.markdown(f"**{html.escape(_tr(title_key))}**")
    with st.form(_key(slot, "save_form"), border=True):
        a, b, c, d = st.columns([1, 1, 1, 1])
        a.text_input(
            _tr("ui.import.save_id"), key=_key(slot, "save_id"), help=_tr("ui.import.save_id_help")
        )
        b.text_input(_tr("ui.import.save_name_zh"), key=_key(slot, "save_zh"))
        c.text_input(_tr("ui.import.save_name_en"), key=_key(slot, "save_en"))
        d.text_input(
            _tr("ui.import.save_adcode"),
            value=str(region.meta.get("adcode", "")),
            key=_key(slot, "save_adcode"),
        )
        st.checkbox(_tr("ui.import.save_overwrite"), key=_key(slot, "save_overwrite"))
        st.form_submit_button(
            _tr("ui.import.save_submit"), type="primary", on_click=_save, args=(slot, region)
        )
    error = st.session_state.get(f"imp_save_error_{slot}")
    if error:
        st.error(error)


def _upload_input(slot: str, table: bool, label: str | None = None) -> ImportFile | None:
    file = st.file_uploader(
        label or _tr("ui.import.file"),
        type=TABLE_TYPES if table else VECTOR_TYPES,
        key=_key(slot, "file"),
    )
    if file is None:
        st.caption(_tr("ui.import.table_help" if table else "ui.import.file_help"))
        return None
    # Checked before the bytes are taken: a file over the limit never reaches a reader.
    refusal = upload_refusal(file.size)
    if refusal is not None:
        st.error(_tr("ui.import.upload_refused", message=refusal[_lang()]))
        return None
    return ImportFile(name=file.name, data=file.getvalue())


def upload_refusal(size: int, limit_name: str = "upload_mb") -> dict[str, str] | None:
    """Why an upload of ``size`` bytes is refused (``limit.exceeded`` in every language).

    None when it fits.

    Parameters
    ----------
    size
        The uploaded file's size in bytes (Streamlit's ``UploadedFile.size``).
    limit_name
        The limit of :mod:`planner.limits` it is held to.
    """
    try:
        planner_io.check_file_size(size, limit_name)
    except PlannerError as err:
        return {code: err.message(code) for code in LANGUAGES}
    return None


def _columns_missing(slot: str, upload: ImportFile, level: str, table: bool) -> bool:
    """Whether a needed column is not recognised (so the mapping opens by itself)."""
    columns = _columns_of(slot, upload, table)
    if not columns:
        return False
    chosen = {}
    for name in _fields(level, table):
        value = st.session_state.get(f"{_key(slot, f'map_{name}')}@{_lang()}")
        if value in columns:
            chosen[name] = value
    wanted = _fields(level, table) if table else None
    required = ("population",) if table else None
    mapping, problems = match_columns(columns, level, chosen, wanted=wanted, required=required)
    no_key = table and "code" not in mapping and "name" not in mapping
    return no_key or any(p.blocking for p in problems)


def _file_options(
    slot: str, upload: ImportFile, level: str, table: bool
) -> tuple[ImportFile | None, str | None]:
    """Layer, coordinate system and column choices for ``upload``.

    The file comes back as None while a choice it needs is incomplete (an EPSG code).
    """
    layer = _layer_input(slot, upload)
    system = None if table else _crs_inputs(slot)
    if system == "":
        return None, None
    probe = replace(upload, layer=layer)
    expanded = _columns_missing(slot, probe, level, table)
    column_map, join_on = _mapping_inputs(slot, probe, level, table, expanded)
    return replace(upload, layer=layer, coordinate_system=system, column_map=column_map), join_on


def _replace_mode(region: Region) -> bool:
    """Replace or add data of ``region``; True when an import is ready to apply."""
    lang = _lang()
    left, right = st.columns([1, 1])
    target = left.selectbox(
        _tr("ui.import.target"),
        TARGETS,
        format_func=_labels("ui.import.target", TARGETS),
        key=_choice_key("imp_target"),
        help=_tr("ui.import.target_help"),
    )
    level = target
    site_status = None
    if target == "population":
        level = right.selectbox(
            _tr("ui.import.population_level"),
            POPULATION_LEVELS,
            format_func=_labels("ui.import.level", POPULATION_LEVELS),
            key=_choice_key("imp_population_level"),
        )
    elif target == "sites":
        site_status = right.selectbox(
            _tr("ui.import.site_status"),
            STATUS_VALUES,
            format_func=_labels("ui.import.status", STATUS_VALUES),
            key=_choice_key("imp_site_status"),
        )
    table = target == "population"
    slot = f"replace-{target}-{level}"
    upload = _upload_input(slot, table)
    if upload is None:
        return False
    upload, join_on = _file_options(slot, upload, level, table)
    if upload is None:
        return False
    quality = "official"
    if target in ("counties", "townships", "communities"):
        with_file = _has_quality_column(_columns_of(slot, upload, table), level)
        options = QUALITY_OPTIONS if with_file else QUALITY_OPTIONS[:2]
        quality = st.radio(
            _tr("ui.import.quality"),
            options,
            format_func=_labels("ui.import.quality", QUALITY_OPTIONS),
            horizontal=True,
            key=_choice_key(_key(slot, "quality"), options),
            help=_tr("ui.import.quality_help"),
        )
    status = site_status
    signature = (upload.signature(), target, level, quality, status, join_on, region.id, id(region))
    outcome = _memo(
        slot,
        signature,
        lambda: import_into_region(
            region,
            target,
            upload,
            population_level=level,
            quality=quality,
            site_status=status,
            join_on=join_on,
            lang=lang,
        ),
    )
    count = len(outcome.layer) if outcome.layer is not None else 0
    _show_report(outcome.report, outcome.ok, count, level, slot)
    _columns_used(outcome.columns)
    if not outcome.ok:
        return False
    _preview(outcome.layer, region.counties if level != "counties" else None)
    st.button(
        _tr("ui.import.apply"),
        type="primary",
        key=_key(slot, "apply"),
        help=_tr("ui.import.apply_help"),
        on_click=_apply,
        args=(outcome.region, _tr(f"ui.import.target.{target}"), upload.name),
    )
    _save_form(slot, outcome.region)
    return True


def _new_city_mode() -> None:
    lang = _lang()
    st.info(_tr("ui.import.new_city_help"))
    quality = st.radio(
        _tr("ui.import.quality"),
        QUALITY_OPTIONS,
        format_func=_labels("ui.import.quality", QUALITY_OPTIONS),
        horizontal=True,
        key=_choice_key(_key("city", "quality")),
        help=_tr("ui.import.quality_help"),
    )
    uploads: dict[str, ImportFile | None] = {}
    boxes = {}
    join_on = None
    population_level = "communities"
    for level in ("counties", "townships", "communities", "population"):
        table = level == "population"
        slot = f"city-{level}"
        box = st.container(border=True)
        boxes[level] = box
        with box:
            st.markdown(f"**{html.escape(_tr(f'ui.import.step.{level}'))}**")
            if table:
                level_key = _choice_key(_key(slot, "level"))
                st.session_state.setdefault(level_key, "communities")
                population_level = st.selectbox(
                    _tr("ui.import.population_level"),
                    POPULATION_LEVELS,
                    format_func=_labels("ui.import.level", POPULATION_LEVELS),
                    key=level_key,
                )
            upload = _upload_input(slot, table)
            if upload is not None:
                upload, join = _file_options(
                    slot, upload, population_level if table else level, table
                )
                if table:
                    join_on = join
            uploads[level] = upload
    signature = (
        tuple(u.signature() if u else None for u in uploads.values()),
        quality,
        population_level,
        join_on,
    )
    if uploads["counties"] is None:
        return
    city = _memo(
        "city",
        signature,
        lambda: new_city(
            uploads["counties"],
            uploads["townships"],
            uploads["communities"],
            uploads["population"],
            population_level=population_level,
            quality=quality,
            join_on=join_on,
            lang=lang,
        ),
    )
    order = ["counties", "townships", "communities"]
    for i, level in enumerate([*order, "population"]):
        step = city.steps.get(level)
        with boxes[level]:
            if step is not None:
                shown = population_level if level == "population" else level
                count = len(step.layer) if step.layer is not None else 0
                _show_report(step.report, step.ok, count, shown, f"city-{level}")
                _columns_used(step.columns)
            elif uploads.get(level) is not None and i > 0:
                above = order[i - 1] if level != "population" else "communities"
                st.caption(_tr("ui.import.waiting_parent", level=level_term(above).render(lang)))
    if city.missing:
        names = "、".join if lang == "zh" else ", ".join
        st.warning(
            _tr(
                "ui.import.city_missing",
                layers=names(_tr(f"ui.import.target.{lv}") for lv in city.missing),
            )
        )
        return
    if not city.ok:
        st.error(_tr("ui.import.city_fix"))
        return
    region = city.region
    st.success(
        _tr(
            "ui.import.city_ready",
            counties=f"{len(region.counties):,}",
            townships=f"{len(region.townships):,}",
            communities=f"{len(region.communities):,}",
        )
    )
    st.markdown(f"**{html.escape(_tr('ui.import.preview'))}**")
    units = pd.concat([region.townships, region.communities], ignore_index=True)
    preview = gpd.GeoDataFrame(units, geometry=units.geometry.name, crs="EPSG:4326")
    show_map(to_html(layer_map(preview, lang, boundary=region.counties)), height=480)
    _save_form("city", region)


def render_import_panel(region: Region) -> None:
    """Draw the import panel for ``region`` (the region on screen).

    Nothing here raises: unexpected failures are logged and shown as a plain message in
    the UI language, and the loaded region is left as it was.
    """
    try:
        st.caption(_tr("ui.import.intro"))
        flash = st.session_state.pop(_FLASH, None)
        if flash:
            getattr(st, flash[0], st.info)(flash[1])
        if isinstance(st.session_state.get(_WORKING), Region):
            left, right = st.columns([3, 1])
            left.info(_tr("ui.import.working"))
            right.button(_tr("ui.import.discard"), key="imp_discard", on_click=_discard)
        mode = st.radio(
            _tr("ui.import.mode"),
            ["replace", "new_city"],
            format_func=_labels("ui.import.mode", ["replace", "new_city"]),
            horizontal=True,
            key=_choice_key("imp_mode"),
        )
        if mode == "replace":
            ready = _replace_mode(region)
            if not ready and isinstance(st.session_state.get(_WORKING), Region):
                with st.expander(_tr("ui.import.save_current")):
                    _save_form("working", st.session_state[_WORKING])
        else:
            _new_city_mode()
    except Exception as err:  # never a traceback on screen
        logger.exception("import panel failed")
        st.error(_tr("ui.import.failed", message=type(err).__name__))
