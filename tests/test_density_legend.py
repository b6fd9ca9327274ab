"""The Data page's density map states no impossible figure (issue 22): its legend is a
robust quantile scale with open-ended end classes, and a tooltip above the ceiling says
"more than" instead of the figure a tiny generated outline gives."""

from __future__ import annotations

import re

import numpy as np
import pytest

from planner.data.regions import load_region
from planner.views.region_map import _with_density, region_map
from planner.views.style import MAX_SHOWN_DENSITY, density_scale, density_text


def _figures(text: str) -> list[float]:
    return [float(x.replace(",", "")) for x in re.findall(r"\d[\d,]*", text)]


def test_scale_ignores_outliers_and_opens_its_end_classes() -> None:
    values = np.array([50, 120, 300, 800, 2_000, 3_500, 9_000, 1_241_593], dtype=float)
    scale = density_scale(values)
    items = [text for _, text in scale.legend_items()]
    assert items[0].startswith("< ") and items[-1].startswith("≥ ")
    assert max(max(_figures(text)) for text in items) <= MAX_SHOWN_DENSITY
    # breaks at two significant figures, increasing, one colour per class
    assert all(len(str(int(b)).rstrip("0")) <= 2 for b in scale.breaks)
    assert list(scale.breaks) == sorted(set(scale.breaks))
    assert len(items) == len(scale.breaks) + 1
    # the lowest and highest values fall in the end classes
    assert scale(10) == scale.colours[0] and scale(1_241_593) == scale.colours[-1]


def test_density_text_says_more_than_above_the_ceiling() -> None:
    assert density_text(3_471.0) == "3,471"
    assert density_text(1_241_593.0) == "> 50,000"
    assert density_text(float("nan")) == "—"


@pytest.mark.parametrize("region_id", ["wenzhou", "jinjiang"])
def test_region_map_states_no_impossible_density(region_id: str) -> None:
    region = load_region(region_id)
    densities = _with_density(region.communities, region.metric_crs)["density"]
    html = region_map(region, show_sites=False).get_root().render()
    worst = f"{densities.max():,.0f}"
    if densities.max() > MAX_SHOWN_DENSITY:
        assert worst not in html  # Wenzhou's islet community: 1,241,593 people/km²
        assert '"density_text": "\\u003e 50,000"' in html  # the tooltip's text, JSON-escaped
    legend = html[html.index("人口密度") :]
    legend = legend[: legend.index("</div></div>") + len("</div>")]
    # the density rows only: sections below them (示意位置) have headings of their own
    legend = legend.split('<b style="display:block')[0]
    rows = re.findall(r"</span>([^<]+)</div>", legend)
    assert len(rows) == 5 and rows[0].startswith("&lt; ") and rows[-1].startswith("≥ ")
    assert max(max(_figures(row)) for row in rows) <= MAX_SHOWN_DENSITY
