"""The PDF report's phasing section (issue 17 item 3): sentence, per-year table,
quality in words and one small map per year; plans without phasing unchanged."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest
from matplotlib.colors import to_hex

from planner.data.regions import load_region
from planner.run import run_plan
from planner.scenario import Scenario
from planner.views.export.phasing_report import year_maps
from planner.views.export.report import export_report
from planner.views.style import PRINT

JJ = Path(__file__).resolve().parents[1] / "examples" / "jinjiang_phasing.yaml"

pytestmark = pytest.mark.slow  # two Jinjiang runs and four reports


@pytest.fixture(scope="module")
def region():
    return load_region("jinjiang")


@pytest.fixture(scope="module")
def phased():
    return run_plan("jinjiang", Scenario.load(JJ))


@pytest.fixture(scope="module")
def flat():
    return run_plan("jinjiang", Scenario.load(JJ).with_changes(phasing={}))


def _pages(path) -> list[str]:
    pdf = pdfium.PdfDocument(path)
    return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]


def _wan(yuan) -> str:
    return "—" if yuan is None else f"{yuan / 1e4:,.1f}"


def test_the_chinese_report_has_the_phasing_section_with_each_years_figures(
    phased, region, tmp_path
):
    years = phased.kpis["years"]
    assert [y["year"] for y in years] == [2025, 2026, 2027]
    text = "\n".join(_pages(export_report(phased, tmp_path / "r.pdf", region, "zh")))
    assert "分年度建设安排" in text
    joined = "".join(text.split())  # the sentence wraps over lines, anywhere in Chinese
    for y in years:
        sentence = (
            f"{y['year']} 年建成 {y['stations']} 个回收站点（当年新增 {y['new_stations']} 个）、"
            f"{y['sorting_centres']} 个分拣中心，覆盖 {100 * y['coverage_share']:.1f}% 人口和 "
            f"{y['villages_covered']} 个行政村"
        )
        assert "".join(sentence.split()) in joined
        row = (
            f"{y['year']} {y['stations']} {y['sorting_centres']} "
            f"{y['new_stations']} / {y['new_sorting_centres']} "
            f"{100 * y['coverage_share']:.1f}% {y['villages_covered']} "
            f"{_wan(y['cost_yuan'])} {_wan(y['cumulative_cost_yuan'])} {_wan(y['budget_yuan'])}"
        )
        assert row in text
    # the cumulative cost is the sum of the years' costs
    assert years[-1]["cumulative_cost_yuan"] == pytest.approx(sum(y["cost_yuan"] for y in years))
    ph = phased.kpis["phasing"]
    assert ph["status"] == "optimal" and ph["price_of_phasing_pct"] == 0.0
    assert "分年度建设方案已证明为最优" in joined
    assert "分年度建设没有代价" in joined


def test_one_small_map_per_year_on_a_page_with_a_shared_legend(phased, region, tmp_path):
    pages = _pages(export_report(phased, tmp_path / "r.pdf", region, "zh"))
    maps = [p for p in pages if "分年度建设图" in p]
    assert len(maps) == 1  # three maps and the legend fit one A4 page
    page = maps[0]
    for y in phased.kpis["years"]:
        assert f"{y['year']} 年：{y['stations']} 个回收站点（新增 {y['new_stations']}）" in page
    for words in ("当年新建回收站点", "往年已建回收站点", "当年新建分拣中心", "北", "比例尺"):
        assert words in page


def _marker_counts(ax) -> dict[str, int]:
    """Points drawn per marker fill colour on one map."""
    out: dict[str, int] = {}
    for line in ax.get_lines():
        colour = to_hex(line.get_markerfacecolor())
        out[colour] = out.get(colour, 0) + len(line.get_xdata())
    return out


def test_each_map_shows_the_network_of_its_year_with_the_new_sites_highlighted(phased, region):
    years = phased.kpis["years"]
    (fig,) = year_maps(phased, region, "zh")
    maps = [ax for ax in fig.axes if ax.get_lines()]
    assert len(maps) == len(years)
    new_s, new_c = to_hex(PRINT.station.fill), to_hex(PRINT.centre.fill)
    for ax, y in zip(maps, years, strict=True):
        got = _marker_counts(ax)
        # the sites' ``year`` column against the model's per-year counts
        assert got.get(new_s, 0) == y["new_stations"]
        assert got.get(new_c, 0) == y["new_sorting_centres"]
        earlier = sum(got.values()) - got.get(new_s, 0) - got.get(new_c, 0)
        assert earlier == (y["stations"] - y["new_stations"]) + (
            y["sorting_centres"] - y["new_sorting_centres"]
        )


def test_a_plan_without_phasing_has_no_section_and_no_year_maps(flat, phased, region, tmp_path):
    assert "years" not in flat.kpis
    pages = _pages(export_report(flat, tmp_path / "f.pdf", region, "zh"))
    text = "\n".join(pages)
    assert "分年度建设安排" not in text and "分年度建设图" not in text
    assert year_maps(flat, region, "zh") == []
    phased_pages = _pages(export_report(phased, tmp_path / "p.pdf", region, "zh"))
    # the phased report adds the section's page and the maps page, nothing else
    assert len(phased_pages) == len(pages) + 2


def test_the_english_report_has_the_section_too(phased, region, tmp_path):
    text = "\n".join(_pages(export_report(phased, tmp_path / "r.pdf", region, "en")))
    flat_text = " ".join(text.split())
    assert "Phasing by year" in text and "The network year by year" in text
    y = phased.kpis["years"][0]
    assert (
        f"By {y['year']}: {y['stations']} recycling stations ({y['new_stations']} new that year)"
        in flat_text
    )
    assert "The roll-out is proven optimal" in flat_text
    assert "Recycling station built that year" in text


def test_the_appendix_names_the_phasing_and_its_mode_in_words(phased, region, tmp_path):
    text = "\n".join(_pages(export_report(phased, tmp_path / "r.pdf", region, "zh")))
    appendix = text[text.index("附录") :]
    assert "分年度建设 固定最终方案" in appendix
    assert "phased_fixed_final" not in text and "phasing phased" not in text
