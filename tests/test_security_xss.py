"""Stored XSS in the maps: every string from data reaches Leaflet HTML-escaped.

Folium embeds a layer's properties as JSON (``<`` written as ``\\u003c``) and Leaflet
puts tooltip, popup and layer-control strings into the page as HTML. So the test reads
each map as its JavaScript sees it (JSON escapes decoded) and asserts, for every map
builder and every name column, that each payload is there only in its escaped form:
``&lt;img src=x onerror=…`` present, ``<img src=x onerror`` absent. The embedding in the
app (a frame sandboxed without same origin) is checked here on the HTML; the browser
test (``test_security_xss_browser.py``) checks that no payload runs in Chromium.
"""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.data.regions import load_region
from planner.scenario import default_scenario
from planner.views import (
    MAP_SANDBOX,
    add_legend,
    add_notice,
    escape_html,
    escaped_columns,
    isolate_map,
    layer_map,
    plan_map,
    region_map,
    to_html,
)

pytestmark = pytest.mark.usefixtures("planner_home")

ROOT = Path(__file__).resolve().parents[1]

#: Distinct ways a name can try to become markup or script.
PAYLOADS = (
    '"><img src=x onerror=alert(1)>',  # the issue's: leaves an attribute, runs on error
    "<script>alert(1)</script>",
    "<svg onload=alert(1)>",
    '<iframe srcdoc="<script>parent.alert(1)</script>">',
    "</script><script>alert(1)</script>",  # ends the map's own <script> element
    '<a href="javascript:alert(1)">点我</a>',
    "<img src=x onerror=alert(1)//",  # unclosed tag
    "<details open ontoggle=alert(1)>",
)


def _js_sees(page: str) -> str:
    """``page`` with JSON's ``\\uXXXX`` and ``\\/`` escapes decoded: the strings Leaflet
    is given."""
    page = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)
    return page.replace("\\/", "/")


def _tagged(payload: str, column: str) -> str:
    return f"{payload}·{column}"


def _assert_escaped(page: str, texts) -> None:
    """Each text is in the page only escaped (as HTML text), never as markup."""
    seen = _js_sees(page)
    for text in texts:
        assert html.escape(text) in seen, f"{text!r} is not shown (escaped)"
        assert text not in seen, f"{text!r} reaches Leaflet as HTML"


def _hostile(layer, column: str, key: str | None = None):
    """``layer`` with ``column`` set to the payloads in turn (tagged with ``key``)."""
    out = layer.copy()
    values = [_tagged(PAYLOADS[i % len(PAYLOADS)], key or column) for i in range(len(out))]
    out[column] = values
    return out, sorted(set(values))


# --- the one rule ------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escape_html_leaves_no_markup(payload) -> None:
    text = escape_html(payload)
    assert "<" not in text and ">" not in text and '"' not in text
    assert html.unescape(text) == payload  # shown as exactly what it was


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, ""),
        (float("nan"), ""),
        (np.float64("nan"), ""),
        (pd.NA, ""),
        ("&lt;b&gt;", "&amp;lt;b&amp;gt;"),  # an entity is shown as typed, not decoded
        ('O\'Brien "站"', "O&#x27;Brien &quot;站&quot;"),
        (350582001005, "350582001005"),  # a numeric code keeps its digits, no separators
        (pd.NaT, ""),
    ],
    ids=["None", "nan", "numpy-nan", "pd.NA", "entity", "quotes", "numeric-code", "NaT"],
)
def test_escape_html_missing_values_entities_and_codes(value, shown) -> None:
    assert escape_html(value) == shown


def test_escaped_columns_fills_absent_columns() -> None:
    frame = pd.DataFrame({"name": ["<b>甲</b>", None], "n": [1, 2]})
    out = escaped_columns(frame, ["name", "code"])
    assert out["name"].tolist() == ["&lt;b&gt;甲&lt;/b&gt;", ""]
    assert out["code"].tolist() == ["", ""]


