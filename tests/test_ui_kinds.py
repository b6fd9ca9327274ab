"""Standalone facility kinds in the app, with Streamlit's AppTest: the kinds table on
the scenario page, the indicators per kind and the exclusions on the results page, the
kinds in the solver table (issue 16, item 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from page_apps import page_app, page_table

from planner.data.io.layer_folder import read_layer_folder
from planner.data.regions import load_region
from planner.plan import Plan
from planner.scenario import Scenario

pytestmark = pytest.mark.usefixtures("planner_home")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "jinjiang_kinds.yaml"
LAYERS = ROOT / "examples" / "jinjiang_kinds.layers"


def _run(at):
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def kinds_plan() -> Plan:
    from planner.run import run_plan

    region = read_layer_folder(load_region("jinjiang"), LAYERS)
    return run_plan(region, Scenario.load(EXAMPLE))


def test_scenario_page_lists_the_kinds_and_saves_them_back(store, planner_home) -> None:
    # a planner's own kind file is offered beside the built-in kinds, without code
    source = (ROOT / "data" / "kinds" / "smart_recycling.toml").read_text("utf-8")
    (planner_home / "kinds").mkdir(parents=True)
    (planner_home / "kinds" / "battery_drop_off.toml").write_text(
        source.replace('id = "smart_recycling"', 'id = "battery_drop_off"').replace(
            "智能回收设施", "废旧电池投放点"
        ),
        encoding="utf-8",
    )
    scenario = Scenario.load(EXAMPLE)
    store.save_scenario(scenario)
    at = page_app("scenario_page")
    assert any(s.value == "独立设施类型" for s in at.subheader)
    editor = next(d for d in at.dataframe if "per_county_min" in d.value.columns)
    assert list(editor.value["kind"]) == [
        "家电家具回收网点 (appliance_furniture_point)",
        "大件家具定点转运点 (bulky_furniture_transfer)",
        "智能回收设施 (smart_recycling)",
        "报废机动车回收拆解企业 (scrap_vehicle_dismantler)",
    ]
    assert list(editor.value["count"]) == [8, 3, 10, 1]
    # the column settings (JSON), the kind's choices among them
    options = json.loads(editor.proto.columns)["kind"]["type_config"]["options"]
    assert "废旧电池投放点 (battery_drop_off)" in options
    assert "集散交易市场" not in options  # a tier's kind is set in its tier
    # the built-in region has no points of interest nor a vehicles table: said before
    # anything is solved, in words
    text = "\n".join(str(e.value) for e in (*at.error, *at.warning, *at.markdown))
    assert "“智能回收设施”按兴趣点规划，但本区域没有这些类别的兴趣点" in text
    assert "需求来自需求表“vehicles”，但本区域没有该表" in text


def test_scenario_page_without_kinds_saves_no_kinds_section(store) -> None:
    at = page_app("scenario_page")
    next(b for b in at.button if b.key == "sc_save").click()
    _run(at)
    (saved,) = store.list_scenarios("jinjiang")
    assert saved.scenario.kinds == () and "kinds" not in saved.scenario.to_dict()


def test_results_page_shows_each_kind_and_the_exclusions(store, kinds_plan) -> None:
    record = store.save_plan(store.save_scenario(kinds_plan.scenario).id, kinds_plan, 2.0)
    at = page_app("results_page")
    at.selectbox(key="results_plan").set_value(record.id)
    _run(at)
    tiers = page_table(at, "层级")
    assert list(tiers["层级"]) == [
        "回收站点", "分拣中心", "集散交易市场", "家电家具回收网点", "大件家具定点转运点",
        "智能回收设施", "报废机动车回收拆解企业",
    ]  # fmt: skip
    table = page_table(at, "设施类型")
    assert list(table["设施类型"]) == [
        "家电家具回收网点", "大件家具定点转运点", "智能回收设施", "报废机动车回收拆解企业",
    ]  # fmt: skip
    counts = {e.kind: e.count for e in kinds_plan.scenario.kinds}
    assert list(table["设施数"]) == [str(counts[k]) for k in counts]
    excluded = page_table(at, "排除原因")
    assert len(excluded) == len(kinds_plan.exclusions)
    assert excluded["排除原因"].str.contains("饮用水水源保护区").any()

    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    assert "smart recycling facility" in list(page_table(at, "Facility kind")["Facility kind"])


def test_compare_page_has_rows_per_kind(store, kinds_plan) -> None:
    from planner.run import run_plan
    from planner.scenario import default_scenario

    store.save_plan(store.save_scenario(kinds_plan.scenario).id, kinds_plan, 2.0)
    plain = run_plan("jinjiang", default_scenario("jinjiang"))
    store.save_plan(store.save_scenario(plain.scenario).id, plain, 1.0)
    at = page_app("compare_page")
    table = next(d.value for d in at.dataframe if "智能回收设施：设施数" in set(d.value.iloc[:, 0]))
    rows = dict(zip(table.iloc[:, 0], table.iloc[:, 1:].itertuples(index=False), strict=True))
    values = {str(v) for v in rows["报废机动车回收拆解企业：设施数"]}
    assert "1" in values and "—" in values  # one plan has the dismantler, the other not
    assert "报废机动车回收拆解企业：半径内需求覆盖率" in rows


def test_review_page_lists_each_kinds_sites(store, kinds_plan) -> None:
    store.save_plan(store.save_scenario(kinds_plan.scenario).id, kinds_plan, 2.0)
    at = page_app("review_page")
    assert [tab.label for tab in at.tabs][-4:] == [
        "家电家具回收网点", "大件家具定点转运点", "智能回收设施", "报废机动车回收拆解企业",
    ]  # fmt: skip
    smart = next(
        d.value for d in at.dataframe
        if "服务需求量" in d.value.columns and len(d.value) == 10
    )  # fmt: skip
    expected = kinds_plan.sites[kinds_plan.sites["kind"] == "smart_recycling"]["site_id"]
    assert set(smart["站点编码"]) == set(expected.astype(str))
