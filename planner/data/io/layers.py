"""Layers from planners' files: :func:`import_layer` reads, checks and converts a file
into a layer of counties, townships, communities or sites."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from planner.data.checks import (
    CODE_LENGTH,
    COLUMNS,
    LEVELS,
    REGION_TOLERANCE_M,
    Problem,
    check_at_sea,
    check_duplicate_sites,
    check_duplicates,
    check_geometries,
    check_hierarchy,
    check_outside_region,
    check_population_parents,
    check_population_sums,
    clean_codes,
    clean_control_characters,
    feature_labels,
    field_term,
    fix_axis_order,
    level_term,
    match_columns,
)
from planner.data.io.attributes import (
    _categories,
    _numbers,
    _site_ids,
    _spatial_codes,
    _str_series,
)
from planner.data.io.inventory import _site_attributes, _tier_from_kind
from planner.data.io.result import ImportResult, _Found, _reported
from planner.data.io.systems import (
    _declared_system,
    _reference,
    _region_geometry,
    _resolve_crs,
    _system_label,
)
from planner.data.io.vectors import _read_vector
from planner.i18n import DEFAULT_LANGUAGE, PlannerError

__all__ = ["import_layer"]


def _check_level(level: str, allowed: Sequence[str] = LEVELS) -> None:
    """Refuse a level the import does not know (a programming error, not the planner's)."""
    if level not in allowed:
        raise ValueError(f"level must be one of {tuple(allowed)}, not {level!r}")


def import_layer(
    source: Any,
    level: str,
    *,
    coordinate_system: str | None = None,
    column_map: Mapping[str, str] | None = None,
    parents: Mapping[str, gpd.GeoDataFrame] | None = None,
    region_boundary: Any = None,
    lang: str = DEFAULT_LANGUAGE,
    layer: str | int | None = None,
    encoding: str | None = None,
    tolerance_m: float = REGION_TOLERANCE_M,
) -> ImportResult:
    """Read, check and convert a file into a layer of ``level``.

    Parameters
    ----------
    source
        A path or an uploaded file (see :func:`read_vector` for formats).
    level
        ``"counties"``, ``"townships"``, ``"communities"`` or ``"sites"``.
    coordinate_system
        The system the planner says the file uses (``"wgs84"``, ``"gcj02"``, ``"bd09"``,
        ``"cgcs2000"``, ``"EPSG:4549"``...). It overrides the file's own declaration.
        Without it the declared system is used (checked against the region when WGS84),
        else the system is detected; when detection cannot decide the report asks
        (``io.crs_ambiguous``, severity ``needs_input``, candidates as examples).
    column_map
        ``{field: source column}`` choices that override recognised column names.
    parents
        Already-loaded layers by level (``{"counties": ..., "townships": ...}``) for the
        hierarchy and population checks, to fill ``county_code`` from ``township_code``
        and to locate sites.
    region_boundary
        The region in WGS84 (shapely geometry or GeoSeries/GeoDataFrame), for the
        "outside the region" check and to decide between coordinate systems.
    lang
        Default language of the report's messages.
    layer
        Layer, Shapefile or worksheet to read when the file holds several.
    encoding
        Text encoding of the attributes, when automatic detection is not wanted.
    tolerance_m
        Features farther than this outside the region are reported.

    Returns
    -------
    ImportResult
        ``data`` is None when the report has errors or needs the planner's input.
    """
    _check_level(level)

    def run(found: _Found) -> tuple[gpd.GeoDataFrame | None, str | None, dict[str, str]]:
        raw, notes, found.name = _read_vector(source, encoding=encoding, layer=layer)
        found.problems.extend(notes)
        data, system, columns, more = _build_layer(
            raw,
            level,
            name=found.name,
            coordinate_system=coordinate_system,
            column_map=column_map,
            parents=parents,
            region_boundary=region_boundary,
            tolerance_m=tolerance_m,
        )
        found.problems.extend(more)
        return data, system, columns

    return _reported(run, lang)


def _build_layer(
    raw: gpd.GeoDataFrame,
    level: str,
    *,
    name: str,
    coordinate_system: Any,
    column_map: Mapping[str, str] | None,
    parents: Mapping[str, gpd.GeoDataFrame] | None,
    region_boundary: Any,
    tolerance_m: float,
) -> tuple[gpd.GeoDataFrame | None, str | None, dict[str, str], list[Problem]]:
    """The layer of ``level`` from the file's features: columns matched, codes, names,
    geometries, coordinate system, parents, numbers and categories checked in turn.

    Returns the layer (None when its coordinates could not be placed), the coordinate
    system read, the columns used and the problems found.
    """
    problems: list[Problem] = []
    if len(raw) == 0:
        raise PlannerError("io.empty_file", name=name)
    geometry_name = raw.geometry.name
    source_columns = [c for c in raw.columns if c != geometry_name]
    mapping, more = match_columns(source_columns, level, column_map)
    problems.extend(more)
    index = pd.RangeIndex(len(raw))
    values = {f: raw[c].to_numpy() for f, c in mapping.items()}
    frame = pd.DataFrame(
        {f: pd.Series(v, index=index, dtype=object) for f, v in values.items()}, index=index
    )
    geometry = gpd.GeoSeries(raw.geometry.to_numpy(), index=index, crs=raw.crs)
    frame, more = clean_control_characters(frame, {f: f for f in frame.columns}, level=level)
    problems.extend(more)

    # ---- codes
    code_field = "site_id" if level == "sites" else "code"
    length = CODE_LENGTH.get(level)
    if code_field in frame:
        codes, more = clean_codes(
            frame[code_field], length, level=level, field_name=code_field, required=level != "sites"
        )
        problems.extend(more)
        frame[code_field] = codes
    elif level == "sites":
        frame["site_id"] = _str_series([""] * len(frame), index)
    if level == "sites":
        frame["site_id"], generated = _site_ids(frame["site_id"])
        if generated:
            first = next(v for v in frame["site_id"] if v.startswith("S"))
            problems.append(
                Problem("validate.ids_generated", "fixed", count=generated, params={"first": first})
            )
    for parent_field, parent_len in (("county_code", 6), ("township_code", 9)):
        if parent_field in frame:
            cleaned, more = clean_codes(
                frame[parent_field],
                parent_len,
                level=level,
                field_name=parent_field,
                required=False,
            )
            problems.extend(more)
            frame[parent_field] = cleaned

    # ---- names
    if "name" in frame:
        names = frame["name"].map(lambda v: "" if pd.isna(v) else str(v).strip())
        empty = names == ""
        if empty.any() and code_field in frame:
            names = names.where(~empty, frame[code_field])
            if level != "sites":
                problems.append(
                    Problem(
                        "validate.name_missing",
                        "warning",
                        count=int(empty.sum()),
                        examples=tuple(frame.loc[empty, code_field][:5]),
                        params={"level": level_term(level)},
                    )
                )
        frame["name"] = names.astype("str")
    elif level == "sites":
        frame["name"] = frame["site_id"]

    labels = feature_labels(frame)

    # ---- geometry in source coordinates
    gdf = gpd.GeoDataFrame(frame, geometry=geometry)
    geographic = None if raw.crs is None else bool(raw.crs.is_geographic)
    gdf, more, looks_projected = fix_axis_order(gdf, labels, geographic=geographic)
    problems.extend(more)
    if looks_projected and geographic:
        gdf = gdf.set_crs(None, allow_override=True)
        problems.append(
            Problem(
                "io.crs_declared_wrong",
                "warning",
                params={"declared": _system_label(_declared_system(raw.crs) or "?")},
            )
        )
    gdf, more = check_geometries(gdf, level, labels)
    problems.extend(more)

    # ---- coordinate system (not asked when there is nothing to place)
    region = _region_geometry(region_boundary)
    reference = _reference(region, parents)
    converted, system = None, None
    if not (gdf.geometry.isna() | gdf.geometry.is_empty).all():
        converted, system, more = _resolve_crs(gdf, coordinate_system, reference)
        problems.extend(more)
    if converted is not None:
        gdf = converted

    # ---- duplicates (may merge multi-part features) and labels after merging
    if code_field in gdf:
        gdf, more = check_duplicates(gdf, code_field, level=level)
        problems.extend(more)
    gdf = gdf.reset_index(drop=True)
    labels = feature_labels(gdf)

    # ---- parents
    problems.extend(_fill_parent_codes(gdf, level, parents, converted is not None, labels))
    problems.extend(check_hierarchy(gdf, level, parents, labels))

    # ---- numbers
    problems.extend(_numbers(gdf, level, mapping, labels))

    # ---- categories (and for sites, the inventory's columns)
    if level == "sites":
        problems.extend(_tier_from_kind(gdf))
    problems.extend(_categories(gdf, level, mapping, labels))
    if level == "sites":
        problems.extend(_site_attributes(gdf, mapping, labels))

    # ---- region, and sites listed twice
    if converted is not None and region is not None:
        problems.extend(
            check_outside_region(gdf, region, level=level, labels=labels, tolerance_m=tolerance_m)
        )
    if converted is not None and level in ("sites", "communities"):
        problems.extend(check_at_sea(gdf, level=level, labels=labels))
    if converted is not None and level == "sites":
        problems.extend(check_duplicate_sites(gdf, labels))

    # ---- population against parents
    if level in ("townships", "communities"):
        problems.extend(check_population_parents(gdf, level, parents, labels))
        problems.extend(check_population_sums(gdf, level, parents))

    if converted is None:
        return None, system, dict(mapping), problems
    attributes = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reindex(
        columns=list(COLUMNS[level])
    )
    out = gpd.GeoDataFrame(attributes, geometry=gdf.geometry.to_numpy(), crs="EPSG:4326")
    return out, system, dict(mapping), problems


def _fill_parent_codes(
    gdf: gpd.GeoDataFrame,
    level: str,
    parents: Mapping[str, gpd.GeoDataFrame] | None,
    in_wgs84: bool,
    labels: Sequence[str],
) -> list[Problem]:
    """Fill parent codes in place (``gdf`` is this module's own copy)."""
    problems: list[Problem] = []
    n = len(gdf)
    blank = _str_series([""] * n, gdf.index)
    parents = parents or {}

    def derive(field_name: str, source_field: str, length: int) -> None:
        current = gdf.get(field_name, blank)
        source = gdf.get(source_field, blank)
        full = CODE_LENGTH.get(level, 9) if source_field == "code" else 9
        empty = current == ""
        derived = source.map(lambda c: c[:length] if len(c) == full and c.isdigit() else "")
        gdf[field_name] = current.where(~empty, derived).astype("str")
        filled = int((empty & (derived != "")).sum())
        if filled:
            problems.append(
                Problem(
                    "validate.parent_derived",
                    "fixed",
                    count=filled,
                    params={
                        "field": field_term(field_name),
                        "source": field_term(source_field),
                        "level": level_term(level),
                        "length": length,
                    },
                )
            )

    if level == "townships":
        derive("county_code", "code", 6)
    elif level == "communities":
        derive("township_code", "code", 9)
        towns = parents.get("townships")
        current = gdf.get("county_code", blank)
        if towns is not None and {"code", "county_code"} <= set(towns.columns):
            lookup = dict(
                zip(towns["code"].astype(str), towns["county_code"].astype(str), strict=False)
            )
            from_layer = gdf["township_code"].map(lambda c: lookup.get(c, ""))
            use = (current == "") & (from_layer != "")
            if use.any():
                gdf["county_code"] = current.where(~use, from_layer).astype("str")
                problems.append(
                    Problem(
                        "validate.parent_from_layer",
                        "fixed",
                        count=int(use.sum()),
                        params={"field": field_term("county_code"), "level": level_term(level)},
                    )
                )
        derive("county_code", "code", 6)
    elif level == "sites":
        for field_name, parent_level in (
            ("county_code", "counties"),
            ("township_code", "townships"),
        ):
            current = gdf.get(field_name, blank)
            if not (current == "").any():
                continue
            located = _spatial_codes(gdf, parents.get(parent_level)) if in_wgs84 else None
            if located is None:
                gdf[field_name] = current
                continue
            use = (current == "") & (located != "")
            gdf[field_name] = current.where(~use, located).astype("str")
            if use.any():
                problems.append(
                    Problem(
                        "validate.parent_by_location",
                        "fixed",
                        count=int(use.sum()),
                        params={"field": field_term(field_name)},
                    )
                )
            lost = (gdf[field_name] == "").to_numpy()
            if lost.any() and field_name == "county_code":
                problems.append(
                    Problem(
                        "validate.parent_location_missing",
                        "warning",
                        count=int(lost.sum()),
                        examples=tuple(lab for lab, m in zip(labels, lost, strict=False) if m)[:5],
                        params={
                            "field": field_term(field_name),
                            "parent_level": level_term(parent_level),
                        },
                    )
                )
        derive("county_code", "township_code", 6)
        if (gdf["county_code"] == "").all():
            # say why the location could not help: no boundary, or coordinates whose
            # system is not settled yet (sites outside every county are reported above)
            if parents.get("counties") is None or not len(parents["counties"]):
                problems.append(Problem("validate.site_county_unknown", "warning", count=n))
            elif not in_wgs84:
                problems.append(Problem("validate.site_county_unknown_crs", "warning", count=n))
    return problems
