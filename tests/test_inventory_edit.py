"""Correcting the inventory one site at a time (issue 15, item 1): the edit itself, its
refusals, the audit trail in the database, and the Data page's form that saves both."""

from __future__ import annotations

import math
import sqlite3

import pandas as pd
import pytest

from planner.data.edit import ImportFile, import_into_region
from planner.data.edit.inventory import SiteEdit, edit_site, site_values
from planner.data.regions import Region, load_region
from planner.i18n import PlannerError
from planner.scenario import Scenario
from planner.scenario.compliance import classify_sites
from planner.store import Store
from planner.ui.widgets.inventory import EXAMPLE_INVENTORY

pytestmark = pytest.mark.usefixtures("planner_home")


@pytest.fixture(scope="module")
def jinjiang() -> Region:
    """Jinjiang with the made-up example inventory."""
    upload = ImportFile(EXAMPLE_INVENTORY.name, EXAMPLE_INVENTORY.read_bytes(), "", "gcj02")
    return import_into_region(load_region("jinjiang"), "sites", upload).region


def _site(region: Region, site_id: str) -> pd.Series:
    return region.sites.set_index("site_id").loc[site_id]


def test_edit_changes_only_the_fields_that_differ(jinjiang) -> None:
    before = site_values(jinjiang, "JJ-S003")
    values = {**before, "licence": "yes", "floor_area_m2": "32.5", "operator": " 新经营者 "}
    edited, edits = edit_site(jinjiang, "JJ-S003", values)
    changed = {e.field: (e.old, e.new) for e in edits}
    assert set(changed) == {"licence", "floor_area_m2", "operator"} - {
        f for f in ("licence",) if before["licence"] == "yes"
    }
    assert changed["floor_area_m2"] == (before["floor_area_m2"], "32.5")
    assert changed["operator"][1] == "新经营者"
    site = _site(edited, "JJ-S003")
    assert site["floor_area_m2"] == 32.5 and site["licence"] == "yes"
    # the given region is untouched, and so is every other site and the geometry
    assert _site(jinjiang, "JJ-S003")["operator"] == before["operator"]
    others = edited.sites["site_id"] != "JJ-S003"
    pd.testing.assert_frame_equal(
        edited.sites[others].drop(columns="geometry").reset_index(drop=True),
        jinjiang.sites[others].drop(columns="geometry").reset_index(drop=True),
        check_dtype=False,
    )
    assert edited.sites.geometry.equals(jinjiang.sites.geometry)


def test_no_change_gives_the_same_region(jinjiang) -> None:
    same, edits = edit_site(jinjiang, "JJ-S010", site_values(jinjiang, "JJ-S010"))
    assert edits == [] and same is jinjiang


def test_numbers_are_read_as_the_import_reads_them(jinjiang) -> None:
    edited, _ = edit_site(jinjiang, "JJ-S004", {"floor_area_m2": "1,250 m²", "capacity": "２.5"})
    site = _site(edited, "JJ-S004")
    assert site["floor_area_m2"] == 1250 and site["capacity"] == 2.5


def test_blank_number_means_unknown(jinjiang) -> None:
    edited, edits = edit_site(jinjiang, "JJ-S004", {"floor_area_m2": ""})
    assert math.isnan(_site(edited, "JJ-S004")["floor_area_m2"])
    assert edits[0].new == "" and edits[0].old != ""


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"floor_area_m2": "-3"}, "inventory.edit_number"),
        ({"capacity": "两吨"}, "inventory.edit_number"),
        ({"floor_area_m2": "inf"}, "inventory.edit_number"),
        ({"floor_area_m2": "16433,5"}, "inventory.edit_number"),  # ambiguous, not 164335
        ({"capacity": "1e15"}, "inventory.edit_number"),
        ({"licence": "maybe"}, "inventory.edit_value"),
        ({"status": "candidate"}, "inventory.edit_value"),
        ({"name": "   "}, "inventory.edit_no_name"),
        ({"address": "x" * 201}, "inventory.edit_long"),
        ({"tier": "sorting_centre"}, "inventory.edit_field"),
        ({"geometry": "POINT (0 0)"}, "inventory.edit_field"),
    ],
)
def test_bad_values_are_refused_with_a_message(jinjiang, values, key) -> None:
    with pytest.raises(PlannerError) as err:
        edit_site(jinjiang, "JJ-S005", values)
    assert err.value.key == key
    assert "{" not in err.value.message("zh") and "{" not in err.value.message("en")


