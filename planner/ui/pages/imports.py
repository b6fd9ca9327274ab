"""Import panel of the Data page: official files into the current region, or a new city
from uploads.

A planner can replace any layer of the region on screen (counties, townships,
communities), add existing recycling sites (keep / close), join a population table to a
layer, or set up a new city from uploads alone, and save the result as a region pack.

This page only lays out the choices and shows the outcome: everything that happens
after an upload is in :mod:`planner.data.edit` (:func:`~planner.data.edit.import_into_region`,
:func:`~planner.data.edit.new_city`, :func:`~planner.data.edit.save_as_region`), which
never raises and never modifies the region it is given.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import replace

import geopandas as gpd
import pandas as pd
import streamlit as st

from planner import format as fmt
from planner.data import io as planner_io
from planner.data.checks import STATUS_VALUES, ValidationReport, level_term
from planner.data.edit import (
    CRS_OPTIONS,
    POPULATION_LEVELS,
    QUALITY_OPTIONS,
    TABLE_TYPES,
    TARGETS,
    VECTOR_TYPES,
    ImportFile,
    columns_missing,
    has_quality_column,
    import_fields,
    import_into_region,
    new_city,
    save_as_region,
    source_columns,
    upload_refusal,
)
from planner.data.regions import Region
from planner.ui.auth import can, current_actor, not_allowed
from planner.ui.labels import FIELD_LABEL, IMPORT_QUALITY_LABEL, IMPORT_STATUS_LABEL, SYSTEM_LABEL
from planner.ui.state import WORKING_REGION, tr
from planner.ui.state import lang as ui_lang
from planner.ui.widgets.choices import choice, choice_key, translated
from planner.ui.widgets.constraints_import import render_constraint_import
from planner.ui.widgets.crs import system_picker
from planner.ui.widgets.import_report import columns_used, show_report
from planner.ui.widgets.inventory import example_download
from planner.ui.widgets.inventory_edit import drop_pending_edits, save_pending_edits
from planner.ui.widgets.views import show_map
from planner.views import layer_map, to_html

__all__ = ["render_import_panel"]

logger = logging.getLogger("planner.ui.import")

_WORKING = WORKING_REGION
_FLASH = "imp_flash"
_MEMO = "imp_memo"
_ROUND = "imp_round"

#: What an import does -> label key.
_MODE_LABEL = {"replace": "ui.import.mode.replace", "new_city": "ui.import.mode.new_city"}
#: What a file replaces or adds (:data:`planner.data.edit.TARGETS`) -> label key.
_TARGET_LABEL = {
    "counties": "ui.import.target.counties",
    "townships": "ui.import.target.townships",
    "communities": "ui.import.target.communities",
    "sites": "ui.import.target.sites",
    "population": "ui.import.target.population",
}
#: The layer a population table is joined to (:data:`planner.data.edit.POPULATION_LEVELS`).
_LEVEL_LABEL = {
    "counties": "term.counties",
    "townships": "ui.import.level.townships",
    "communities": "ui.import.level.communities",
}
#: The steps of a new city -> heading key.
_STEP_LABEL = {
    "counties": "ui.import.step.counties",
    "townships": "ui.import.step.townships",
    "communities": "ui.import.step.communities",
    "population": "ui.import.step.population",
}
#: How a population table is joined -> label key.
_JOIN_LABEL = {
    "auto": "ui.import.join.auto",
    "code": "term.code",
    "name": "term.name",
}
#: Coordinate-system choices (:data:`planner.data.edit.CRS_OPTIONS`) -> label key.
_CRS_LABEL = {
    "auto": "ui.import.crs.auto",
    "wgs84": "term.wgs84_gps",
    "gcj02": "ui.import.crs.gcj02",
    "bd09": "term.bd_09_baidu",
    "cgcs2000": "ui.import.crs.cgcs2000",
    "epsg": "ui.import.crs.epsg",
}


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


def _system_label(system: str) -> str:
    key = SYSTEM_LABEL.get(system)
    return tr(key) if key else str(system)


def _crs_inputs(slot: str) -> str | None:
    """The coordinate system chosen for the file; ``""`` while an EPSG code is awaited."""
    left, right = st.columns([2, 1])
    return system_picker(
        _key(slot, "crs"),
        tr("ui.import.crs"),
        {o: _CRS_LABEL[o] for o in CRS_OPTIONS},
        help=tr("ui.import.crs_help"),
        where=left,
        epsg_where=right,
        epsg_key=_key(slot, "epsg"),
    )


def _pick_crs(slot: str, system: str) -> None:
    crs_key = choice_key(_key(slot, "crs"))
    if system in CRS_OPTIONS:
        st.session_state[crs_key] = system
    else:
        st.session_state[crs_key] = "epsg"
        st.session_state[_key(slot, "epsg")] = system.split(":")[-1]


def _asker(slot: str) -> Callable[[ValidationReport], None]:
    """Asks the coordinate question of ``slot``'s file inside its report."""
    return lambda report: _ask_crs(slot, report)


