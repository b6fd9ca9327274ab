"""Recycling Network Planner — Streamlit entry point.

Run with ``bash scripts/run_app.sh``. The UI is thin: pages live in ``planner/ui/pages``.
"""

import logging

import streamlit as st

from planner.i18n import PlannerError, t
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


PAGES.clear()
PAGES.update(
    {
        "data": st.Page(
            _guarded(data_page.render),
            title=t("ui.page.data", lang()),
            icon=":material/map:",
            default=True,
        ),
        "scenario": st.Page(
            _guarded(scenario_page.render),
            title=t("ui.page.scenario", lang()),
            icon=":material/tune:",
        ),
        "run": st.Page(
            _guarded(run_page.render), title=t("ui.page.run", lang()), icon=":material/play_circle:"
        ),
        "results": st.Page(
            _guarded(results_page.render),
            title=t("ui.page.results", lang()),
            icon=":material/location_on:",
        ),
        "review": st.Page(
            _guarded(review_page.render),
            title=t("ui.page.review", lang()),
            icon=":material/fact_check:",
        ),
        "compare": st.Page(
            _guarded(compare_page.render),
            title=t("ui.page.compare", lang()),
            icon=":material/compare:",
        ),
        "sweep": st.Page(
            _guarded(sweep_page.render),
            title=t("ui.page.sweep", lang()),
            icon=":material/show_chart:",
        ),
    }
)
st.navigation(list(PAGES.values())).run()
