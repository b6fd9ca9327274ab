"""Imports into the region on screen, and saving a region as a user region pack.

:func:`import_into_region` checks a file as one layer (or a population table) of a
region and builds the region with it applied; :func:`save_as_region` saves a region
under the planner's id and names. Neither raises nor modifies the region it is given,
so a failed import changes nothing already loaded.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from pathlib import Path

from planner.accounts import LOCAL, Actor, check
from planner.data.crs import local_metric_crs
from planner.data.edit.outcomes import Outcome, _failure, _finish
from planner.data.edit.steps import (
    _PARENTS,
    _import_level,
    _import_population,
    _orphans,
    _parents_of,
    _planning_gaps,
    _source_note,
    _with_sources,
)
from planner.data.edit.uploads import TARGETS, ImportFile
from planner.data.regions import LAYERS, Region, save_region, user_region_dir
from planner.i18n import DEFAULT_LANGUAGE, PlannerError, t

__all__ = ["import_into_region", "save_as_region"]

logger = logging.getLogger("planner.data.edit")


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


def _user_region_exists(region_id: str) -> bool:
    """Whether the planner already saved a region ``region_id``."""
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
    actor: Actor = LOCAL,
) -> tuple[Path | None, str | None]:
    """Save ``region`` as the user region ``region_id`` with the given names, if
    ``actor`` may import region data (``region.import``, :mod:`planner.accounts`).

    Returns
    -------
    (path, None) on success, (None, message in ``lang``) otherwise. Never raises; an
    existing user region of that id is only replaced with ``overwrite=True``.
    """
    try:
        check(actor, "region.import")
    except PlannerError as err:
        return None, err.message(lang)
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
