"""Every page in a real browser, in Chinese and in English, after a plan is computed
(issue 22): a screenshot of each, and no raw message key, "nan", "None" or a bare
number without its unit in the indicator cards."""

from __future__ import annotations

import re

import pytest
from test_app_browser import _nav, _no_traceback, _open, _run_current, _save_preset, _shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Sidebar labels of the pages, in each language.
PAGES = {
    "zh": ["区域数据", "情景设置", "运行规划", "规划结果", "站点审核", "方案对比", "参数扫描"],
    "en": ["Region data", "Scenario", "Run", "Results", "Site review", "Compare", "Scenario sweep"],
}
#: A message key shown raw: dotted lower-case words such as ``ui.res.title``.
RAW_KEY = re.compile(
    r"\b(?:ui|term|export|map|scenario|review|plan|run|tier|status|quality|"
    r"kinds|markets|validate|io|store|sweep)\.[a-z_]+(?:\.[a-z_0-9]+)*\b"
)
#: A card's value that is a bare figure (a count of sites is fine: it has its label).
UNIT = re.compile(r"(%|米|\bm\b|km|公里|吨|\bt\b|个|秒|\bs\b)")


def _cards(page) -> dict[str, str]:
    out = {}
    for card in page.locator("[data-testid=stMetric]").all():
        lines = [x for x in card.inner_text().split("\n") if x.strip()]
        if len(lines) >= 2:
            out[lines[0]] = lines[-1]
    return out


def _check(page, lang: str) -> None:
    _no_traceback(page)
    text = page.locator("[data-testid=stMain]").inner_text()
    raw = [k for k in RAW_KEY.findall(text) if not k.endswith((".csv", ".gpkg", ".json"))]
    assert not raw, raw[:5]
    words = set(re.findall(r"\b\w+\b", text))
    assert not {"nan", "NaN", "None", "null"} & words, text[:1500]
    for label, value in _cards(page).items():
        # a whole count (stations, people, villages) is read by its label; anything
        # else — a distance, a share, a load — carries its unit
        if re.fullmatch(r"\d[\d,]*", value) or not re.search(r"\d", value):
            continue
        assert UNIT.search(value), (label, value)


def test_every_page_in_both_languages(browser, tmp_path, screenshots):
    from conftest import AppServer

    server = AppServer(tmp_path / "home")
    try:
        page = _open(browser, server.url)
        _save_preset(page)
        _run_current(page)
        for lang in ("zh", "en"):
            if lang == "en":
                page.get_by_text("English").click()
                page.wait_for_selector("text=Region data", timeout=60_000)
            for i, label in enumerate(PAGES[lang]):
                _nav(page, label)
                page.wait_for_timeout(500)
                _shot(page, screenshots, f"page_{i + 1}_{lang}.png")
                _check(page, lang)
    finally:
        server.stop()
