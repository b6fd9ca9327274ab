"""The report of an import, as a planner reads it: a status line, counts by severity and
one coloured row per problem."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping

import pandas as pd
import streamlit as st

from planner import format as fmt
from planner.data.checks import SEVERITIES, ValidationReport, level_term
from planner.i18n import t
from planner.ui.labels import FIELD_LABEL, SEVERITY_LABEL
from planner.ui.state import lang as current_lang
from planner.ui.state import tr

__all__ = ["SEVERITY_STYLE", "columns_used", "report_html", "show_report"]

#: Background and text colour of each severity.
SEVERITY_STYLE = {
    "error": ("#f8d7da", "#842029"),
    "needs_input": ("#fff3cd", "#664d03"),
    "warning": ("#fff8e1", "#7a5b00"),
    "fixed": ("#d1e7dd", "#0f5132"),
}


def report_html(frame: pd.DataFrame, severities: list[str]) -> str:
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
        background, colour = SEVERITY_STYLE[severity]
        cells = []
        for i, value in enumerate(row):
            style = "padding:4px 8px;vertical-align:top"
            if i == 2:
                style += ";text-align:right;white-space:nowrap"
                value = fmt.count(value)
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


def show_report(
    report: ValidationReport,
    ok: bool,
    count: int,
    level: str,
    ask: Callable[[ValidationReport], None] | None = None,
) -> None:
    """Status line, coloured counts, the planner's question if any (``ask``), the report
    in colour."""
    lang = current_lang()
    if ok:
        st.success(tr("ui.import.ok", count=fmt.count(count), level=level_term(level).render(lang)))
    elif report.needs_input and not report.errors:
        st.warning(tr("ui.import.needs_choice"))
    else:
        st.error(tr("ui.import.refused"))
    chips = []
    for severity in SEVERITIES:
        n = sum(p.severity == severity for p in report.problems)
        background, colour = SEVERITY_STYLE[severity]
        label = html.escape(t(SEVERITY_LABEL[severity], lang))
        faded = "opacity:0.45;" if n == 0 else ""
        chips.append(
            f'<span class="imp-chip imp-{severity}" style="background:{background};{faded}'
            f"color:{colour};border-radius:4px;padding:2px 8px;margin-right:6px;"
            f'font-weight:600;white-space:nowrap">{label} {n}</span>'
        )
    colon = "：" if lang == "zh" else ": "
    title = html.escape(tr("ui.import.report"))
    st.markdown(f"**{title}**{colon}" + "".join(chips), unsafe_allow_html=True)
    if ask is not None:
        ask(report)
    if not report.problems:
        st.caption(tr("ui.import.no_problems"))
        return
    frame = report.to_frame(lang)
    severities = [p.severity for p in report.problems]
    st.markdown(report_html(frame, severities), unsafe_allow_html=True)


def columns_used(columns: Mapping[str, str]) -> None:
    """Which source column fed each field."""
    if not columns:
        return
    lang = current_lang()
    sep, colon = ("；", "：") if lang == "zh" else ("; ", ": ")
    fields = {f: t(key, lang) for f, key in FIELD_LABEL.items()}
    pairs = sep.join(f"{fields.get(f, f)} ← {c}" for f, c in columns.items())
    st.caption(f"{tr('ui.import.mapping_used')}{colon}{pairs}")