def test_unknown_site_and_region_without_inventory() -> None:
    with pytest.raises(PlannerError) as err:
        edit_site(load_region("jinjiang"), "JJ-S001", {"licence": "yes"})
    assert err.value.key == "inventory.edit_no_sites"


def test_an_edit_changes_the_compliance_check(jinjiang) -> None:
    """A licence obtained and a fire inspection passed turn a closure into a keep or an
    upgrade."""
    scenario = Scenario.from_dict({"region": "jinjiang", "existing": {"standard": "jinjiang2024"}})
    sites = jinjiang.sites
    table = classify_sites(sites, scenario.existing)
    reasons = table["reasons"].astype(str)
    closing = (
        (table["action"] == "close")
        & (sites["tier"] == "station")
        & reasons.str.contains("no_licence")
        & ~reasons.str.contains("not_in_use|marked_close")
    )
    site_id = str(sites.loc[closing, "site_id"].iloc[0])
    edited, _ = edit_site(
        jinjiang, site_id, {"licence": "yes", "fire_safety": "pass", "in_use": "yes"}
    )
    after = classify_sites(edited.sites, scenario.existing)
    after.index = edited.sites["site_id"].astype(str)
    assert after.loc[site_id, "action"] in ("keep", "upgrade")


def test_audit_rows_are_appended_and_read_back(tmp_path) -> None:
    store = Store(tmp_path / "planner.sqlite")
    edits = [SiteEdit("JJ-S003", "licence", "no", "yes"), SiteEdit("JJ-S003", "name", "a", "b")]
    first = store.record_inventory_edits(
        "jj2026", edits, " 王工 ", "已补办执照", "2026-12-01T08:00:00"
    )
    store.record_inventory_edits(
        "jj2026", [SiteEdit("JJ-S009", "in_use", "yes", "no")], "李", "停业"
    )
    store.record_inventory_edits("other", [SiteEdit("JJ-S003", "name", "b", "c")], "李", "x")
    assert [r.id for r in first] == [1, 2] and first[0].author == "王工"
    trail = store.inventory_history("jj2026")
    assert [(r.site_id, r.field, r.old_value, r.new_value) for r in trail] == [
        ("JJ-S003", "licence", "no", "yes"),
        ("JJ-S003", "name", "a", "b"),
        ("JJ-S009", "in_use", "yes", "no"),
    ]
    assert trail[0].created_at == "2026-12-01T08:00:00" and trail[0].reason == "已补办执照"
    assert [r.site_id for r in store.inventory_history("jj2026", "JJ-S009")] == ["JJ-S009"]
    # survives reopening the file
    assert len(Store(tmp_path / "planner.sqlite").inventory_history("jj2026")) == 3


@pytest.mark.parametrize(
    ("author", "reason", "key"),
    [("", "r", "inventory.edit_no_author"), ("王工", "  ", "inventory.edit_no_reason"),
     ("王" * 101, "r", "review.long_reviewer"), ("王工", "r" * 2001, "review.long_reason")],
)  # fmt: skip
def test_audit_needs_an_author_and_a_reason(tmp_path, author, reason, key) -> None:
    store = Store(tmp_path / "planner.sqlite")
    with pytest.raises(PlannerError) as err:
        store.record_inventory_edits("r", [SiteEdit("S", "name", "a", "b")], author, reason)
    assert err.value.key == key
    with sqlite3.connect(tmp_path / "planner.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM inventory_edits").fetchone()[0] == 0