def _ask_crs(slot: str, report: ValidationReport) -> None:
    """Offer the candidate systems of an undecided file as buttons."""
    problem = report.find("io.crs_ambiguous")
    if problem is None:
        return
    st.markdown(f"**{html.escape(tr('ui.import.crs_question'))}**")
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
    layer = choice(
        st,
        tr("ui.import.layer"),
        ["", *layers],
        key=choice_key(_key(slot, "layer"), ["", *layers]),
        labels={"": tr("ui.import.layer_auto")},
    )
    return layer or None


def _columns_of(slot: str, upload: ImportFile, table: bool) -> list[str]:
    return _memo(
        f"{slot}:columns",
        (*upload.signature()[:3], table),
        lambda: source_columns(upload, table=table),
    )


def _mapping_inputs(
    slot: str, upload: ImportFile, level: str, table: bool, expanded: bool
) -> tuple[dict[str, str], str | None]:
    columns = _columns_of(slot, upload, table)
    column_map: dict[str, str] = {}
    join_on = None
    with st.expander(tr("ui.import.mapping"), expanded=expanded):
        st.caption(tr("ui.import.mapping_help"))
        if table:
            join = choice(
                st,
                tr("ui.import.join_on"),
                list(_JOIN_LABEL),
                key=choice_key(_key(slot, "join")),
                labels=translated(_JOIN_LABEL),
                kind="radio",
                horizontal=True,
            )
            join_on = None if join == "auto" else join
        cols = st.columns(3)
        auto = {"": tr("ui.import.mapping_auto")}
        fields = translated(FIELD_LABEL)
        for i, name in enumerate(import_fields(level, table)):
            column = choice(
                cols[i % 3],
                fields.get(name, name),
                ["", *columns],
                key=choice_key(_key(slot, f"map_{name}"), ["", *columns]),
                labels=auto,
            )
            if column:
                column_map[name] = column
    return column_map, join_on


def _preview(layer: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame | None) -> None:
    st.markdown(f"**{html.escape(tr('ui.import.preview'))}**")
    show_map(to_html(layer_map(layer, ui_lang(), boundary=boundary)), height=420)
    rows = pd.DataFrame(layer.drop(columns=layer.geometry.name)).head(100)
    fields = translated(FIELD_LABEL)
    rows.columns = [fields.get(c, c) for c in rows.columns]
    st.caption(tr("ui.import.rows", count=len(rows)))
    st.dataframe(rows, hide_index=True, height=min(36 + 35 * len(rows), 250))


def _apply(region: Region, what: str, name: str) -> None:
    st.session_state[_WORKING] = region
    _flash("success", tr("ui.import.applied", what=what, name=name))
    _next_round()


