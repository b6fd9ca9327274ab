"""Phasing to 2027 in a real browser (issue 17): the Jinjiang default's roll-out typed
into the Scenario page's 分年度建设 table (the years of ``examples/jinjiang_phasing.yaml``),
run, and on the Results page the phasing's status, the per-year table (as the page's
own CSV download, against the stored plan's ``kpis.json``), the chart and the map's
year select. Photographed into ``test-output/screenshots``.
"""

from __future__ import annotations

import json
import re

import pytest
from test_app_browser import (
    _choose_option,
    _count,
    _map_frames_now,
    _no_traceback,
    _open,
    _run_current,
    _save_preset,
    _settle,
    _shot,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: The example's years: year, that year's budget (yuan), cumulative stations, centres.
YEARS = (
    (2025, 6_500_000, 30, 1),
    (2026, 1_250_000, 55, 1),
    (2027, 6_250_000, 80, 2),
)
#: Where each column's cells are across the editor, as a share of its width (the
#: editor is a canvas: its cells are reached by position).
COLUMN_AT = (0.15, 0.38, 0.63, 0.88)
ROW_HEIGHT = 35  # Streamlit's data editor rows and header, in CSS pixels


def _cell_text(editor, row: int, column: int) -> str:
    """The text of a cell of the editor, from the grid's accessible copy of its cells
    (the grid itself is a canvas); "" for a row not there yet."""
    cells = editor.locator(f"tbody tr:nth-child({row + 1}) td")
    return cells.nth(column).inner_text() if cells.count() > column else ""


def _took(page, editor, row: int, column: int, value: int) -> bool:
    """Whether the cell shows ``value`` once the rerun its edit starts is over."""
    shown = lambda: re.sub(r"\D", "", _cell_text(editor, row, column)) == str(value)  # noqa: E731
    for _ in range(20):
        if shown():
            break
        page.wait_for_timeout(500)
    page.wait_for_timeout(1_500)  # the rerun may start a moment after the edit
    _settle(page)
    return shown()


def _type_years(page) -> None:
    """Scenario page: each year typed into the 分年度建设 table, one cell at a time.

    Every committed cell reruns the page, and a cell typed while a rerun redraws the
    editor is lost: each cell is typed after the last rerun and read back, and typed
    again if the rerun lost it.
    """
    editor = page.locator("[class*=st-key-][class*=phasing-years]").first
    for row, figures in enumerate(YEARS):
        for column, value in enumerate(figures):
            for _ in range(6):
                _settle(page)
                editor.scroll_into_view_if_needed()
                box = editor.locator("canvas").first.bounding_box()
                y = box["y"] + ROW_HEIGHT * (row + 1) + ROW_HEIGHT / 2
                x = box["x"] + box["width"] * COLUMN_AT[column]
                if editor.locator("tbody tr").count() <= row:
                    # a click on the empty line under the rows adds a row (and reruns)
                    page.mouse.click(x, y)
                    page.wait_for_timeout(1_000)
                    _settle(page)
                    continue
                # the cell's own editor (a text box over the grid), filled at once:
                # keys typed at a selected cell race the opening of that editor
                page.mouse.dblclick(x, y)
                cell = page.locator("#portal input, #portal textarea").first
                try:
                    cell.wait_for(timeout=5_000)
                except Exception:
                    continue
                cell.fill(str(value))
                cell.press("Enter")
                if _took(page, editor, row, column, value):
                    break
            else:
                raise AssertionError(f"the table did not take {value} in row {row + 1}")


def _year_table(page) -> list[dict[str, str]]:
    """The results page's per-year table as shown: header -> cell text per row.

    The grid is a canvas; its accessible copy holds the cells in view (the columns
    that fit the page's width; the app turns the grid's own CSV download off).
    """
    table = page.locator("[data-testid=stDataFrame]").filter(
        has=page.locator("th", has_text="建设年份")
    )
    table.scroll_into_view_if_needed()
    headers = {
        th.get_attribute("aria-colindex"): th.inner_text() for th in table.locator("th").all()
    }
    return [
        {
            headers[td.get_attribute("aria-colindex")]: td.inner_text()
            for td in tr.locator("td").all()
        }
        for tr in table.locator("tbody tr").all()
    ]


def _number(text: str) -> float:
    """A figure of the grid's accessible copy ("6500000", "0.612")."""
    return float(re.sub(r"[^\d.\-]", "", text))


def _map_draws(page, stations: int) -> bool:
    """Whether a results map comes to draw exactly ``stations`` stations (the map of
    the year chosen before is replaced a moment after the choice)."""
    for _ in range(240):
        if stations in [_count(f, ".planner-station") for f in _map_frames_now(page)]:
            return True
        page.wait_for_timeout(500)
    return False


def test_phased_jinjiang_plan_from_scenario_to_year_views(browser, tmp_path, screenshots):
    from conftest import AppServer

    home = tmp_path / "home"
    server = AppServer(home)
    try:
        page = _open(browser, server.url)
        _save_preset(page)
        page.get_by_text("分年度建设", exact=True).first.scroll_into_view_if_needed()
        _settle(page)
        _type_years(page)
        page.wait_for_selector("text=有未保存的修改", timeout=60_000)
        body = page.inner_text("body")
        assert "需要修改后才能保存" not in body, body[-2000:]
        page.get_by_role("button", name="保存情景").first.click()
        page.wait_for_selector("text=已保存情景", timeout=60_000)
        # the stored scenario holds the years as typed
        from planner.store import Store

        stored = Store(home / "planner.sqlite").list_scenarios()[-1].scenario
        assert [
            (y.year, y.budget_yuan, y.stations, y.sorting_centres) for y in stored.phasing.years
        ] == [tuple(float(v) if i == 1 else v for i, v in enumerate(y)) for y in YEARS]
        page.get_by_text("分年度建设", exact=True).first.scroll_into_view_if_needed()
        _no_traceback(page)
        _shot(page, screenshots, "phasing_scenario.png")

        _run_current(page)
        page.get_by_text("查看规划结果").click()
        page.wait_for_selector("text=建设顺序：", timeout=120_000)
        # the stored plan's kpis.json (the plan's files live in the database)
        (record,) = Store(home / "planner.sqlite").list_plans(region="jinjiang")
        kpis = json.loads(json.dumps(record.kpis))
        years = kpis["years"]
        assert [y["year"] for y in years] == [y[0] for y in YEARS]
        assert [y["stations"] for y in years] == [y[2] for y in YEARS]
        status = page.locator("[data-testid=stAlert]").filter(has_text="建设顺序").inner_text()
        assert "分年度" in status and kpis["phasing"]["status"] in ("optimal", "gap"), status

        rows = _year_table(page)
        assert [int(_number(r["建设年份"])) for r in rows] == [y["year"] for y in years]
        figures = {  # header -> the year's figure in kpis.json
            "回收站点数": "stations",
            "分拣中心数": "sorting_centres",
            "当年新增回收站点": "new_stations",
            "当年新增分拣中心": "new_sorting_centres",
            "平均距离（米）": "mean_distance_m",
            "覆盖社区数": "communities_covered",
            "覆盖行政村数": "villages_covered",
        }
        for shown, year in zip(rows, years, strict=True):
            for header, key in figures.items():
                if header in shown:  # in view
                    assert _number(shown[header]) == pytest.approx(year[key], abs=0.5), header
            # the accessible copy holds the share as stored (the canvas prints 35.5%)
            assert _number(shown["半径内人口覆盖率"]) == pytest.approx(
                year["coverage_share"], abs=1e-4
            )
            if "一次性费用（元）" in shown:
                assert _number(shown["一次性费用（元）"]) == pytest.approx(
                    year["cost_yuan"], abs=0.5
                )
        assert len(rows[0]) >= 8, rows  # most of the table is in view
        page.locator("[data-testid=stVegaLiteChart]").filter(
            has=page.locator("canvas, svg")
        ).first.wait_for(timeout=60_000)
        assert _map_draws(page, years[-1]["stations"])
        _no_traceback(page)
        _shot(page, screenshots, "phasing_results.png")

        # the map as of each year draws that year's stations
        picker = page.locator("[data-testid=stMain] [data-testid=stSelectbox]").filter(
            has_text="地图显示截至哪一年的网络"
        )
        for year in years:
            _choose_option(page, picker, str(year["year"]))
            assert _map_draws(page, year["stations"]), year
            _no_traceback(page)
            _shot(page, screenshots, f"phasing_year_{year['year']}.png")

        page.get_by_text("English").click()
        page.wait_for_selector("text=Results: Jinjiang", timeout=60_000)
        page.get_by_text("Order of building:").first.wait_for(timeout=60_000)
        _settle(page)
        text = page.inner_text("[data-testid=stMain]")
        for frame in _map_frames_now(page):
            text += "\n" + frame.locator("body").inner_text()
        assert not re.search(r"\b(?:phasing|ui)[._][a-z_]+", text), text
        assert not re.search(r"\b(?:nan|NaN|None)\b", text), text
        page.close()
    finally:
        server.stop()