def test_legend_and_notice_escape_their_text() -> None:
    import folium

    fmap = folium.Map(tiles=None)
    add_legend(fmap, PAYLOADS[0], [("#fff", PAYLOADS[1])])
    add_notice(fmap, PAYLOADS[2])
    page = fmap.get_root().render()
    _assert_escaped(page, PAYLOADS[:3])


# --- region maps: county, township, community names and codes -------------------------------


@pytest.fixture(scope="module")
def jinjiang():
    return load_region("jinjiang")


@pytest.mark.parametrize(
    ("layer", "column"),
    [
        ("counties", "name"),
        ("counties", "code"),
        ("townships", "name"),
        ("townships", "code"),
        ("communities", "name"),
        ("communities", "code"),
    ],
)
def test_region_map_escapes_names_and_codes(jinjiang, layer, column) -> None:
    hostile, texts = _hostile(getattr(jinjiang, layer), column, f"{layer}.{column}")
    region = dataclasses.replace(jinjiang, **{layer: hostile})
    _assert_escaped(to_html(region_map(region, "zh")), texts)


def test_region_map_with_amap_escapes_too(jinjiang) -> None:
    towns, texts = _hostile(jinjiang.townships, "name")
    region = dataclasses.replace(jinjiang, townships=towns)
    _assert_escaped(to_html(region_map(region, "en", basemap="amap")), texts)


def test_region_map_numbers_stay_formatted_numbers(jinjiang) -> None:
    seen = _js_sees(to_html(region_map(jinjiang, "zh")))
    population = int(jinjiang.communities["population"].iloc[0])
    assert f'"population": "{population:,}"' in seen
    assert '"density": ' in seen and '"density_text": "' in seen  # colour and tooltip


# --- the import preview: a layer nobody has vetted yet ------------------------------------


@pytest.mark.parametrize("column", ["name", "code", "site_id", "population"])
def test_layer_map_escapes_every_shown_column(jinjiang, column) -> None:
    communities = jinjiang.communities
    if column == "site_id":  # a sites file: ids instead of codes
        communities = communities.rename(columns={"code": "site_id"})
    layer, texts = _hostile(communities, column)
    _assert_escaped(to_html(layer_map(layer, "zh", boundary=jinjiang.counties)), texts)


def test_layer_map_formats_numbers_and_keeps_odd_text(jinjiang) -> None:
    layer = jinjiang.communities.head(3).copy()
    layer["population"] = pd.Series([12345.0, "16433,5", None], dtype=object).to_numpy()
    seen = _js_sees(to_html(layer_map(layer, "zh")))
    assert '"population": "12,345"' in seen
    assert '"population": "16433,5"' in seen  # shown as the file has it, to be questioned
    assert '"population": ""' in seen


# --- plan maps: results, compare and sweep pages --------------------------------------------


@pytest.fixture(scope="module")
def jinjiang_plan(jinjiang):
    from planner.run import run_plan

    return run_plan(jinjiang, default_scenario("jinjiang"))


def _plan_with_names(plan, tier: str, column: str = "name"):
    sites = plan.sites.copy()
    rows = sites.index[sites["tier"] == tier]
    values = [_tagged(PAYLOADS[i % len(PAYLOADS)], f"{tier}.{column}") for i in range(len(rows))]
    if column == "site_id":
        sites.loc[rows, "name"] = None  # the id is the title then
    sites.loc[rows, column] = values
    return dataclasses.replace(plan, sites=sites), sorted(set(values))


_PLAN_VARIANTS = {
    "results": {},
    "compare": {"compact": True, "show_links": False},
    "amap+radius+cluster": {"basemap": "amap", "show_radius": True, "cluster": True},
}


@pytest.mark.parametrize("variant", list(_PLAN_VARIANTS))
@pytest.mark.parametrize("layer", ["counties", "townships"])
def test_plan_map_escapes_area_names(jinjiang, jinjiang_plan, layer, variant) -> None:
    hostile, texts = _hostile(getattr(jinjiang, layer), "name", layer)
    region = dataclasses.replace(jinjiang, **{layer: hostile})
    page = to_html(plan_map(jinjiang_plan, region, "zh", **_PLAN_VARIANTS[variant]))
    _assert_escaped(page, texts)  # outline/coverage tooltips and every site's popup