def _discard() -> None:
    st.session_state.pop(_WORKING, None)
    drop_pending_edits()
    _flash("info", tr("ui.import.discarded"))
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
        lang=ui_lang(),
        actor=current_actor(),
    )
    if path is None:
        state[f"imp_save_error_{slot}"] = message
        return
    state.pop(f"imp_save_error_{slot}", None)
    trail = save_pending_edits(region, region_id)
    state.pop(_WORKING, None)
    state["region_id"] = region_id
    names = {"zh": state.get(_key(slot, "save_zh"), ""), "en": state.get(_key(slot, "save_en"), "")}
    saved = tr("ui.import.saved", name=names[ui_lang()] or region_id, id=region_id)
    _flash("warning", f"{saved}\n\n{trail}") if trail else _flash("success", saved)
    _next_round()


def _save_form(slot: str, region: Region, title_key: str = "ui.import.save") -> None:
    st.markdown(f"**{html.escape(tr(title_key))}**")
    with st.form(_key(slot, "save_form"), border=True):
        a, b, c, d = st.columns([1, 1, 1, 1])
        a.text_input(
            tr("ui.import.save_id"), key=_key(slot, "save_id"), help=tr("ui.import.save_id_help")
        )
        b.text_input(tr("ui.import.save_name_zh"), key=_key(slot, "save_zh"))
        c.text_input(tr("ui.import.save_name_en"), key=_key(slot, "save_en"))
        d.text_input(
            tr("ui.import.save_adcode"),
            value=str(region.meta.get("adcode", "")),
            key=_key(slot, "save_adcode"),
        )
        st.checkbox(tr("ui.import.save_overwrite"), key=_key(slot, "save_overwrite"))
        st.form_submit_button(
            tr("ui.import.save_submit"), type="primary", on_click=_save, args=(slot, region)
        )
    error = st.session_state.get(f"imp_save_error_{slot}")
    if error:
        st.error(error)


def _upload_input(slot: str, table: bool, label: str | None = None) -> ImportFile | None:
    file = st.file_uploader(
        label or tr("ui.import.file"),
        type=TABLE_TYPES if table else VECTOR_TYPES,
        key=_key(slot, "file"),
    )
    if file is None:
        st.caption(tr("ui.import.table_help" if table else "ui.import.file_help"))
        return None
    # Checked before the bytes are taken: a file over the limit never reaches a reader.
    refusal = upload_refusal(file.size)
    if refusal is not None:
        st.error(tr("ui.import.upload_refused", message=refusal[ui_lang()]))
        return None
    return ImportFile(name=file.name, data=file.getvalue())


