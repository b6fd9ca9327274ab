"""A new city set up from uploads alone: counties, townships and communities, checked
layer by layer, and an optional population table."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import geopandas as gpd

from planner.data.crs import local_metric_crs
from planner.data.edit.outcomes import CityOutcome, Outcome, _failure, _finish
from planner.data.edit.steps import (
    _PARENTS,
    _import_level,
    _import_population,
    _planning_gaps,
    _source_note,
)
from planner.data.edit.uploads import ImportFile
from planner.data.regions import Region
from planner.i18n import DEFAULT_LANGUAGE

__all__ = ["new_city", "new_city_meta"]


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