@pytest.mark.parametrize(
    ("tier", "column"),
    [("station", "name"), ("sorting_centre", "name"), ("station", "site_id")],
)
def test_plan_map_escapes_site_names_and_ids(jinjiang, jinjiang_plan, tier, column) -> None:
    plan, texts = _plan_with_names(jinjiang_plan, tier, column)
    _assert_escaped(to_html(plan_map(plan, jinjiang, "en")), texts)


def test_plan_map_escapes_uncovered_community_names(jinjiang, jinjiang_plan) -> None:
    demand, texts = _hostile(jinjiang_plan.demand, "name", "demand")
    plan = dataclasses.replace(jinjiang_plan, demand=demand)
    uncovered = set(demand.loc[~demand["covered"].astype(bool), "name"])
    _assert_escaped(to_html(plan_map(plan, jinjiang, "zh")), [t for t in texts if t in uncovered])


def test_plan_map_without_a_name_shows_no_nan(jinjiang_plan) -> None:
    sites = jinjiang_plan.sites.copy()
    sites["name"] = np.nan
    page = _js_sees(to_html(plan_map(dataclasses.replace(jinjiang_plan, sites=sites))))
    assert "<b>nan</b>" not in page
    first = str(sites["site_id"].iloc[0])
    assert f"<b>{first}</b>" in page  # the id stands in


# --- the review map ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def reviewed(jinjiang_plan):
    """The review table with one rejected site whose every text is hostile."""
    from planner.plan.review import Decision, replay, site_table

    sid = str(jinjiang_plan.stations["site_id"].iloc[0])
    states = replay(
        [
            Decision(
                1, 1, "station", sid, "reject", _tagged(PAYLOADS[2], "reviewer"),
                _tagged(PAYLOADS[3], "reason"), version=1,
            )
        ]
    )  # fmt: skip
    table = site_table(jinjiang_plan, states)
    table.loc[table["site_id"] == sid, "name"] = _tagged(PAYLOADS[0], "review.name")
    return table[table["status"] != "pending"]


@pytest.mark.parametrize(
    ("column", "payload"),
    [("name", PAYLOADS[0]), ("reviewer", PAYLOADS[2]), ("reason", PAYLOADS[3])],
)
def test_review_map_escapes_name_reviewer_and_reason(
    jinjiang, jinjiang_plan, reviewed, column, payload
) -> None:
    from planner.views.review_map import review_map

    tag = "review.name" if column == "name" else column
    page = to_html(review_map(jinjiang_plan, reviewed, jinjiang, "zh"))
    _assert_escaped(page, [_tagged(payload, tag)])


def test_review_map_escapes_a_hostile_site_id(jinjiang_plan, reviewed) -> None:
    from planner.views.review_map import review_map

    table = reviewed.copy()
    table["site_id"] = _tagged(PAYLOADS[4], "review.site_id")
    _assert_escaped(
        to_html(review_map(jinjiang_plan, table)), [_tagged(PAYLOADS[4], "review.site_id")]
    )


def test_review_map_needs_no_jquery_and_lists_its_layer(jinjiang, jinjiang_plan, reviewed) -> None:
    """folium.Popup builds its content with jQuery's ``$(…)`` (parsing it as HTML), which
    the offline maps do not load, and the layer control was added before the review
    layer it lists: either stopped the map's script, so reviewed sites never showed."""
    from planner.views.review_map import review_map

    page = to_html(review_map(jinjiang_plan, reviewed, jinjiang, "zh"))
    assert "$(`" not in page
    last_group = page.rindex("= L.featureGroup(")
    assert last_group < page.index("L.control.layers(")  # every layer exists when listed
    assert '"kind": "circle_marker"' in page