def _columns_missing(slot: str, upload: ImportFile, level: str, table: bool) -> bool:
    """Whether a needed column is not recognised (so the mapping opens by itself)."""
    columns = _columns_of(slot, upload, table)
    chosen = {}
    for name in import_fields(level, table):
        value = st.session_state.get(f"{_key(slot, f'map_{name}')}@{ui_lang()}")
        if value in columns:
            chosen[name] = value
    return columns_missing(columns, level, chosen, table)


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
    lang = ui_lang()
    left, right = st.columns([1, 1])
    target = choice(
        left,
        tr("ui.import.target"),
        TARGETS,
        key=choice_key("imp_target"),
        labels=translated(_TARGET_LABEL),
        help=tr("ui.import.target_help"),
    )
    level = target
    site_status = None
    if target == "population":
        level = choice(
            right,
            tr("ui.import.population_level"),
            POPULATION_LEVELS,
            key=choice_key("imp_population_level"),
            labels=translated(_LEVEL_LABEL),
        )
    elif target == "sites":
        site_status = choice(
            right,
            tr("ui.import.site_status"),
            STATUS_VALUES,
            key=choice_key("imp_site_status"),
            labels=translated(IMPORT_STATUS_LABEL),
        )
        example_download(region)
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
        with_file = has_quality_column(_columns_of(slot, upload, table), level)
        options = QUALITY_OPTIONS if with_file else QUALITY_OPTIONS[:2]
        quality = choice(
            st,
            tr("ui.import.quality"),
            options,
            key=choice_key(_key(slot, "quality"), options),
            labels=translated(IMPORT_QUALITY_LABEL),
            kind="radio",
            help=tr("ui.import.quality_help"),
            horizontal=True,
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
    show_report(outcome.report, outcome.ok, count, level, _asker(slot))
    columns_used(outcome.columns)
    if not outcome.ok:
        return False
    _preview(outcome.layer, region.counties if level != "counties" else None)
    st.button(
        tr("ui.import.apply"),
        type="primary",
        key=_key(slot, "apply"),
        help=tr("ui.import.apply_help"),
        on_click=_apply,
        args=(outcome.region, tr(_TARGET_LABEL[target]), upload.name),
    )
    _save_form(slot, outcome.region)
    return True


def _new_city_mode() -> None:
    lang = ui_lang()
    st.info(tr("ui.import.new_city_help"))
    quality = choice(
        st,
        tr("ui.import.quality"),
        QUALITY_OPTIONS,
        key=choice_key(_key("city", "quality")),
        labels=translated(IMPORT_QUALITY_LABEL),
        kind="radio",
        help=tr("ui.import.quality_help"),
        horizontal=True,
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
            st.markdown(f"**{html.escape(tr(_STEP_LABEL[level]))}**")
            if table:
                population_level = choice(
                    st,
                    tr("ui.import.population_level"),
                    POPULATION_LEVELS,
                    key=choice_key(_key(slot, "level")),
                    labels=translated(_LEVEL_LABEL),
                    default="communities",
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
                show_report(step.report, step.ok, count, shown, _asker(f"city-{level}"))
                columns_used(step.columns)
            elif uploads.get(level) is not None and i > 0:
                above = order[i - 1] if level != "population" else "communities"
                st.caption(tr("ui.import.waiting_parent", level=level_term(above).render(lang)))
    if city.missing:
        names = "、".join if lang == "zh" else ", ".join
        st.warning(
            tr(
                "ui.import.city_missing",
                layers=names(tr(_TARGET_LABEL[lv]) for lv in city.missing),
            )
        )
        return
    if not city.ok:
        st.error(tr("ui.import.city_fix"))
        return
    region = city.region
    st.success(
        tr(
            "ui.import.city_ready",
            counties=fmt.count(len(region.counties)),
            townships=fmt.count(len(region.townships)),
            communities=fmt.count(len(region.communities)),
        )
    )
    st.markdown(f"**{html.escape(tr('ui.import.preview'))}**")
    units = pd.concat([region.townships, region.communities], ignore_index=True)
    preview = gpd.GeoDataFrame(units, geometry=units.geometry.name, crs="EPSG:4326")
    show_map(to_html(layer_map(preview, lang, boundary=region.counties)), height=480)
    _save_form("city", region)


def render_import_panel(region: Region) -> None:
    """Draw the import panel for ``region`` (the region on screen).

    Nothing here raises: unexpected failures are logged and shown as a plain message in
    the UI language, and the loaded region is left as it was.
    """
    if not can("region.import"):  # saving refuses it anyway
        st.info(not_allowed("region.import"))
        return
    try:
        st.caption(tr("ui.import.intro"))
        flash = st.session_state.pop(_FLASH, None)
        if flash:
            getattr(st, flash[0], st.info)(flash[1])
        if isinstance(st.session_state.get(_WORKING), Region):
            left, right = st.columns([3, 1])
            left.info(tr("ui.import.working"))
            right.button(tr("ui.import.discard"), key="imp_discard", on_click=_discard)
        mode = choice(
            st,
            tr("ui.import.mode"),
            list(_MODE_LABEL),
            key=choice_key("imp_mode"),
            labels=translated(_MODE_LABEL),
            kind="radio",
            horizontal=True,
        )
        if mode == "replace":
            ready = _replace_mode(region)
            if not ready and isinstance(st.session_state.get(_WORKING), Region):
                with st.expander(tr("ui.import.save_current")):
                    _save_form("working", st.session_state[_WORKING])
            with st.expander(tr("ui.constraints.title")):
                render_constraint_import(st.session_state.get(_WORKING) or region)
        else:
            _new_city_mode()
    except Exception as err:  # never a traceback on screen
        logger.exception("import panel failed")
        st.error(tr("ui.import.failed", message=type(err).__name__))
