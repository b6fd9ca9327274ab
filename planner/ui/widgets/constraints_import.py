"""Import constraint zones, points of interest and demand tables on the Data page.

A small panel of its own (the import page is near its size limit): pick what the file
holds, upload it, say its coordinate system if the file does not, read the report and
apply the layer to the region being edited. Saving goes through the import page's
"save as region" form, which keeps these layers with the region.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner.data.edit import TABLE_TYPES, VECTOR_TYPES, ImportFile, upload_refusal
from planner.data.io.constraints import import_demand_table, import_pois, import_zones
from planner.data.kinds import load_categories
from planner.data.regions import Region
from planner.ui.state import WORKING_REGION, tr
from planner.ui.state import lang as ui_lang
from planner.ui.widgets.choices import choice, choice_key, translated
from planner.ui.widgets.crs import system_picker
from planner.ui.widgets.import_report import show_report

__all__ = ["render_constraint_import"]

#: What the file holds -> label key.
_WHAT_LABEL = {
    "zones": "ui.constraints.what.zones",
    "pois": "ui.constraints.what.pois",
    "vehicles": "ui.constraints.what.vehicles",
}
#: Coordinate-system choices -> label key (as on the import page).
_CRS_LABEL = {
    "auto": "ui.import.crs.auto",
    "wgs84": "term.wgs84_gps",
    "gcj02": "ui.import.crs.gcj02",
    "bd09": "term.bd_09_baidu",
    "cgcs2000": "ui.import.crs.cgcs2000",
    "epsg": "ui.import.crs.epsg",
}


def _vocabulary(layer: str) -> pd.DataFrame:
    names = getattr(load_categories(), layer)
    lang = ui_lang()
    return pd.DataFrame(
        {
            tr("ui.constraints.category"): list(names),
            tr("term.name"): [n[lang] for n in names.values()],
        }
    )


def _apply(region: Region) -> None:
    st.session_state[WORKING_REGION] = region


def render_constraint_import(region: Region) -> None:
    """The panel: zones, points of interest or vehicles per county into ``region``."""
    st.caption(tr("ui.constraints.intro"))
    what = choice(
        st,
        tr("ui.constraints.what"),
        list(_WHAT_LABEL),
        key=choice_key("con_what"),
        labels=translated(_WHAT_LABEL),
        kind="radio",
        horizontal=True,
    )
    table = what == "vehicles"
    if not table:
        with st.expander(tr("ui.constraints.vocabulary")):
            st.dataframe(_vocabulary(what), hide_index=True)
    file = st.file_uploader(
        tr("ui.import.file"), type=TABLE_TYPES if table else VECTOR_TYPES, key=f"con_file_{what}"
    )
    if file is None:
        return
    # Checked before the bytes are taken: a file over the limit never reaches a reader.
    refusal = upload_refusal(file.size)
    if refusal is not None:
        st.error(tr("ui.import.upload_refused", message=refusal[ui_lang()]))
        return
    upload = ImportFile(name=file.name, data=file.getvalue())
    if table:
        data, report = import_demand_table(upload.handle(), region.counties, lang=ui_lang())
        show_report(report, data is not None, 0 if data is None else len(data), "counties")
        if data is not None:
            st.button(
                tr("ui.import.apply"),
                key="con_apply_table",
                on_click=_apply,
                args=(region.with_table("vehicles", data),),
            )
        return
    system = system_picker(f"con_crs_{what}", tr("ui.import.crs"), _CRS_LABEL)
    if system == "":
        return
    reader = import_zones if what == "zones" else import_pois
    result = reader(
        upload.handle(), coordinate_system=system, region_boundary=region.boundary(), lang=ui_lang()
    )
    show_report(result.report, result.ok, 0 if result.data is None else len(result.data), what)
    if result.ok:
        st.button(
            tr("ui.import.apply"),
            key=f"con_apply_{what}",
            on_click=_apply,
            args=(region.with_layer(what, result.data),),
        )