def test_data_page_edits_a_site_and_saves_it_with_its_trail(planner_home) -> None:
    """Import the example, correct one station, save the region: the pack has the new
    values and the database the audit rows."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../app.py", default_timeout=180)
    at.run()
    at.selectbox(key="imp_target@zh").set_value("sites").run()
    (uploader,) = [u for u in at.file_uploader if u.key and u.key.startswith("imp_replace")]
    uploader.upload(EXAMPLE_INVENTORY.name, EXAMPLE_INVENTORY.read_bytes(), "text/csv").run()
    # the example is recognised as GCJ-02 against the communities: no question asked
    assert not [b for b in at.button if b.label == "GCJ-02（高德/腾讯）"]
    next(b for b in at.button if b.key and "apply" in b.key).click().run()
    assert not at.exception, at.exception

    at.selectbox(key="inv_edit_site").set_value("JJ-S007").run()

    def field(name: str):
        widgets = [*at.text_input, *at.selectbox]
        return next(w for w in widgets if w.key and f"inv_edit_{name}_JJ-S007" in w.key)

    field("floor_area_m2").set_value("45")
    field("fire_safety").set_value("fail")
    next(w for w in at.text_input if w.key == "inventory_edit_author").set_value("王工")
    apply = next(b for b in at.button if "应用修改" in str(b.label))
    apply.click().run()  # no reason: refused, nothing changed
    assert not at.exception, at.exception
    assert any("请填写修改原因" in e.value for e in at.error)

    field("reason").set_value("2026 年 12 月现场核查")
    next(b for b in at.button if "应用修改" in str(b.label)).click().run()
    assert not at.exception, at.exception
    assert any("已修改站点 JJ-S007 的" in s.value and "消防" in s.value for s in at.success)
    tables = [pd.DataFrame(d.value) for d in at.dataframe]
    trail = next(t for t in tables if "原值" in t.columns)
    assert set(trail["状态"]) == {"未保存"} and set(trail["新值"]) == {"45", "不合格"}

    # save the region as a pack: the edit and its trail are kept
    def text(prefix: str):
        return next(w for w in at.text_input if w.key and w.key.startswith(prefix))

    text("imp_working_save_id").set_value("jj_checked")
    text("imp_working_save_zh").set_value("晋江（核查后）")
    text("imp_working_save_en").set_value("Jinjiang (checked)")
    next(b for b in at.button if b.label == "保存").click().run()
    assert not at.exception, at.exception
    region = load_region("jj_checked")
    site = region.sites.set_index("site_id").loc["JJ-S007"]
    assert site["floor_area_m2"] == 45 and site["fire_safety"] == "fail"
    rows = Store().inventory_history("jj_checked", "JJ-S007")
    assert {(r.field, r.new_value, r.author) for r in rows} == {
        ("floor_area_m2", "45", "王工"),
        ("fire_safety", "fail", "王工"),
    }
    assert all(r.reason == "2026 年 12 月现场核查" for r in rows)


def test_unsaved_edits_go_with_a_dropped_working_copy(planner_home) -> None:
    """Another region chosen drops the working copy; its unsaved edits must not linger
    in the trail when the planner comes back."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../app.py", default_timeout=180)
    at.run()
    at.selectbox(key="imp_target@zh").set_value("sites").run()
    (uploader,) = [u for u in at.file_uploader if u.key and u.key.startswith("imp_replace")]
    uploader.upload(EXAMPLE_INVENTORY.name, EXAMPLE_INVENTORY.read_bytes(), "text/csv").run()
    # the example is recognised as GCJ-02 against the communities: no question asked
    assert not [b for b in at.button if b.label == "GCJ-02（高德/腾讯）"]
    next(b for b in at.button if b.key and "apply" in b.key).click().run()
    at.selectbox(key="inv_edit_site").set_value("JJ-S002").run()
    widgets = [*at.text_input]
    next(w for w in widgets if w.key and "inv_edit_operator_JJ-S002" in w.key).set_value("新")
    next(w for w in widgets if w.key == "inventory_edit_author").set_value("王工")
    next(w for w in widgets if w.key and "inv_edit_reason_JJ-S002" in w.key).set_value("核查")
    next(b for b in at.button if "应用修改" in str(b.label)).click().run()
    assert not at.exception, at.exception
    assert any("原值" in pd.DataFrame(d.value).columns for d in at.dataframe)

    at.session_state["region_id"] = "wenzhou"
    at.run()
    at.session_state["region_id"] = "jinjiang"
    at.run()
    assert not at.exception, at.exception
    assert not any("原值" in pd.DataFrame(d.value).columns for d in at.dataframe)
    assert "inventory_edits_pending" not in at.session_state
