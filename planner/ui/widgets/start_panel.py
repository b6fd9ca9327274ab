"""The start panel a newcomer sees on the first page: which city, what each page does,
and the two policy presets. Hidden for good once dismissed (kept in the store)."""

from __future__ import annotations

import contextlib

import streamlit as st

from planner.ui.state import page_link, store, tr

__all__ = ["start_panel"]

#: The pages in the order a plan is made, with what each is for.
_STEPS = (
    ("data", "ui.start.step.data"),
    ("scenario", "ui.start.step.scenario"),
    ("run", "ui.start.step.run"),
    ("results", "ui.start.step.results"),
    ("review", "ui.start.step.review"),
    ("compare", "ui.start.step.compare"),
)


def _hide() -> None:
    # a convenience: if the store cannot keep it, the panel stays hidden for this visit
    with contextlib.suppress(Exception):
        store().set_preference("start_panel_hidden", "1")
    st.session_state["start_panel_hidden"] = True


def start_panel() -> None:
    """Draw the panel unless the planner has hidden it."""
    if st.session_state.get("start_panel_hidden"):
        return
    try:
        hidden = store().preference("start_panel_hidden") == "1"
    except Exception:
        hidden = False
    if hidden:
        st.session_state["start_panel_hidden"] = True
        return
    with st.container(border=True, key="start_panel"):
        st.markdown(f"#### {tr('ui.start.title')}")
        st.markdown(tr("ui.start.city"))
        st.markdown("\n".join(f"{i}. {tr(key)}" for i, (_, key) in enumerate(_STEPS, 1)))
        st.markdown(tr("ui.start.presets"))
        a, b = st.columns([1, 3], vertical_alignment="center")
        with a:
            page_link("scenario", tr("ui.start.to_presets"), icon=":material/tune:")
        b.button(tr("ui.start.hide"), key="start_hide", on_click=_hide)
