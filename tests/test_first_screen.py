"""A newcomer's first screen (issue 22): the city picker first in the sidebar, a start
panel that can be hidden for good, and the region worked on last reopened."""

from __future__ import annotations

import pytest
from page_apps import page_app

from planner.store import Store

pytestmark = pytest.mark.usefixtures("planner_home")


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_start_panel_explains_the_pages_and_can_be_hidden(planner_home) -> None:
    at = page_app("data_page")
    text = _markdown(at)
    assert "欢迎使用再生资源回收网络规划工具" in text
    assert "**情景设置**" in text and "**站点审核**" in text
    assert "1,550 个回收站点" in text and "80 个回收站点" in text  # the two presets
    at.button(key="start_hide").click()
    at.run()
    assert "欢迎使用" not in _markdown(at)
    assert Store(planner_home / "planner.sqlite").preference("start_panel_hidden") == "1"
    again = page_app("data_page")  # a new visit, after a restart too
    assert "欢迎使用" not in _markdown(again)


def test_the_city_comes_first_and_the_last_one_reopens(planner_home) -> None:
    at = page_app("data_page")
    first = at.sidebar.selectbox[0]
    assert first.key == "region_id" and first.label == "规划城市 / 区域"
    assert first.value == "jinjiang"  # nothing chosen before: Jinjiang
    first.set_value("wenzhou")
    at.run()
    assert at.query_params["region"] in ("wenzhou", ["wenzhou"])
    assert Store(planner_home / "planner.sqlite").preference("last_region") == "wenzhou"
    again = page_app("data_page")
    assert again.sidebar.selectbox(key="region_id").value == "wenzhou"
    assert "温州" in again.title[0].value


def test_preferences_keep_only_known_short_values(planner_home) -> None:
    store = Store(planner_home / "planner.sqlite")
    assert store.preference("last_region") is None
    store.set_preference("last_region", "wenzhou")
    store.set_preference("last_region", "jinjiang")
    assert store.preference("last_region") == "jinjiang"
    store.set_preference("last_region", "x" * 41)  # never a planner's choice: ignored
    assert store.preference("last_region") == "jinjiang"
    with pytest.raises(KeyError):
        store.preference("password")
