"""Download buttons for a plan's exports (:mod:`planner.views.export`), shared by pages."""

from __future__ import annotations

import contextlib
import io
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import streamlit as st

from planner.data.regions import Region
from planner.i18n import PlannerError
from planner.plan import Plan
from planner.spreadsheet import csv_bytes
from planner.store import PlanRecord
from planner.ui.state import lang, store, tr
from planner.ui.widgets.choices import choice, translated
from planner.views.export import FORMATS, PAPERS, MapNotice, export_plan
from planner.views.export.common import uncovered_table
from planner.views.export.tables import uncovered_xlsx

__all__ = ["export_bytes", "export_panel", "uncovered_downloads"]

MIMES = {
    "html": "text/html",
    "png": "image/png",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "report": "application/pdf",
}
NEEDS_PAPER = {"png", "pdf", "report"}
#: Export format (:data:`planner.views.export.FORMATS`) -> label key.
FORMAT_LABEL = {
    "html": "ui.exp.format.html",
    "png": "ui.exp.format.png",
    "pdf": "ui.exp.format.pdf",
    "xlsx": "ui.exp.format.xlsx",
    "csv": "ui.exp.format.csv",
    "gpkg": "ui.exp.format.gpkg",
    "shp": "ui.exp.format.shp",
    "geojson": "ui.exp.format.geojson",
    "report": "ui.exp.format.report",
}


@st.cache_data(max_entries=16, show_spinner=False)
def export_bytes(
    _plan: Plan,
    _region: Region | None,
    key: tuple,
    fmt: str,
    lang_: str,
    paper: str,
    _review: Mapping | None = None,
    notice: tuple[str, str] = ("", ""),
) -> tuple[str, bytes, str]:
    """One export of a plan as ``(file name, bytes, mime type)``; several files come zipped.

    ``key`` identifies the plan, region and review state for the cache (plans never
    change once stored; a new decision changes the key).
    """
    with tempfile.TemporaryDirectory(prefix="planner-export-") as tmp:
        written = export_plan(
            _plan, tmp, [fmt], lang_, paper, _region, _review, MapNotice(*notice)
        )[fmt]
        if len(written) == 1:
            path = Path(written[0])
            return path.name, path.read_bytes(), MIMES.get(fmt, "application/octet-stream")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in written:
                archive.write(path, Path(path).name)
        stem = Path(written[0]).name.split("_")[0]
        return f"{stem}_{fmt}.zip", buffer.getvalue(), "application/zip"


def export_panel(record: PlanRecord, plan: Plan, region: Region | None) -> None:
    """Format and paper pickers and a download button for the plan's export."""
    st.subheader(tr("ui.exp.title"))
    a, b, c = st.columns([2, 1, 2], vertical_alignment="bottom")
    fmt = choice(
        a,
        tr("ui.exp.format"),
        FORMATS,
        key=f"export_format_{record.id}",
        labels=translated(FORMAT_LABEL),
        default="xlsx",
    )
    paper = choice(
        b,
        tr("ui.exp.paper"),
        list(PAPERS),
        key=f"export_paper_{record.id}",
        labels={p: p.upper() for p in PAPERS},
        disabled=fmt not in NEEDS_PAPER,
    )
    region_key = (region.id, str(region.path)) if region is not None else None
    review = store().review_states(record.scenario_id)
    seen = tuple(sorted((k, s.version) for k, s in review.items()))
    notice = _notice_inputs() if fmt in NEEDS_PAPER else ("", "")
    try:
        with st.spinner(tr("ui.exp.preparing")):
            name, data, mime = export_bytes(
                plan, region, (record.id, record.created_at, region_key, seen), fmt, lang(),
                str(paper), review, notice,
            )  # fmt: skip
    except PlannerError as err:
        c.error(err.message(lang()))
        return
    c.download_button(
        tr("ui.exp.download", file=name),
        data=data,
        file_name=name,
        mime=mime,
        key=f"export_download_{record.id}",
        width="stretch",
    )


def _remember(key: str) -> None:
    """Keep a map notice field for the next exports (a callback: the value is set)."""
    with contextlib.suppress(Exception):  # a convenience: the export works without it
        store().set_preference(key, str(st.session_state.get(f"export_{key}", "")))


def _notice_inputs() -> tuple[str, str]:
    """The map approval number and base-map statement for printed maps and reports,
    kept between visits."""
    with st.expander(tr("ui.exp.notice")):
        values = []
        for key, label, limit in (
            ("map_approval", "ui.exp.approval", 60),
            ("basemap_statement", "ui.exp.statement", 300),
        ):
            widget = f"export_{key}"
            if widget not in st.session_state:
                try:
                    st.session_state[widget] = store().preference(key) or ""
                except Exception:
                    st.session_state[widget] = ""
            values.append(st.text_input(tr(label), key=widget, max_chars=limit,
                                        on_change=_remember, args=(key,)))  # fmt: skip
        st.caption(tr("ui.exp.notice_help"))
    return values[0], values[1]


@st.cache_data(max_entries=16, show_spinner=False)
def _uncovered_files(
    _plan: Plan, _region: Region | None, key: tuple, county: str, lang_: str
) -> tuple[bytes, bytes]:
    """CSV and XLSX bytes of the villages not covered (of ``county``, or all)."""
    table = uncovered_table(_plan, lang_, _region, county or None)
    return csv_bytes(table), uncovered_xlsx(_plan, _region, lang_, county or None)


def uncovered_downloads(
    record: PlanRecord, plan: Plan, region: Region | None, county: str = ""
) -> None:
    """CSV and Excel downloads of the villages and communities with no station in reach
    (of one county, when chosen), spreadsheet-safe like every export."""
    region_key = (region.id, str(region.path)) if region is not None else None
    csv, xlsx = _uncovered_files(
        plan, region, (record.id, record.created_at, region_key), county, lang()
    )
    stem = f"uncovered_villages_{record.region}_{record.id}" + (f"_{county}" if county else "")
    a, b = st.columns(2)
    a.download_button(
        tr("ui.exp.villages_csv"),
        data=csv,
        file_name=f"{stem}.csv",
        mime="text/csv",
        key="results_villages_csv",
        width="stretch",
    )
    b.download_button(
        tr("ui.exp.villages_xlsx"),
        data=xlsx,
        file_name=f"{stem}.xlsx",
        mime=MIMES["xlsx"],
        key="results_villages_xlsx",
        width="stretch",
    )
