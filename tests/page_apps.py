"""One app page in Streamlit's AppTest, for the page tests: the sidebar and the page,
without the rest of the app."""

from __future__ import annotations

import pandas as pd


def _script(page: str) -> None:
    # AppTest runs this function's source as the script: it imports what it needs
    import importlib

    from planner.ui.state import sidebar

    sidebar()
    importlib.import_module(f"planner.ui.pages.{page.removesuffix('_page')}").render()


def page_app(page: str, region_id: str | None = None):
    """AppTest of page ``page`` (a module of ``planner.ui.pages``), run once, with
    ``region_id`` chosen in the sidebar when given."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_script, args=(page,), default_timeout=120)
    if region_id is not None:
        at.session_state["region_id"] = region_id
    at.run()
    assert not at.exception, at.exception
    return at


def page_table(at, column: str) -> pd.DataFrame:
    """The page's first table with a column ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)