# --- the exported HTML map --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("what", "column"),
    [
        ("counties", "name"),
        ("counties", "code"),
        ("townships", "name"),
        ("townships", "code"),
        ("station", "name"),
        ("station", "site_id"),
        ("sorting_centre", "name"),
    ],
)
def test_exported_html_map_escapes(jinjiang, jinjiang_plan, what, column, tmp_path) -> None:
    from planner.views.export.html import export_html

    region, plan = jinjiang, jinjiang_plan
    if what in ("counties", "townships"):
        hostile, texts = _hostile(getattr(jinjiang, what), column, f"{what}.{column}")
        region = dataclasses.replace(jinjiang, **{what: hostile})
    else:
        plan, texts = _plan_with_names(jinjiang_plan, what, column)
    page = export_html(plan, tmp_path / "map.html", region, "zh").read_text(encoding="utf-8")
    _assert_escaped(page, texts)


# --- the embedding in the app ----------------------------------------------------------------


def _srcdoc(outer: str) -> str:
    match = re.fullmatch(r'.*<iframe sandbox="([^"]*)" title="map" srcdoc="([^"]*)"></iframe>.*',
                         outer, re.S)  # fmt: skip
    assert match is not None, outer[:300]
    assert match.group(1) == MAP_SANDBOX
    return html.unescape(match.group(2))


def test_isolated_map_runs_scripts_without_the_apps_origin(jinjiang) -> None:
    page = to_html(region_map(jinjiang, "zh"))
    outer = isolate_map(page)
    assert MAP_SANDBOX == "allow-scripts"  # never together with allow-same-origin
    assert "allow-same-origin" not in outer and "allow-top-navigation" not in outer
    assert _srcdoc(outer) == page  # the map itself is unchanged
    assert "<script" not in outer  # the wrapper runs nothing in the app's origin


@pytest.mark.parametrize("payload", PAYLOADS)
def test_isolated_map_cannot_be_broken_out_of(payload) -> None:
    outer = isolate_map(f"<html><body>{payload}</body></html>")
    assert _srcdoc(outer) == f"<html><body>{payload}</body></html>"
    assert outer.count("<iframe") == 1 and "<script" not in outer and "<svg" not in outer


def test_every_map_in_the_app_is_embedded_isolated() -> None:
    """``st.iframe`` appears only in ``views.show_map``, which isolates the map."""
    ui = ROOT / "planner" / "ui"
    calls = {
        path.relative_to(ui).as_posix(): len(
            re.findall(r"\bst\.iframe\(", path.read_text(encoding="utf-8"))
        )
        for path in ui.rglob("*.py")
    }
    assert {name: n for name, n in calls.items() if n} == {"widgets/views.py": 1}
    views = (ui / "widgets" / "views.py").read_text(encoding="utf-8")
    assert "st.iframe(isolate_map(page), height=height)" in views
    shown = {
        path.relative_to(ui).as_posix(): len(
            re.findall(r"\bshow_map\(", path.read_text(encoding="utf-8"))
        )
        for path in ui.rglob("*.py")
        if path.name != "views.py"
    }
    assert {name: n for name, n in shown.items() if n} == {
        "pages/data.py": 1,
        "pages/imports.py": 2,  # a layer's preview, a new city's preview
        "pages/results.py": 1,
        "pages/review.py": 2,  # the plan with its review; the move map
        "pages/compare.py": 2,  # both plans on one map; each plan
        "pages/sweep.py": 1,
    }


def test_escape_html_is_the_rule_in_every_map_module() -> None:
    """No map module escapes on its own (or builds HTML from data without escaping)."""
    views = ROOT / "planner" / "views"
    own = {"text.py": 1, "embed.py": 1}  # escape_html itself; isolate_map's srcdoc
    for path in sorted(views.rglob("*.py")):
        name = path.relative_to(views).as_posix()
        text = path.read_text(encoding="utf-8")
        uses = re.findall(r"html\.escape\(", text)
        assert len(uses) == own.get(name, 0), name
        assert "folium.Popup(" not in text and "parse_html" not in text, name
        assert not re.search(r"\bname=t\(", text), name  # layer names go through escaping
