"""Recycling Network Planner — Streamlit entry point.

Run with ``bash scripts/run_app.sh``. The UI is thin: pages live in ``planner/ui``.
"""

import logging

import streamlit as st

import planner.ui.strings  # noqa: F401  (registers the UI labels)
from planner.i18n import PlannerError, t
from planner.ui import data_page
from planner.ui.state import lang, sidebar

logger = logging.getLogger("planner.app")
st.set_page_config(page_title="再生资源回收网络规划 · Recycling Network Planner", layout="wide")
sidebar()


def _guarded(render):
    def page():
        try:
            render()
        except PlannerError as err:
            st.error(err.message(lang()))
        except Exception as err:  # the last line of defence: never show a traceback
            logger.exception("page failed")
            st.error(t("ui.error", lang(), message=type(err).__name__))

    page.__name__ = render.__module__.rsplit(".", 1)[-1]
    return page


pages = [
    st.Page(_guarded(data_page.render), title=t("ui.page.data", lang()), icon="🗺️", default=True),
]
st.navigation(pages).run()
