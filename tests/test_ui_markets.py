"""The market tier (集散交易市场) in the app, with Streamlit's AppTest: its fields on the
scenario page, its indicators and 县县全覆盖 on the results page, its rows on the
compare page (issue 16, item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from page_apps import page_app, page_table

from planner.i18n import t
from planner.plan import Plan
from planner.plan.tables import PLAN_STATUS_LABEL
from planner.scenario import Scenario, default_scenario
from planner.store import Store

pytestmark = pytest.mark.usefixtures("planner_home")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "jinjiang_markets.yaml"


def _one(elements, suffix: str):
    found = [e for e in elements if e.key and e.key.endswith(suffix)]
    assert len(found) == 1, [e.key for e in elements]
    return found[0]


def _run(at):
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def market_plan() -> Plan:
    from planner.run import run_plan

    return run_plan("jinjiang", Scenario.load(EXAMPLE))


def test_scenario_page_sets_the_market_tier(planner_home) -> None:
    at = page_app("scenario_page")
    count = _one(at.number_input, ".markets.count")
    assert count.value == 0  # no market tier by default
    assert _one(at.number_input, ".markets.capacity_t_per_day").value == 1000.0
    assert not [e for e in at.text_area if e.key and ".markets." in e.key]
    # the default scenario is saved without a market section, as before
    next(b for b in at.button if b.key == "sc_save").click()
    _run(at)
    store = Store(planner_home / "planner.sqlite")
    (saved,) = store.list_scenarios("jinjiang")
    assert saved.scenario == default_scenario("jinjiang")
    assert "markets" not in saved.scenario.to_dict()

    _one(at.number_input, ".markets.count").set_value(1)
    _one(at.number_input, ".markets.capacity_t_per_day").set_value(800.0)
    assert _one(at.checkbox, ".markets.one_per_county").value  # on by default
    _one(at.checkbox, ".markets.one_per_county").uncheck()
    _run(at)
    assert _one(at.text_area, ".markets.required_sites").value == ""
    next(b for b in at.button if b.key == "sc_save").click()
    _run(at)
    (saved,) = store.list_scenarios("jinjiang")
    m = saved.scenario.markets
    assert (m.count, m.capacity_t_per_day, m.one_per_county) == (1, 800.0, False)


def test_scenario_page_says_what_is_wrong_with_the_market_tier() -> None:
    at = page_app("scenario_page")
    _one(at.number_input, ".markets.count").set_value(3)  # 2 sorting centres
    _one(at.number_input, ".markets.capacity_t_per_day").set_value(50.0)
    _run(at)
    text = "\n".join(str(e.value) for e in (*at.error, *at.warning, *at.markdown))
    assert "集散交易市场数 3 多于分拣中心数 2（多 1 个）" in text
    assert (
        "3 个集散交易市场的总能力 150.0 吨/日低于全市回收量约 450.8 吨/日（缺口 300.8 吨/日）"
        in text
    )


def test_results_and_compare_pages_show_the_market_tier(store, market_plan) -> None:
    from planner.run import run_plan

    with_markets = store.save_plan(store.save_scenario(market_plan.scenario).id, market_plan, 2.0)
    plain = run_plan("jinjiang", default_scenario("jinjiang"))
    store.save_plan(store.save_scenario(plain.scenario).id, plain, 1.0)
    at = page_app("results_page")
    at.selectbox(key="results_plan").set_value(with_markets.id)
    _run(at)
    tiers = page_table(at, "层级")
    assert list(tiers["层级"]) == ["回收站点", "分拣中心", "集散交易市场"]
    optimal = t(PLAN_STATUS_LABEL["optimal"], "zh")
    assert list(tiers["状态"]) == [optimal] * 3
    kpis = next(
        d.value for d in at.dataframe if "有集散交易市场的区县数" in set(d.value.iloc[:, 0])
    )
    values = dict(zip(kpis.iloc[:, 0], kpis.iloc[:, 1], strict=True))
    assert values["集散交易市场"] == "1"
    assert values["有集散交易市场的区县数"] == "1"
    coverage = page_table(at, "缺口所在层级")
    assert coverage.iloc[0].tolist() == ["晋江市", "是", "是", "是", "—"]
    assert any("全部 1 个区县" in s.value for s in at.success)

    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    assert "Falls short in" in page_table(at, "Falls short in").columns
    at.sidebar.radio(key="lang").set_value("zh")
    _run(at)

    at = page_app("compare_page")
    text = "\n".join(str(d.value) for d in at.dataframe)
    assert "集散交易市场" in text


def test_run_page_names_the_market_tier(store) -> None:
    store.save_scenario(Scenario.load(EXAMPLE))
    at = page_app("run_page")
    captions = "\n".join(c.value for c in at.caption)
    assert "另有 1 个集散交易市场（每个 1,000 吨/天），在分拣中心之后求解。" in captions


@pytest.mark.slow
def test_a_background_run_solves_the_market_tier(store) -> None:
    import time

    from planner.ui.jobs import runs as jobs

    record = store.save_scenario(Scenario.load(EXAMPLE))
    job = jobs.start(store.path, record.id, record.scenario)
    seen = set()
    deadline = time.monotonic() + 180
    while job.poll() == "running":
        assert time.monotonic() < deadline
        seen.add(job.progress()[0])
        time.sleep(0.05)
    assert job.poll() == "done", job.result
    plan = store.load_plan(job.result["plan_id"])
    assert [r.tier for r in plan.results] == ["station", "sorting_centre", "market"]
    assert len(plan.markets) == 1 and plan.market_links is not None


def _market_counties(at):
    return next(e for e in at.data_editor if e.key and e.key.endswith(".markets.county_table"))


def _edit_county(at, **cells) -> None:
    at.session_state[_market_counties(at).key] = {
        "edited_rows": {"0": cells},
        "added_rows": [],
        "deleted_rows": [],
    }
    _run(at)


def _messages(at) -> str:
    return "\n".join(str(e.value) for e in (*at.error, *at.warning, *at.markdown))


def test_scenario_page_sets_per_county_market_minimums(planner_home) -> None:
    at = page_app("scenario_page")
    # no market tier, no table
    assert not [e for e in at.data_editor if e.key and e.key.endswith(".markets.county_table")]
    _one(at.number_input, ".markets.count").set_value(2)
    _one(at.number_input, ".markets.capacity_t_per_day").set_value(1000.0)
    _run(at)
    table = _market_counties(at).value
    assert list(table["code"]) == ["350582"]
    assert int(table["places"].iloc[0]) == 22  # Jinjiang's 22 township seats
    _edit_county(at, mk_min=2, mk_max=2)
    assert "集散交易市场：各区县下限合计 2 个，全市 2 个" in _messages(at)
    next(b for b in at.button if b.key == "sc_save").click()
    _run(at)
    (saved,) = Store(planner_home / "planner.sqlite").list_scenarios("jinjiang")
    assert saved.scenario.markets.county_min == {"350582": 2}
    assert saved.scenario.markets.county_max == {"350582": 2}


def test_scenario_page_refuses_market_minimums_it_cannot_meet() -> None:
    at = page_app("scenario_page")
    _one(at.number_input, ".markets.count").set_value(2)
    _one(at.number_input, ".markets.capacity_t_per_day").set_value(1000.0)
    _run(at)
    # the minimums add up to more than the city's markets
    _edit_county(at, mk_min=3)
    assert "各区县集散交易市场下限之和 3 超过全市市场数 2（多 1 个）" in _messages(at)
    # a minimum above the places a market may take in the county
    _edit_county(at, mk_min=23)
    assert (
        "集散交易市场：晋江市 的下限 23 个超过该区县可设市场的地点 22 个"
        "（乡镇驻地和现有分拣中心，多 1 个）"
    ) in _messages(at)
    assert next(b for b in at.button if b.key == "sc_save").disabled
    # a cell that is not a whole number, in words
    _edit_county(at, mk_min=1.5)
    assert "“晋江市 · 市场下限”必须是不小于 0 的整数（当前为 1.5）" in _messages(at)
    # in English too
    at.session_state["lang"] = "en"
    _edit_county(at, mk_min=23)
    assert (
        "Markets: 晋江市's minimum of 23 exceeds the 22 places a market may take there"
        in _messages(at)
    )
