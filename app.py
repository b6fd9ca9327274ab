"""Recycling Network Planner — Streamlit entry point.

Run with ``bash scripts/run_app.sh``. The UI is thin: pages live in ``planner/ui/pages``.
"""

import logging

import streamlit as st

from planner.i18n import PlannerError, t
from planner.ui.auth import gate
from planner.ui.pages import compare as compare_page
from planner.ui.pages import data as data_page
from planner.ui.pages import results as results_page
from planner.ui.pages import review as review_page
from planner.ui.pages import run as run_page
from planner.ui.pages import scenario as scenario_page
from planner.ui.pages import sweep as sweep_page
from planner.ui.state import PAGES, lang, sidebar

logger = logging.getLogger("planner.app")
st.set_page_config(page_title="再生资源回收网络规划 · Recycling Network Planner", layout="wide")
gate()  # with accounts and no login: the login form and nothing else
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

    # The page's address (…/data_page) comes from the function name: keep it stable.
    page.__name__ = render.__module__.rsplit(".", 1)[-1] + "_page"
    return page


#: The pages in menu order: name, title key, module, icon.
_MENU = (
    ("data", "ui.page.data", data_page, ":material/map:"),
    ("scenario", "ui.page.scenario", scenario_page, ":material/tune:"),
    ("run", "ui.page.run", run_page, ":material/play_circle:"),
    ("results", "ui.page.results", results_page, ":material/location_on:"),
    ("review", "ui.page.review", review_page, ":material/fact_check:"),
    ("compare", "ui.page.compare", compare_page, ":material/compare:"),
    ("sweep", "ui.page.sweep", sweep_page, ":material/show_chart:"),
)
PAGES.clear()
PAGES.update(
    {
        name: st.Page(
            _guarded(module.render), title=t(title, lang()), icon=icon, default=name == "data"
        )
        for name, title, module, icon in _MENU
    }
)
st.navigation(list(PAGES.values())).run()
