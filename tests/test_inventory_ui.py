"""The inventory on the Data page: the region map's site symbols and legend, the table in
the planner's words, and the made-up example offered (and imported) in the app."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pandas as pd
import pytest

from planner.data.edit import ImportFile, import_into_region
from planner.data.regions import Region, load_region
from planner.ui.widgets.inventory import EXAMPLE_INVENTORY, inventory_table
from planner.views import region_map, to_html

pytestmark = pytest.mark.usefixtures("planner_home")


@pytest.fixture(scope="module")
def with_sites() -> Region:
    """Jinjiang with the example inventory, one station to close and one candidate."""
    jinjiang = load_region("jinjiang")
    upload = ImportFile(EXAMPLE_INVENTORY.name, EXAMPLE_INVENTORY.read_bytes(), "", "gcj02")
    region = import_into_region(jinjiang, "sites", upload).region
    sites = region.sites.copy()
    sites.loc[sites["site_id"] == "JJ-S001", "status"] = "existing_close"
    sites.loc[sites["site_id"] == "JJ-S002", "status"] = "candidate"
    return region.with_layer("sites", sites)


def test_region_map_draws_sites_by_tier_with_a_legend(with_sites) -> None:
    html = to_html(region_map(with_sites, "zh", show_communities=False))
    assert html.count('"css_class": "planner-inv-station"') == 1
    assert html.count('"css_class": "planner-inv-centre"') == 1
    assert '"existing_close"' in html and '"candidate"' in html
    legend = html[html.index('class="planner-legend"') :].split("</div></div>")[0]
    for text in ("人口密度", "现有站点", "回收站点", "分拣中心", "现有·关闭", "候选"):
        assert text in legend, text
    assert "border-radius:50%" in legend and "border-radius:2px" in legend
    # a popup carries the inventory's columns in words
    assert "示例回收站 003" in html and "营业面积（平方米）" in html and "标准化建设" in html
    english = to_html(region_map(with_sites, "en", show_communities=False))
    assert "Existing sites" in english and "fire safety" in english
    assert "planner-inv" not in to_html(region_map(with_sites, "zh", show_sites=False))
    assert "planner-inv" not in to_html(region_map(load_region("jinjiang"), "zh"))


def test_region_map_escapes_site_names(with_sites) -> None:
    sites = with_sites.sites.copy()
    sites.loc[0, "name"] = "<img src=x onerror=alert(1)>"
    sites.loc[0, "operator"] = "<script>alert(2)</script>"
    page = to_html(region_map(with_sites.with_layer("sites", sites), "zh"))
    # the strings Leaflet is given: JSON's \uXXXX and \/ escapes decoded
    seen = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)
    seen = seen.replace("\\/", "/")
    for text in sites.loc[0, ["name", "operator"]]:
        assert html.escape(text) in seen and text not in seen


def test_inventory_table_in_both_languages(with_sites) -> None:
    zh = inventory_table(with_sites, "zh")
    assert list(zh.columns) == [
        "站点编号", "名称", "站点级别", "类型", "状态", "乡镇/街道", "地址", "经营者",
        "营业面积（平方米）", "营业执照（备案）", "消防", "是否在用", "标准化建设", "处理能力",
    ]  # fmt: skip
    assert len(zh) == 122
    first = zh.iloc[0]
    assert first["站点级别"] == "回收站点" and first["类型"] == "回收站点"
    assert first["状态"] == "现有·关闭"
    assert set(zh["营业执照（备案）"]) == {"有", "无", "不详"}
    assert set(zh["消防"]) == {"合格", "不合格", "不详"}
    assert set(zh["是否在用"]) == {"在用", "停用"}
    assert set(zh["标准化建设"]) == {"已标准化", "未标准化", "不详"}
    assert zh["营业面积（平方米）"].dtype == "float64"
    yard = zh[zh["站点编号"] == "JJ-C01"].iloc[0]
    assert yard["乡镇/街道"] == "安海镇" and yard["站点级别"] == "分拣中心"
    en = inventory_table(with_sites, "en")
    assert list(en.columns)[:5] == ["site ID", "name", "tier", "kind", "status"]
    assert set(en["fire safety"]) == {"pass", "fail", "unknown"}
    assert en.iloc[1]["status"] == "candidate"
    assert inventory_table(load_region("jinjiang"), "zh").empty


def test_app_offers_the_example_and_shows_the_imported_inventory() -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../app.py", default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert any("还没有现有站点清单" in c.value for c in at.caption)
    at.selectbox(key="imp_target@zh").set_value("sites").run()
    (button,) = [b for b in at.get("download_button") if "示例清单" in str(b.proto.label)]
    assert "虚构" in button.proto.label
    assert any("全部为虚构数据，并非真实站点" in c.value for c in at.caption)
    (uploader,) = [u for u in at.file_uploader if u.key and u.key.startswith("imp_replace")]
    uploader.upload(EXAMPLE_INVENTORY.name, EXAMPLE_INVENTORY.read_bytes(), "text/csv").run()
    # the example is recognised as GCJ-02 against the communities: no question asked
    assert not [b for b in at.button if b.label == "GCJ-02（高德/腾讯）"]
    assert not at.exception, at.exception
    assert any("122 个站点可以导入" in s.value for s in at.success)
    next(b for b in at.button if b.key and "apply" in b.key).click().run()
    assert not at.exception, at.exception
    assert any("共 122 个现有站点：回收站点 120 个，分拣中心 2 个" in c.value for c in at.caption)
    tables = [pd.DataFrame(d.value) for d in at.dataframe]
    inventory = next(t for t in tables if "营业执照（备案）" in t.columns)
    assert len(inventory) == 122
    assert any(c.label == "显示现有站点" and c.value for c in at.checkbox)


def test_example_is_offered_for_jinjiang_only(monkeypatch) -> None:
    from planner.ui.widgets import inventory

    offered = []
    monkeypatch.setattr(inventory.st, "download_button", lambda *a, **k: offered.append(k))
    monkeypatch.setattr(inventory.st, "caption", lambda *a, **k: None)
    wenzhou = load_region("wenzhou")
    inventory.example_download(wenzhou)
    assert offered == []
    inventory.example_download(replace(wenzhou, meta={**wenzhou.meta, "adcode": "350582"}))
    assert [k["file_name"] for k in offered] == ["jinjiang_existing_sites.csv"]
